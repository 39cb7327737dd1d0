/**
 * Reading the header of a DICOM file: everything before Pixel Data, without reading the pixels.
 *
 * Built on dicom-parser (fast, well kept; docs/dimse.md has the measurements), with what it lacks
 * added here: files without a preamble or meta header (the transfer syntax is sniffed, PS3.5 §7),
 * reading in growing chunks so a large file is never read whole, and decoding text by Specific
 * Character Set.
 */
import { closeSync, readSync } from 'node:fs';
import dicomParser from 'dicom-parser';
import { charsetDecoder, type TextDecoderFn } from './charset.ts';
import { openRegularFile } from './files.ts';
import { inflateBounded, inflateUntil, InflateError, MAX_INFLATED } from './inflate.ts';
import { MEDIA_STORAGE_DIRECTORY_SOP_CLASS, Tag } from './tags.ts';
import { hasPreamble, looksLikeMeta, parseMeta, sniffDataset, type FileMeta } from '../../shared/dicom/encoding.ts';
import { MAX_SEQUENCE_DEPTH, nestedTooDeep, TOO_DEEP } from '../../shared/dicom/nesting.ts';
import { DEFLATED_LE, EXPLICIT_LE, transferSyntaxInfo } from './transferSyntax.ts';

/** A file that is not DICOM at all: indexing skips it quietly. */
export class NotDicomError extends Error {
  override name = 'NotDicomError';
}

/** A file that is DICOM but broken: indexing lists it with this message. */
export class DicomFileError extends Error {
  override name = 'DicomFileError';
}

/** The File Meta Information (shared/dicom/encoding.ts). */
export type { FileMeta };

/** A parsed header: dicom-parser's dataset plus what Courier needs to know about the file. */
export interface ParsedHeader {
  dataSet: dicomParser.DataSet;
  /** The bytes the dataset's element offsets refer to (inflated for deflated files). */
  bytes: Uint8Array;
  fileSize: number;
  /** The transfer syntax the file declares (or, without a meta header, the one sniffed). */
  transferSyntaxUID: string;
  /** How the dataset is really encoded, when that differs from what the file declares. */
  actualEncoding?: string;
  meta: FileMeta | null;
  /** True when the file has the 128-byte preamble and "DICM" (PS3.10 §7.1). */
  hasPart10Header: boolean;
  /** Byte offset in the file where the dataset (after the meta header) begins. */
  datasetOffset: number;
  /** Pixel Data (or Float/Double Float Pixel Data) is present. */
  hasPixels: boolean;
  text: TextDecoderFn;
}

const FIRST_CHUNK = 8 * 1024;
const MAX_HEADER = 64 * 1024 * 1024;
/** How deeply sequences may nest (shared/dicom/nesting.ts). */
export { MAX_SEQUENCE_DEPTH };

/** Reads the header of the file at `path` (never the pixel data of a large file). */
export function readHeader(path: string): ParsedHeader {
  const opened = openRegularFile(path);
  if (!opened) throw new NotDicomError('not a regular file');
  try {
    return readHeaderFromFd(opened.fd, opened.stats.size);
  } finally {
    closeSync(opened.fd);
  }
}

/** Reads the header from an open file of `fileSize` bytes, in growing chunks from its start. */
export function readHeaderFromFd(fd: number, fileSize: number): ParsedHeader {
  let size = Math.min(fileSize, FIRST_CHUNK);
  for (;;) {
    const buf = Buffer.allocUnsafe(size);
    const n = readSync(fd, buf, 0, size, 0);
    const bytes = buf.subarray(0, n);
    const complete = n >= fileSize;
    try {
      return parseHeaderBytes(bytes, fileSize, complete);
    } catch (err) {
      if (complete || err instanceof NotDicomError || err instanceof FinalHeaderError || size >= MAX_HEADER) throw err;
      size = Math.min(fileSize, size * 4, MAX_HEADER);
    }
  }
}

/** Reads only the File Meta Information of the file at `path`, or null when it has none. */
export function readFileMeta(path: string): FileMeta | null {
  const fd = openRegularFile(path)?.fd;
  if (fd === undefined) return null;
  try {
    const buf = Buffer.allocUnsafe(FIRST_CHUNK);
    const n = readSync(fd, buf, 0, FIRST_CHUNK, 0);
    return hasPreamble(buf.subarray(0, n)) ? parseMeta(buf.subarray(0, n), 132)?.meta ?? null : null;
  } finally {
    closeSync(fd);
  }
}

