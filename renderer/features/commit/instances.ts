/**
 * A commitment transaction's instances for people: failures first, and what became of each local
 * file in words (deleted, kept and why, or still waiting for deletion).
 */
import type { CommitInstanceRow } from '../../../shared/contract/index.ts';

/** Failures first, then what is still open, then what is done (kept before deleted). */
const STATE_ORDER: Record<CommitInstanceRow['state'], number> = { failed: 0, 'timed-out': 1, pending: 2, committed: 3 };

/** What became of an instance's local file, in words. */
export function fileFate(i: Pick<CommitInstanceRow, 'state' | 'deleted' | 'keptReason'>, deleteAfterCommit: boolean): string {
  if (i.deleted) return 'deleted';
  if (i.keptReason) return `kept: ${i.keptReason}`;
  if (i.state === 'committed') return deleteAfterCommit ? 'committed, deletion pending' : 'kept';
  return deleteAfterCommit ? 'kept: not committed' : 'kept';
}

/** Sorts instances failures first (then timed out, pending, committed; kept before deleted). */
export function failuresFirst<T extends Pick<CommitInstanceRow, 'state' | 'deleted'>>(rows: T[]): T[] {
  return [...rows].sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || Number(a.deleted) - Number(b.deleted));
}

