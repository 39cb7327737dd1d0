/**
 * Deleting local files once they are committed (docs/data-safety.md, invariant 1): only instances
 * whose state is `committed` in the database (set only by a valid report, see report.ts), only the
 * very file that was sent, only while it is still provably the bytes sent (its stamp, electron/fileStamp.ts;
 * size and SHA-256 for transactions recorded before stamps), only inside the folders the user sent
 * from, never while another file under its SOP Instance UID may hold other content (sameUid.ts),
 * never twice. Each deletion is recorded as an intent before the file is touched and as done
 * (with its audit row) after, so a crash in between is completed at the next start, not repeated.
 *
 * The file unlinked is the file checked, even if its path is swapped for another file after the
 * checks. The file is checked through an open descriptor (which pins its inode), then
 * renamed to a fresh name beside itself, and the name is compared with the descriptor: same device
 * and inode, it is the file checked, and that name is unlinked; anything else (a file swapped in
 * between the check and the rename) is put back where it was, never deleted. A rename takes whatever
 * is at the path at one instant, so there is no window left between what is compared and what is
 * unlinked; the fresh name is only known to us (a process that could swap it could as well delete
 * the file itself: both need write access to the folder).
 */
import { constants, type Stats } from 'node:fs';
import { link, lstat, open, realpath, rename, unlink, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, sep } from 'node:path';
import type { CommitStore, CommitTransaction, DeletionCandidate } from '../store/commit.ts';
import { sameInode, stampIsOf, stampMatchesMoved, stampProblem } from '../fileStamp.ts';
import { sha256File, sha256Of } from './hash.ts';
import { sameUidProblem } from './sameUid.ts';

/** What happened to one committed file. */
export interface DeletionOutcome {
  instanceId: number;
  SOPInstanceUID: string;
  path: string;
  deleted: boolean;
  /** Why the file was kept. */
  problem?: string;
}

