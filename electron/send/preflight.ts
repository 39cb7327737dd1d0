/**
 * Before a file is sent: what it is (SOP class and instance, transfer syntax, where its dataset
 * starts) and whether its bytes can go on the wire as they are. A file that declares one transfer
 * syntax but is encoded in another, has no File Meta Information, lacks its UIDs or is truncated
 * gets a clear reason instead of being sent as garbage (dcmjs-dimse padded truncated files and sent
 * them with Success: docs/dimse.md).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { readHeaderFromFd, parseHeaderBytes, asciiValue, type ParsedHeader } from '../dicom/header.ts';
import { Tag } from '../dicom/tags.ts';
import { transferSyntaxInfo, DEFLATED_LE } from '../dicom/transferSyntax.ts';

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
    fd = openSync(path, 'r');
  } catch (err) {
    return { ok: false, path, reason: err instanceof Error ? err.message : String(err) };
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
      problem = sendProblem(h, whole ? { whole } : { fd });
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

/** The SOP Class and Instance UIDs of a file: from its dataset, else from its meta header ('' when neither has one). */
function uidsOf(h: ParsedHeader): { sopClassUid: string; sopInstanceUid: string } {
  return {
    sopClassUid: asciiValue(h, Tag.SOPClassUID) || h.meta?.MediaStorageSOPClassUID || '',
    sopInstanceUid: asciiValue(h, Tag.SOPInstanceUID) || h.meta?.MediaStorageSOPInstanceUID || '',
  };
}

/**
 * Why a parsed file cannot be sent as it is, or null when it can. The file's bytes are read from
 * `whole` (the whole file in memory) or `fd` (the item headers of encapsulated pixel data only).
 * The indexer runs this too and records the answer, so a send of an unchanged file need not parse it again.
 */
export function sendProblem(h: ParsedHeader, file: { whole: Buffer } | { fd: number }): string | null {
  if (!h.meta || !h.meta.TransferSyntaxUID) return 'No File Meta Information (PS3.10 §7.1): the transfer syntax is a guess, so the file is not sent as it is';
  if (h.actualEncoding) {
    return `Declares ${transferSyntaxInfo(h.transferSyntaxUID).name} but is encoded as ${transferSyntaxInfo(h.actualEncoding).name}: sending its bytes would give the receiver garbage`;
  }
  const { sopClassUid, sopInstanceUid } = uidsOf(h);
  if (!sopClassUid) return 'No SOP Class UID (0008,0016)';
  if (!sopInstanceUid) return 'No SOP Instance UID (0008,0018)';
  if (h.datasetOffset >= h.fileSize) return 'The file has no dataset after its meta header';
  const problem = h.transferSyntaxUID === DEFLATED_LE ? null : pixelDataProblem(h, file);
  if (problem) return problem;
  // Every element has an even length (PS3.5 §7.1.1), so an odd dataset is cut or corrupt; a deflated
  // stream may be odd and is padded when sent (PS3.5 §A.5).
  if ((h.fileSize - h.datasetOffset) % 2 && h.transferSyntaxUID !== DEFLATED_LE) return `The dataset has an odd length (${h.fileSize - h.datasetOffset} bytes): the file is truncated or corrupt`;
  return null;
}

/** Checks that the pixel data element is complete: its length fits the file, or its fragments end with a delimiter. */
function pixelDataProblem(h: ParsedHeader, file: { whole: Buffer } | { fd: number }): string | null {
  const el = h.dataSet.elements[Tag.PixelData] ?? h.dataSet.elements[Tag.FloatPixelData] ?? h.dataSet.elements[Tag.DoubleFloatPixelData];
  if (!el || el.dataOffset === undefined) return null;
  const start = h.datasetOffset + el.dataOffset;
  if (!el.hadUndefinedLength) {
    if (start + el.length > h.fileSize) return `Truncated: Pixel Data needs ${el.length} bytes but the file ends ${h.fileSize - start} bytes into it`;
    return null;
  }
  const littleEndian = transferSyntaxInfo(h.transferSyntaxUID).littleEndian;
  const head = Buffer.alloc(8);
  const readAt = (pos: number) => ('whole' in file ? file.whole.copy(head, 0, pos, pos + 8) : readSync(file.fd, head, 0, 8, pos));
  let p = start;
  for (let items = 0; items < 10_000_000; items++) {
    if (p + 8 > h.fileSize || readAt(p) < 8) return 'Truncated: the encapsulated Pixel Data has no sequence delimiter (the file ends inside it)';
    const group = littleEndian ? head.readUInt16LE(0) : head.readUInt16BE(0);
    const element = littleEndian ? head.readUInt16LE(2) : head.readUInt16BE(2);
    const len = littleEndian ? head.readUInt32LE(4) : head.readUInt32BE(4);
    if (group === 0xfffe && element === 0xe0dd) return null;
    if (group !== 0xfffe || element !== 0xe000 || len === 0xffffffff) return `Malformed encapsulated Pixel Data at byte ${p}`;
    p += 8 + len;
    if (p > h.fileSize) return 'Truncated: a Pixel Data fragment runs past the end of the file';
  }
  return 'Malformed encapsulated Pixel Data (too many fragments)';
}
