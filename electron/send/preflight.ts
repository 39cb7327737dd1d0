/**
 * Before a file is sent: what it is (SOP class and instance, transfer syntax, where its dataset
 * starts) and whether its bytes can go on the wire as they are (dicom/soundness.ts), read with one
 * open; a small file is read whole once for both the check and the send.
 */
import { closeSync, fstatSync, readSync } from 'node:fs';
import { readHeaderFromFd, parseHeaderBytes, type ParsedHeader } from '../dicom/header.ts';
import { fsReason, openRegularFile } from '../dicom/files.ts';
import { soundnessProblem, uidsOf } from '../dicom/soundness.ts';

/** A file that can be sent: the dataset is bytes [datasetOffset, size) of the file. */
export interface SendableFile {
  ok: true;
  path: string;
  size: number;
  datasetOffset: number;
  transferSyntaxUid: string;
  sopClassUid: string;
  sopInstanceUid: string;
  /** The dataset bytes, when asked for and the file is small (read once for both check and send). */
  data?: Buffer;
}

/** A file that cannot be sent, and why. */
export interface UnsendableFile {
  ok: false;
  path: string;
  reason: string;
  sopClassUid?: string;
  sopInstanceUid?: string;
}

/** Files up to this size are read whole for the check (small buffers are cheap; large ones are not). */
export const WHOLE_FILE = 64 * 1024;

/**
 * Examines `path`: the header (small files are read whole; large ones only up to Pixel Data, plus
 * the item headers of encapsulated pixel data). `keepData` returns a small file's dataset bytes.
 * With `buffer`, a file that fits is read whole into it and `data` is its dataset there: one read
 * serves both the check and the send.
 */
export function preflight(path: string, opts: { keepData?: boolean; buffer?: Buffer } = {}): SendableFile | UnsendableFile {
  let fd: number;
  try {
    // Only a regular file is opened for reading: a FIFO swapped in for a library path would block the process.
    const opened = openRegularFile(path);
    if (!opened) return { ok: false, path, reason: 'The file could not be opened: it is not a regular file (a folder, pipe, socket or device)' };
    fd = opened.fd;
  } catch (err) {
    // In words: "it does not exist", "a symbolic link that loops" (not ENOENT or ELOOP).
    return { ok: false, path, reason: `The file could not be opened: ${fsReason(err)}` };
  }
  // One open serves the header, the whole-file read of a small file, and the pixel data check.
  try {
    let h: ParsedHeader;
    let whole: Buffer | null = null;
    try {
      const size = fstatSync(fd).size;
      if (opts.buffer && size <= opts.buffer.length) whole = opts.buffer.subarray(0, size);
      else if (size <= WHOLE_FILE) whole = Buffer.allocUnsafe(size);
      if (whole && readSync(fd, whole, 0, size, 0) !== size) throw new Error('The file changed while it was read');
      h = whole ? parseHeaderBytes(whole, whole.length, true) : readHeaderFromFd(fd, size);
    } catch (err) {
      return { ok: false, path, reason: err instanceof Error ? err.message : String(err) };
    }
    const { sopClassUid, sopInstanceUid } = uidsOf(h);
    let problem: string | null;
    try {
      problem = soundnessProblem(h, whole ? { whole } : { fd });
    } catch (err) {
      problem = `The file could not be read: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (problem) return { ok: false, path, reason: problem, sopClassUid: sopClassUid || undefined, sopInstanceUid: sopInstanceUid || undefined };
    const file: SendableFile = { ok: true, path, size: h.fileSize, datasetOffset: h.datasetOffset, transferSyntaxUid: h.transferSyntaxUID, sopClassUid, sopInstanceUid };
    if ((opts.keepData || opts.buffer) && whole) file.data = whole.subarray(h.datasetOffset);
    return file;
  } finally {
    closeSync(fd);
  }
}
