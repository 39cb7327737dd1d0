/**
 * Deleting local files once they are committed (docs/data-safety.md, invariant 1): only instances whose
 * state is `committed` in the database (set only by a valid report, see report.ts), only files
 * unchanged since they were sent (same size and SHA-256), only inside the folders the user sent
 * from, never twice. Each deletion is recorded as an intent before unlink and as done (with its
 * audit row) after, so a crash in between is completed at the next start, not repeated.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, realpath, unlink } from 'node:fs/promises';
import { sep } from 'node:path';
import type { CommitStore, CommitTransaction, DeletionCandidate } from '../store/commit.ts';

/** What happened to one committed file. */
export interface DeletionOutcome {
  instanceId: number;
  SOPInstanceUID: string;
  path: string;
  deleted: boolean;
  /** Why the file was kept. */
  problem?: string;
}

/** Test hooks: called between the recorded intent and the unlink (the crash test kills there). */
export interface DeleteHooks {
  beforeUnlink?: (path: string) => void | Promise<void>;
  /** Called after a file is gone and recorded (e.g. to forget it in the library). */
  afterDelete?: (path: string) => void;
  /** Replaces fs.unlink (tests simulate read-only media with it). */
  unlink?: (path: string) => Promise<void>;
}

/** SHA-256 of a file's content, hex. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** True when `child` is `root` or inside it (both real paths). */
export function isInside(child: string, root: string): boolean {
  if (child === root) return true;
  const prefix = root.endsWith(sep) ? root : root + sep;
  return child.startsWith(prefix);
}

async function realRoots(roots: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const r of roots) {
    try {
      out.push(await realpath(r));
    } catch {
      // A root that no longer exists protects nothing and allows nothing.
    }
  }
  return out;
}

const errCode = (err: unknown) => (err && typeof err === 'object' && 'code' in err ? String(err.code) : '');

/** Why a committed file must be kept, or null when it may be deleted. Throws only on programmer error. */
async function problemWith(c: DeletionCandidate, roots: string[]): Promise<string | null | 'gone'> {
  let st;
  try {
    st = await lstat(c.path);
  } catch (err) {
    if (errCode(err) === 'ENOENT') return 'gone';
    return `cannot be examined (${errCode(err) || String(err)})`;
  }
  if (st.isSymbolicLink()) return 'is a symbolic link: only real files are deleted';
  if (!st.isFile()) return 'is not a regular file';
  let real: string;
  try {
    real = await realpath(c.path);
  } catch (err) {
    return `cannot be resolved (${errCode(err)})`;
  }
  if (!roots.some((r) => isInside(real, r))) return 'is outside the folders it was sent from';
  if (st.size !== c.size) return `changed since it was sent (size ${st.size}, sent ${c.size})`;
  let hash: string;
  try {
    hash = await sha256File(c.path);
  } catch (err) {
    return `cannot be read (${errCode(err) || String(err)})`;
  }
  if (hash !== c.sha256) return 'changed since it was sent (content differs)';
  return null;
}

/**
 * Deletes the committed, unchanged files of a transaction and records each deletion; returns an
 * outcome per file considered. Safe to run again after a crash: finishes interrupted deletions.
 */
export async function deleteCommitted(store: CommitStore, transaction: CommitTransaction, hooks: DeleteHooks = {}): Promise<DeletionOutcome[]> {
  const outcomes: DeletionOutcome[] = [];
  const roots = await realRoots(transaction.roots);
  for (const c of store.deletionCandidates(transaction.id)) {
    const base = { instanceId: c.id, SOPInstanceUID: c.SOPInstanceUID, path: c.path };
    const problem = await problemWith(c, roots);
    if (problem === 'gone') {
      if (c.deleteState === 'deleting') {
        // Our unlink ran before a crash: record it now (it is not deleted again).
        store.markDeleted(c, transaction);
        hooks.afterDelete?.(c.path);
        outcomes.push({ ...base, deleted: true });
      } else {
        const why = store.deletedElsewhere(c.path, c.sha256, c.id) ? 'already deleted (committed in another transaction)' : 'no longer exists';
        store.markKept(c.id, why);
        outcomes.push({ ...base, deleted: false, problem: why });
      }
      continue;
    }
    if (problem) {
      store.markKept(c.id, problem);
      outcomes.push({ ...base, deleted: false, problem });
      continue;
    }
    // The intent is durable before the file goes (invariant 2); markDeleting re-checks `committed`.
    if (!store.markDeleting(c.id)) {
      outcomes.push({ ...base, deleted: false, problem: 'no longer committed' });
      continue;
    }
    await hooks.beforeUnlink?.(c.path);
    try {
      await (hooks.unlink ?? unlink)(c.path);
    } catch (err) {
      const code = errCode(err);
      if (code === 'ENOENT') {
        store.markDeleted(c, transaction);
        outcomes.push({ ...base, deleted: true });
        continue;
      }
      const why =
        code === 'EROFS' ? 'is on read-only media' : code === 'EACCES' || code === 'EPERM' ? 'may not be deleted (permission denied)' : `could not be deleted (${code || String(err)})`;
      store.markKept(c.id, why);
      outcomes.push({ ...base, deleted: false, problem: why });
      continue;
    }
    store.markDeleted(c, transaction);
    hooks.afterDelete?.(c.path);
    outcomes.push({ ...base, deleted: true });
  }
  return outcomes;
}