/** Test hooks: called between the recorded intent and the unlink (the crash and race tests act there). */
export interface DeleteHooks {
  /** After the checks and the recorded intent, before the file is moved aside and unlinked. */
  beforeUnlink?: (path: string) => void | Promise<void>;
  /** Called after a file is gone and recorded (e.g. to forget it in the library). */
  afterDelete?: (path: string) => void;
  /** Replaces fs.unlink (tests simulate read-only media with it). */
  unlink?: (path: string) => Promise<void>;
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
const lstatOrNull = (path: string) => lstat(path).catch((err: unknown) => (errCode(err) === 'ENOENT' ? null : Promise.reject(err)));

/** Why a file cannot be deleted (permission, read-only media …), in words. */
function unlinkProblem(err: unknown): string {
  const code = errCode(err);
  if (code === 'EROFS') return 'is on read-only media';
  if (code === 'EACCES' || code === 'EPERM') return 'may not be deleted (permission denied)';
  return `could not be deleted (${code || String(err)})`;
}

/** The file checked: its open descriptor, its stat, and its SHA-256 (for the audit). */
interface Checked {
  fh: FileHandle;
  st: Stats;
  sha256: string;
}

/**
 * Opens and checks a committed file: a real file (not a link) inside the sent folders, still the
 * bytes sent. Returns the open file, 'gone' when nothing is at the path, or why it must be kept.
 */
async function check(c: DeletionCandidate, roots: string[]): Promise<Checked | 'gone' | string> {
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
  let fh: FileHandle;
  try {
    // O_NOFOLLOW: a symbolic link put at the path since the lstat is not followed.
    fh = await open(c.path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (err) {
    return errCode(err) === 'ELOOP' ? 'is a symbolic link: only real files are deleted' : `cannot be read (${errCode(err) || String(err)})`;
  }
  try {
    const fst = await fh.stat();
    if (!fst.isFile()) throw new Kept('is not a regular file');
    const why = bytesProblem(c, fst);
    if (why) throw new Kept(why);
    const sha256 = await sha256Of(fh);
    if (!c.stamp && sha256 !== c.sha256) throw new Kept('changed since it was sent (content differs)');
    // Hashing read the whole file: it must not have changed meanwhile either.
    const after = await fh.stat();
    if (c.stamp && stampProblem(c.stamp, after)) throw new Kept('changed while it was being checked');
    return { fh, st: after, sha256 };
  } catch (err) {
    await fh.close();
    if (err instanceof Kept) return err.message;
    return `cannot be read (${errCode(err) || String(err)})`;
  }
}

class Kept extends Error {}

/** Why the open file is not provably the bytes sent ('' when it is). */
function bytesProblem(c: DeletionCandidate, st: Stats): string {
  if (c.stamp) return stampProblem(c.stamp, st);
  // A transaction recorded before stamps: its size and SHA-256 when it was requested.
  if (st.size !== c.size) return `changed since it was sent (size ${st.size}, sent ${c.size})`;
  return '';
}

/** A fresh name beside `path` for the file while it is unlinked (never an existing file's name). */
const quarantineFor = (c: DeletionCandidate) => join(dirname(c.path), `.courier-deleting-${c.id}-${randomBytes(6).toString('hex')}-${basename(c.path).slice(0, 64)}`);

/**
 * Puts back what is at `from` to `to` without overwriting anything at `to` (a hard link, then the
 * temporary name is removed); returns where the file is now.
 */
async function putBack(from: string, to: string): Promise<string> {
  try {
    await link(from, to);
  } catch {
    return from; // something is at `to` again (or links are not allowed): the file stays where it is, named in the reason
  }
  await unlink(from).catch(() => {});
  return to;
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
    const deleted = (sha256?: string) => {
      store.markDeleted(c, transaction, sha256);
      hooks.afterDelete?.(c.path);
      outcomes.push({ ...base, deleted: true });
    };
    const kept = (why: string) => {
      store.markKept(c.id, why);
      outcomes.push({ ...base, deleted: false, problem: why });
    };
    if (c.keepReason) {
      // Another file of the request shares its SOP Instance UID with other content (sameUid.ts).
      kept(c.keepReason);
      continue;
    }
    if (c.deleteState === 'deleting') {
      const resumed = await resumeInterrupted(c);
      if (resumed === 'deleted') {
        deleted();
        continue;
      }
      if (resumed !== 'check') {
        kept(resumed);
        continue;
      }
    }
    const checked = await check(c, roots);
    if (checked === 'gone') {
      kept(store.deletedElsewhere(c) ? 'already deleted (committed in another transaction)' : 'no longer exists');
      continue;
    }
    if (typeof checked === 'string') {
      kept(checked);
      continue;
    }
    const { fh, st, sha256 } = checked;
    try {
      const sameUid = await sameUidProblem(store, c, transaction, fh, st.size, sha256);
      if (sameUid) {
        kept(sameUid);
        continue;
      }
      // The intent is durable before the file is touched (invariant 2); markDeleting re-checks `committed`.
      const quarantine = quarantineFor(c);
      if (!store.markDeleting(c.id, quarantine)) {
        outcomes.push({ ...base, deleted: false, problem: 'no longer committed' });
        continue;
      }
      await hooks.beforeUnlink?.(c.path);
      const outcome = await unlinkChecked(c.path, quarantine, st, hooks);
      if (outcome === 'deleted') deleted(sha256);
      else kept(outcome);
    } finally {
      await fh.close();
    }
  }
  return outcomes;
}

/**
 * Moves what is at `path` aside and unlinks it if it is the file checked (`st`, pinned by its open
 * descriptor); otherwise puts it back. Returns 'deleted' or why the file was kept.
 */
async function unlinkChecked(path: string, quarantine: string, st: Stats, hooks: DeleteHooks): Promise<'deleted' | string> {
  try {
    await rename(path, quarantine);
  } catch (err) {
    if (errCode(err) === 'ENOENT') return st.nlink === 0 || !(await lstatOrNull(path)) ? 'deleted' : 'was moved while it was being deleted';
    return unlinkProblem(err);
  }
  const moved = await lstatOrNull(quarantine);
  if (!moved || !sameInode(moved, st)) {
    // Another file took the path after the checks: it goes back, untouched.
    const at = await putBack(quarantine, path);
    return `was replaced by another file just before its deletion; that file was not deleted${at === path ? '' : ` (it is now at ${at})`}`;
  }
  try {
    await (hooks.unlink ?? unlink)(quarantine);
  } catch (err) {
    const at = await putBack(quarantine, path);
    return unlinkProblem(err) + (at === path ? '' : ` (it is now at ${at})`);
  }
  return 'deleted';
}

/**
 * A deletion a crash interrupted after its intent was recorded: 'deleted' when our unlink ran,
 * 'check' when the file was not touched yet (check it again and go on), or why it is kept.
 */
async function resumeInterrupted(c: DeletionCandidate): Promise<'deleted' | 'check' | string> {
  const atPath = await lstatOrNull(c.path).catch(() => null);
  const aside = c.quarantine ? await lstatOrNull(c.quarantine).catch(() => null) : null;
  if (!c.quarantine) {
    // Recorded before quarantine names (an older version): the path alone tells.
    return atPath ? 'check' : 'deleted';
  }
  if (aside) {
    // Moved aside by us after its checks, not yet unlinked: finish, if it is still that file (its
    // ctime moved with our rename; device, inode, size and mtime must not have); else put it back.
    const ours = c.stamp ? stampMatchesMoved(c.stamp, aside) : aside.size === c.size && (await sha256File(c.quarantine).catch(() => '')) === c.sha256;
    if (ours) {
      try {
        await unlink(c.quarantine);
        return 'deleted';
      } catch (err) {
        return `${unlinkProblem(err)} (it is at ${c.quarantine})`;
      }
    }
    const at = await putBack(c.quarantine, c.path);
    return at === c.path ? 'check' : `was being deleted when Courier stopped and has changed since; it is kept at ${at}`;
  }
  // Still at its path (never moved: checked again, and kept if it changed), or our unlink ran.
  if (atPath && (!c.stamp || stampIsOf(c.stamp, atPath))) return 'check';
  return 'deleted';
}