/** Parses header bytes; `complete` says whether `bytes` is the whole file (so errors are final). */
export function parseHeaderBytes(bytes: Uint8Array, fileSize: number, complete: boolean): ParsedHeader {
  const hasPart10Header = hasPreamble(bytes);
  let meta: FileMeta | null = null;
  let datasetOffset = 0;
  if (hasPart10Header) {
    const parsed = parseMeta(bytes, 132);
    if (!parsed) throw new DicomFileError(complete ? 'The file meta information (group 0002) is truncated or corrupt' : 'meta header continues');
    ({ meta, end: datasetOffset } = parsed);
  } else if (looksLikeMeta(bytes, 0)) {
    // A meta header without the preamble: read as such (PS3.10 §7.1 requires the preamble; some writers omit it).
    const parsed = parseMeta(bytes, 0);
    if (parsed) ({ meta, end: datasetOffset } = parsed);
  }
  const declared = meta?.TransferSyntaxUID ?? '';
  if (hasPart10Header && !declared && datasetOffset >= bytes.length) {
    throw new DicomFileError('The file meta information has no Transfer Syntax UID (0002,0010), so the dataset cannot be decoded');
  }
  let dataSet: dicomParser.DataSet;
  let actualEncoding: string | undefined;
  try {
    if (declared === DEFLATED_LE) {
      dataSet = parseDeflated(bytes.subarray(datasetOffset), complete);
    } else {
      const sniffed = sniffDataset(bytes, datasetOffset, declared);
      if (!sniffed) throw new NotDicomError(bytes.length < datasetOffset + 8 ? 'too short to be DICOM' : 'no DICOM preamble and no recognisable dataset');
      if (sniffed !== declared) actualEncoding = sniffed;
      dataSet = parseDataset(bytes.subarray(datasetOffset), sniffed);
    }
  } catch (err) {
    throw parseFailure(err, complete);
  }
  const pixel = dataSet.elements[Tag.PixelData] ?? dataSet.elements[Tag.FloatPixelData] ?? dataSet.elements[Tag.DoubleFloatPixelData];
  // A header cut off before Pixel Data when more file remains: let the caller read further.
  if (!complete && !pixel) throw new DicomFileError('header continues past the bytes read');
  const transferSyntaxUID = declared || actualEncoding || '';
  const text = charsetDecoder(dataSet.string(Tag.SpecificCharacterSet));
  return {
    dataSet,
    bytes: dataSet.byteArray,
    fileSize,
    transferSyntaxUID,
    actualEncoding: declared ? actualEncoding : undefined,
    meta,
    hasPart10Header,
    datasetOffset,
    hasPixels: Boolean(pixel),
    text,
  };
}

/** The dataset up to Pixel Data, once its nesting is known to be within bounds. */
function parseDataset(bytes: Uint8Array, transferSyntaxUID: string): dicomParser.DataSet {
  const info = transferSyntaxInfo(transferSyntaxUID);
  if (nestedTooDeep(bytes, info.explicitVr, info.littleEndian)) throw new FinalHeaderError(TOO_DEEP);
  return dicomParser.parseDicom(bytes, { untilTag: Tag.PixelData, TransferSyntaxUID: transferSyntaxUID });
}

/**
 * A deflated dataset (PS3.5 §A.5), inflated only as far as its header goes (Pixel Data, or the
 * end) and never past MAX_HEADER bytes. `complete`: `deflated` runs to the end of the file.
 */
function parseDeflated(deflated: Uint8Array, complete: boolean): dicomParser.DataSet {
  const dataSet = inflateUntil(deflated, MAX_HEADER, complete, (inflated, ended) => {
    try {
      const ds = parseDataset(inflated, EXPLICIT_LE);
      return ended || ds.elements[Tag.PixelData] ? ds : null;
    } catch (err) {
      // Cut off mid-element: inflate more, unless there is no more.
      if (ended || err instanceof FinalHeaderError) throw err;
      return null;
    }
  });
  if (!dataSet) throw new DicomFileError('deflated header continues past the bytes read');
  return dataSet;
}

/** What may follow Pixel Data in a deflated dataset (padding, signatures) beyond what its header declares. */
const AFTER_PIXELS = 16 * 1024 * 1024;

