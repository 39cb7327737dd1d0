/**
 * Opening the files Courier reads, safely: only regular files (a FIFO would block the reader, a
 * device never ends), and file system failures said in words rather than as errno codes.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';

/** Why a file system call failed, in words a person understands ("it does not exist", "… loops"). */
export function fsReason(err: unknown): string {
  switch ((err as NodeJS.ErrnoException)?.code) {
    case 'ENOENT':
      return 'it does not exist';
    case 'ELOOP':
      return 'it is a symbolic link that loops (the links lead back to themselves), so there is no file to read';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied (this user may not read it)';
    case 'ENOTDIR':
      return 'a part of its path is not a folder';
    case 'EISDIR':
      return 'it is a folder, not a file';
    case 'ENAMETOOLONG':
      return 'its path is too long';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many files are open at once; try again';
    case 'EIO':
      return 'the disk or medium reported a read error';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

// O_NONBLOCK: opening a FIFO for reading returns at once instead of waiting for a writer; it changes
// nothing for a regular file. O_NOCTTY: a terminal never becomes ours. (Windows has neither flag.)
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/**
 * Opens `path` for reading when it is a regular file (a symbolic link is followed); null when it is
 * anything else (FIFO, socket, device, folder), closed again without reading. Open-then-fstat, so a
 * path swapped for a FIFO after a check cannot block the reader. Throws the file system's error.
 */
export function openRegularFile(path: string): { fd: number; stats: Stats } | null {
  const fd = openSync(path, READ_FLAGS);
  let stats: Stats;
  try {
    stats = fstatSync(fd);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  if (stats.isFile()) return { fd, stats };
  closeSync(fd);
  return null;
}

/** The bytes of the regular file at `path` (never blocking on a FIFO a library path was swapped for); throws otherwise. */
export function readRegularFile(path: string): Buffer {
  const opened = openRegularFile(path);
  if (!opened) throw new Error(`${path} is not a regular file (a folder, pipe, socket or device)`);
  try {
    return readFileSync(opened.fd);
  } finally {
    closeSync(opened.fd);
  }
}
