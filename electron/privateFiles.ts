/**
 * Files only this user may read: the library database (patient names, paths), its WAL and shared
 * memory, the logs. Folders are made 0700 and files 0600 on POSIX systems, and ones an older version
 * made world-readable (0755/0644) are tightened when opened. (Windows keeps its ACLs: a user's
 * profile folder is private already.)
 */
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync } from 'node:fs';

const POSIX = process.platform !== 'win32';
/** rwx for the owner only. */
export const PRIVATE_DIR_MODE = 0o700;
/** rw for the owner only. */
export const PRIVATE_FILE_MODE = 0o600;

/** Makes `dir` (and missing parents) readable by this user only; an existing `dir` is tightened. */
export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  tighten(dir, PRIVATE_DIR_MODE);
}

/** Creates `file` empty when missing, readable by this user only; an existing one is tightened. */
export function privateFile(file: string): void {
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  tighten(file, PRIVATE_FILE_MODE);
}

/** Tightens `path` to `mode` when it exists and is more open (a symbolic link is left alone); never throws. */
export function tighten(path: string, mode: number): void {
  if (!POSIX) return;
  try {
    const st = lstatSync(path);
    if (!st.isSymbolicLink() && (st.mode & 0o777 & ~mode) !== 0) chmodSync(path, mode);
  } catch {
    // Missing, or owned by someone else: nothing this process can do; opening it will say so.
  }
}