/**
 * Inflates a whole deflated dataset (a file's bytes from its dataset offset, PS3.5 §A.5) no further
 * than its header says it holds: its header, its Pixel Data's declared length, and AFTER_PIXELS
 * (MAX_INFLATED at most). A few KB that claim a 1 KB image and inflate to gigabytes are refused
 * after ~16 MB. Throws InflateError or DicomFileError with a reason for a person.
 */
export function inflateDataset(deflated: Uint8Array): Buffer {
  let limit = MAX_INFLATED;
  try {
    const pixels = parseDeflated(deflated, true).elements[Tag.PixelData];
    if (pixels?.dataOffset !== undefined && !pixels.hadUndefinedLength) limit = Math.min(MAX_INFLATED, pixels.dataOffset + pixels.length + AFTER_PIXELS);
  } catch (err) {
    throw parseFailure(err, true);
  }
  return inflateBounded(deflated, limit);
}

/** A header error that more bytes cannot mend. */
class FinalHeaderError extends DicomFileError {}

/** What a parse failure means for a person; while more of the file remains to read (`complete` false), the raw message. */
function parseFailure(err: unknown, complete: boolean): Error {
  if (err instanceof NotDicomError || err instanceof DicomFileError) return err;
  if (err instanceof InflateError) return new FinalHeaderError(err.message);
  // A backstop for nesting nestedTooDeep cannot follow (dicom-parser recurses once per sequence level).
  if (err instanceof RangeError && /call stack/i.test(err.message)) return new FinalHeaderError(TOO_DEEP);
  const message = typeof err === 'string' ? err : err instanceof Error ? err.message : String((err as { exception?: unknown })?.exception ?? err);
  return new DicomFileError(complete ? explainParseError(message) : message);
}

/**
 * What the first bytes of a file say it is: DICOM (a Part 10 preamble and "DICM", PS3.10 §7.1, a
 * bare meta group, or a bare dataset starting in a low group), a DICOMDIR (its meta names the Media
 * Storage Directory SOP Class, PS3.10 §8.6), or not DICOM at all, which callers pass over quietly
 * as indexing does. 'dicom' promises nothing about the rest of the file.
 */
export function headKind(b: Uint8Array): 'dicom' | 'dicomdir' | 'not-dicom' {
  if (hasPreamble(b)) return parseMeta(b, 132)?.meta.MediaStorageSOPClassUID === MEDIA_STORAGE_DIRECTORY_SOP_CLASS ? 'dicomdir' : 'dicom';
  if (b.length >= 8 && b[0] === 0x02 && b[1] === 0x00) return 'dicom';
  return sniffDataset(b, 0, '') ? 'dicom' : 'not-dicom';
}

function explainParseError(message: string): string {
  if (/buffer overrun|overread|beyond|past (the )?end|exceed|seek|maxP ?osition|greater than or equal/i.test(message)) {
    return 'The file ends in the middle of an element: it is truncated or its lengths are corrupt';
  }
  return `The file could not be parsed as DICOM: ${message.replace(/^dicomParser[.:]\w*:\s*/, '')}`;
}

/** A text element's value, decoded by the dataset's character set, trailing padding removed. */
export function textValue(h: ParsedHeader, tag: string, isPersonName = false): string {
  const el = h.dataSet.elements[tag];
  if (!el || !el.length || el.dataOffset === undefined) return '';
  const raw = h.bytes.subarray(el.dataOffset, el.dataOffset + el.length);
  const text = h.text(raw).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  // Trailing empty component groups and components may be omitted (PS3.5 §6.2.1.2).
  return isPersonName ? text.replace(/[=^]+$/, '') : text;
}

/** An ASCII element value (UI, CS, DA, TM, IS …), trimmed; '' when absent. */
export function asciiValue(h: ParsedHeader, tag: string): string {
  return (h.dataSet.string(tag) ?? '').replace(/\0/g, '').trim();
}

/** An integer from a US or IS element (`vr` says which, for implicit VR files); null when absent. */
export function intValue(h: ParsedHeader, tag: string, vr: 'US' | 'IS'): number | null {
  const el = h.dataSet.elements[tag];
  if (!el || !el.length) return null;
  if ((el.vr ?? vr) === 'US') return h.dataSet.uint16(tag) ?? null;
  const n = Number.parseInt(asciiValue(h, tag), 10);
  return Number.isFinite(n) ? n : null;
}
