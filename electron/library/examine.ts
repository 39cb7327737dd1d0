/**
 * Examining one file for the library: unchanged since last time, an instance (with its header
 * record), not DICOM, or a broken DICOM file with a reason. Pure of the database, so it runs the
 * same in the indexing thread and in header workers.
 */
import { closeSync, statSync, type Stats } from 'node:fs';
import { fsReason, openRegularFile } from '../dicom/files.ts';
import { DicomFileError, NotDicomError, readFileMeta, readHeaderFromFd } from '../dicom/header.ts';
import { MEDIA_STORAGE_DIRECTORY_SOP_CLASS } from '../dicom/tags.ts';
import { summarize } from './summary.ts';
import type { InstanceRecord } from '../store/library.ts';
import { soundnessProblem } from '../dicom/soundness.ts';
import { DEFLATED_LE } from '../dicom/transferSyntax.ts';

/** Size and modification time recorded at the last index. */
export interface Stamp {
  size: number;
  mtimeMs: number;
}

/** True when `st` is a regular file with the size and mtime (whole milliseconds) of `stamp`: the file the library indexed. */
export function matchesStamp(st: Stats, stamp: Stamp): boolean {
  return st.isFile() && st.size === stamp.size && Math.trunc(st.mtimeMs) === stamp.mtimeMs;
}

/** What examining a file found. */
export type Examined =
  | ({ kind: 'unchanged' } & Stamp)
  | ({ kind: 'instance'; record: InstanceRecord } & Stamp)
  | ({ kind: 'skipped' } & Stamp)
  | ({ kind: 'error'; message: string } & Stamp)
  | { kind: 'unreadable'; message: string };

/** Examines the file at `path`; `known` skips reading when size and mtime are unchanged. Never throws. */
export function examineFile(path: string, known?: Stamp): Examined {
  if (known) {
    // A file seen before: one stat tells whether it changed (a re-index of a known folder is this, 5,000 times).
    let st;
    try {
      st = statSync(path);
    } catch (err) {
      return { kind: 'unreadable', message: `The file could not be opened: ${fsReason(err)}` };
    }
    if (matchesStamp(st, known)) return { kind: 'unchanged', size: st.size, mtimeMs: Math.trunc(st.mtimeMs) };
  }
  // open + fstat rather than stat + open: one path lookup per new file. A FIFO, device or socket is
  // closed unread (opening does not wait for a FIFO's writer).
  let opened;
  try {
    opened = openRegularFile(path);
  } catch (err) {
    return { kind: 'unreadable', message: `The file could not be opened: ${fsReason(err)}` };
  }
  if (!opened) return { kind: 'skipped', size: 0, mtimeMs: 0 };
  const { fd, stats: st } = opened;
  try {
    const stamp = { size: st.size, mtimeMs: Math.trunc(st.mtimeMs) };
    if (known && known.size === stamp.size && known.mtimeMs === stamp.mtimeMs) return { kind: 'unchanged', ...stamp };
    try {
      const h = readHeaderFromFd(fd, st.size);
      // A DICOMDIR describes a file-set; it is not an instance itself (PS3.10 §8.6).
      if (h.meta?.MediaStorageSOPClassUID === MEDIA_STORAGE_DIRECTORY_SOP_CLASS) return { kind: 'skipped', ...stamp };
      const record = summarize(h);
      // The checks a send makes, made now while the header is parsed: an unchanged file is then sent without parsing it again.
      const whole = h.bytes.length === st.size && h.transferSyntaxUID !== DEFLATED_LE ? Buffer.from(h.bytes.buffer, h.bytes.byteOffset, h.bytes.length) : null;
      record.sendProblem = soundnessProblem(h, whole ? { whole } : { fd });
      return { kind: 'instance', record, ...stamp };
    } catch (err) {
      if (err instanceof NotDicomError || isDirectoryFile(path)) return { kind: 'skipped', ...stamp };
      const message = err instanceof DicomFileError ? err.message : `The file could not be read: ${fsReason(err)}`;
      return { kind: 'error', message, ...stamp };
    }
  } catch (err) {
    return { kind: 'unreadable', message: `The file could not be read: ${fsReason(err)}` };
  } finally {
    closeSync(fd);
  }
}

/** A DICOMDIR that failed to parse is still a directory, not a broken instance. */
function isDirectoryFile(path: string): boolean {
  try {
    return readFileMeta(path)?.MediaStorageSOPClassUID === MEDIA_STORAGE_DIRECTORY_SOP_CLASS;
  } catch {
    return false;
  }
}
