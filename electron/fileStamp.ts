/**
 * What identifies the bytes of a file at the moment they are read for sending: device, inode, size,
 * modification and change time, from a stat of the open file (or of the path before and after the
 * read). A committed file is deleted only while a stat of it still gives the same stamp
 * (commit/delete.ts): any write to it changes its mtime and ctime, and its ctime cannot be set back
 * (`cp -p` and `touch -d` restore the mtime only; a rename or a new link also moves the ctime); a
 * file put in its place has another inode. Hashing the bytes as they go out would prove as much but
 * costs a core for a quarter second per 316 MB CT series on the send's hot path; a stamp costs one
 * fstat the sender makes anyway.
 *
 * One limit, closed here: timestamps are taken from a clock that ticks every few milliseconds, so a
 * write within the same tick as the one before our read could leave both times as they were (as
 * git's "racily clean" index entries). A stamp whose ctime is within RACY_MS of the moment it was
 * taken is marked racy, and a racy file is never deleted (it is kept with the reason).
 */
import type { Stats } from 'node:fs';

/** A file changed within this long before its bytes were read: its stamp proves nothing (timestamps tick every 1–10 ms). */
export const RACY_MS = 50;

/** The stamp of a file that changed while it was being read: never matches, so the file is never deleted. */
export const CHANGED_WHILE_SENT = 'changed';

/** The stamp of `st`, taken at `takenAtMs` (Date.now() just before the stat). */
export function stampOf(st: Stats, takenAtMs: number): string {
  const racy = takenAtMs - st.ctimeMs < RACY_MS;
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}${racy ? ':racy' : ''}`;
}

/**
 * The stamp of a file read between two stats of its path: the first, when the second is the same
 * file unchanged (no write, rename or replacement in between), else CHANGED_WHILE_SENT.
 */
export function bracketStamp(before: Stats | null, after: Stats | null, takenAtMs: number): string {
  if (!before || !after || !sameFile(before, after)) return CHANGED_WHILE_SENT;
  return stampOf(before, takenAtMs);
}

/** True when two stats are of the same file with the same size and times. */
export function sameFile(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/** True when `a` and `b` are the same file (device and inode), whatever its content. */
export function sameInode(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/**
 * Why a file whose stat is `st` is not provably the bytes stamped `stamp`, in words ('' when it is).
 * The stat must come from the file that will be deleted (an open descriptor).
 */
export function stampProblem(stamp: string, st: Stats): string {
  if (stamp === CHANGED_WHILE_SENT) return 'changed while it was being sent';
  const [dev, ino, size, mtimeMs, ctimeMs] = stamp.split(':');
  if (isRacy(stamp)) return 'was written to moments before it was sent, so its timestamps cannot prove it unchanged since';
  if (String(st.dev) !== dev || String(st.ino) !== ino) return 'changed since it was sent (another file is at its path)';
  if (String(st.size) !== size) return `changed since it was sent (size ${st.size}, sent ${size})`;
  if (String(st.mtimeMs) !== mtimeMs || String(st.ctimeMs) !== ctimeMs) return 'changed since it was sent (written to or touched: its change time moved)';
  return '';
}

/** True when `stamp` was taken within RACY_MS of a write (stampOf): it proves nothing about the bytes read. */
export function isRacy(stamp: string): boolean {
  return stamp.split(':')[5] === 'racy';
}

/** True when `st` is the file (device and inode) the stamp was taken of, whatever its content now. */
export function stampIsOf(stamp: string, st: Stats): boolean {
  const [dev, ino] = stamp.split(':');
  return stamp !== CHANGED_WHILE_SENT && String(st.dev) === dev && String(st.ino) === ino;
}

/**
 * True when `st` is the stamped file with the same size and mtime: a file we renamed ourselves has
 * a new ctime, so only a deletion we were interrupted in (commit/delete.ts) compares this way.
 */
export function stampMatchesMoved(stamp: string, st: Stats): boolean {
  const [, , size, mtimeMs] = stamp.split(':');
  return stampIsOf(stamp, st) && String(st.size) === size && String(st.mtimeMs) === mtimeMs;
}
