/**
 * A storage commitment tally (committed, failed, timed out, pending, deleted, kept) as a coloured
 * bar and words, failures in red: the Commitment tab and the send queue show it alike.
 */
import type { CommitCounts } from '../../../shared/contract/index.ts';
import { StackBar } from '../StackBar.tsx';

/** "12/16 committed · 1 failed · 3 pending" for a set of counts. */
export function countsText(c: CommitCounts): string {
  const parts = [`${c.committed}/${c.total} committed`];
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.pending) parts.push(`${c.pending} pending`);
  if (c.timedOut) parts.push(`${c.timedOut} timed out`);
  if (c.deleted) parts.push(`${c.deleted} deleted`);
  if (c.kept) parts.push(`${c.kept} kept`);
  return parts.join(' · ');
}

/** A transaction's (or a study's) counts as a coloured bar and words; failures in red. */
export function CommitCountsView({ counts }: { counts: CommitCounts }) {
  return (
    <span className="commit-counts" style={{ display: 'inline-flex', gap: 6, alignItems: 'center' }}>
      <StackBar
        label="Commitment"
        total={counts.total}
        parts={[
          { value: counts.committed, tone: 'ok', label: 'committed' },
          { value: counts.failed, tone: 'fail', label: 'failed' },
          { value: counts.timedOut, tone: 'fail', label: 'timed out' },
          { value: counts.pending, tone: 'wait', label: 'pending' },
        ]}
      />
      <span className={counts.failed + counts.timedOut ? 'tone-fail' : undefined}>{countsText(counts)}</span>
    </span>
  );
}

