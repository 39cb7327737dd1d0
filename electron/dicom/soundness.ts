/**
 * Is this file sound: a parsed file whose bytes can go to a peer (or a file-set) as they are. A file
 * that declares one transfer syntax but is encoded in another, has no File Meta Information, lacks its
 * UIDs or is truncated gets a clear reason instead of being sent as garbage (dcmjs-dimse padded
 * truncated files and sent them with Success: docs/dimse.md). The indexer records the answer
 * (library/examine.ts) and a send checks a file it has not indexed (send/preflight.ts).
 */
import { readSync } from 'node:fs';
import dicomParser from 'dicom-parser';
import { asciiValue, inflateDataset, type ParsedHeader } from './header.ts';
import { Tag } from './tags.ts';
import { DEFLATED_LE, EXPLICIT_LE, transferSyntaxInfo } from './transferSyntax.ts';

/** The SOP Class and Instance UIDs of a file: from its dataset, else from its meta header ('' when neither has one). */
export function uidsOf(h: ParsedHeader): { sopClassUid: string; sopInstanceUid: string } {
  return {
    sopClassUid: asciiValue(h, Tag.SOPClassUID) || h.meta?.MediaStorageSOPClassUID || '',
    sopInstanceUid: asciiValue(h, Tag.SOPInstanceUID) || h.meta?.MediaStorageSOPInstanceUID || '',
  };
}

/**
 * Why a parsed file cannot be sent as it is, or null when it can. The file's bytes are read from
 * `whole` (the whole file in memory) or `fd` (the item headers of encapsulated pixel data only).
 * The indexer records the answer, so a send of an unchanged file need not parse it again.
 */
export function soundnessProblem(h: ParsedHeader, file: { whole: Buffer } | { fd: number }): string | null {
  if (!h.meta || !h.meta.TransferSyntaxUID) return 'No File Meta Information (PS3.10 §7.1): the transfer syntax is a guess, so the file is not sent as it is';
  if (h.actualEncoding) {
    return `Declares ${transferSyntaxInfo(h.transferSyntaxUID).name} but is encoded as ${transferSyntaxInfo(h.actualEncoding).name}: sending its bytes would give the receiver garbage`;
  }
  if (h.datasetOffset >= h.fileSize) return 'The file has no dataset after its meta header';
  // Every element must fit in the file, in every transfer syntax (PS3.5 §7.1): a header cut short, or an
  // element declaring more bytes than there are, is not sent (dicom-parser reads such an implicit VR file
  // without complaint, stopping where the bytes stop).
  const unfit = elementsProblem(h.dataSet, h.bytes.length, true);
  if (unfit) return unfit;
  if (!h.hasPixels && h.dataSet.elements[Tag.Rows] && h.dataSet.elements[Tag.Columns]) {
    return 'Truncated: the file ends before its Pixel Data (7FE0,0010), though Rows and Columns say it is an image';
  }
  const { sopClassUid, sopInstanceUid } = uidsOf(h);
  if (!sopClassUid) return 'No SOP Class UID (0008,0016)';
  if (!sopInstanceUid) return 'No SOP Instance UID (0008,0018)';
  // A PACS files an instance under its study and series; without them it has no place.
  const unfiled = unfiledProblem(h);
  if (unfiled) return unfiled;
  const problem = h.transferSyntaxUID === DEFLATED_LE ? deflatedProblem(h, file) : pixelDataProblem(h, fileSpace(h, file));
  if (problem) return problem;
  // Every element has an even length (PS3.5 §7.1.1), so an odd dataset is cut or corrupt; a deflated
  // stream may be odd and is padded when sent (PS3.5 §A.5).
  if ((h.fileSize - h.datasetOffset) % 2 && h.transferSyntaxUID !== DEFLATED_LE) return `The dataset has an odd length (${h.fileSize - h.datasetOffset} bytes): the file is truncated or corrupt`;
  return null;
}

/**
 * Why a file without a Study or Series Instance UID goes nowhere, or null when it has both. Both are
 * Type 1 in every IOD's General Study and General Series modules (PS3.3 C.7.2.1, C.7.3.1): a PACS
 * files by them and a DICOMDIR has no place without them. The library still shows such a file (Unfiled).
 */
export function unfiledProblem(h: ParsedHeader): string | null {
  const missing = [!asciiValue(h, Tag.StudyInstanceUID) && 'Study Instance UID (0020,000D)', !asciiValue(h, Tag.SeriesInstanceUID) && 'Series Instance UID (0020,000E)'].filter(Boolean);
  if (!missing.length) return null;
  return `No ${missing.join(' and no ')}: a receiver or a DICOMDIR has no study or series to file it under, so it is not sent or exported (the library shows it under Unfiled)`;
}

/** Where the dataset's bytes are: a range of the file (read whole, or through `fd`), or an inflated deflated dataset. */
interface Space {
  /** Offset of the dataset's first byte. */
  datasetOffset: number;
  /** Where the bytes end. */
  size: number;
  /** How the dataset is encoded (Explicit VR Little Endian once inflated). */
  ts: string;
  /** Copies up to 8 bytes at `pos` into `head`; returns how many. */
  read(head: Buffer, pos: number): number;
  /** The bytes [from, size) (trailing elements). */
  tail(from: number): Uint8Array | null;
}

/** The file as a Space. */
function fileSpace(h: ParsedHeader, file: { whole: Buffer } | { fd: number }): Space {
  return {
    datasetOffset: h.datasetOffset,
    size: h.fileSize,
    ts: h.actualEncoding ?? h.transferSyntaxUID,
    read: (head, pos) => ('whole' in file ? file.whole.copy(head, 0, pos, pos + 8) : readSync(file.fd, head, 0, 8, pos)),
    tail: (from) => {
      if ('whole' in file) return file.whole.subarray(from, h.fileSize);
      const tail = Buffer.alloc(h.fileSize - from);
      return readSync(file.fd, tail, 0, tail.length, from) === tail.length ? tail : null;
    },
  };
}

/** The most of a deflated dataset the check reads (whole files, inflated once): beyond it, the file is not sent as it is. */
const MAX_DEFLATED_CHECK = 256 * 1024 * 1024;

/**
 * Why a Deflated Explicit VR Little Endian file (PS3.5 §A.5) cannot be sent as it is: its deflate stream
 * must end within the file (a cut stream inflates to a dataset cut short, which the header alone does not
 * show), and its Pixel Data and every element after it must fit in what it inflates to.
 */
function deflatedProblem(h: ParsedHeader, file: { whole: Buffer } | { fd: number }): string | null {
  const size = h.fileSize - h.datasetOffset;
  if (size > MAX_DEFLATED_CHECK) return `The deflated dataset is ${size} bytes, more than Courier checks (${MAX_DEFLATED_CHECK / 1024 / 1024} MB): the file is not sent as it is`;
  let deflated: Uint8Array;
  if ('whole' in file) {
    deflated = file.whole.subarray(h.datasetOffset, h.fileSize);
  } else {
    deflated = Buffer.alloc(size);
    if (readSync(file.fd, deflated, 0, size, h.datasetOffset) !== size) return 'The file changed while it was read';
  }
  let inflated: Buffer;
  try {
    inflated = inflateDataset(deflated);
  } catch (err) {
    return `Truncated or corrupt: ${(err as Error).message}`;
  }
  return pixelDataProblem(h, {
    datasetOffset: 0,
    size: inflated.length,
    ts: EXPLICIT_LE,
    read: (head, pos) => inflated.copy(head, 0, pos, pos + 8),
    tail: (from) => inflated.subarray(from),
  });
}

/** Checks that the pixel data element is complete in `space`: its length fits, or its fragments end with a delimiter; then what follows it. */
function pixelDataProblem(h: ParsedHeader, space: Space): string | null {
  const el = h.dataSet.elements[Tag.PixelData] ?? h.dataSet.elements[Tag.FloatPixelData] ?? h.dataSet.elements[Tag.DoubleFloatPixelData];
  if (!el || el.dataOffset === undefined) return null;
  const start = space.datasetOffset + el.dataOffset;
  if (!el.hadUndefinedLength) {
    if (start + el.length > space.size) return `Truncated: Pixel Data needs ${el.length} bytes but the ${space.datasetOffset ? 'file' : 'dataset'} ends ${space.size - start} bytes into it`;
    return trailingProblem(space, start + el.length);
  }
  const littleEndian = transferSyntaxInfo(space.ts).littleEndian;
  const head = Buffer.alloc(8);
  let p = start;
  for (let items = 0; items < 10_000_000; items++) {
    if (p + 8 > space.size || space.read(head, p) < 8) return 'Truncated: the encapsulated Pixel Data has no sequence delimiter (the file ends inside it)';
    const group = littleEndian ? head.readUInt16LE(0) : head.readUInt16BE(0);
    const element = littleEndian ? head.readUInt16LE(2) : head.readUInt16BE(2);
    const len = littleEndian ? head.readUInt32LE(4) : head.readUInt32BE(4);
    if (group === 0xfffe && element === 0xe0dd) return trailingProblem(space, p + 8);
    if (group !== 0xfffe || element !== 0xe000 || len === 0xffffffff) return `Malformed encapsulated Pixel Data at byte ${p}`;
    p += 8 + len;
    if (p > space.size) return 'Truncated: a Pixel Data fragment runs past the end of the file';
  }
  return 'Malformed encapsulated Pixel Data (too many fragments)';
}

const tagName = (tag: string) => `(${tag.slice(1, 5).toUpperCase()},${tag.slice(5).toUpperCase()})`;

const PIXEL_TAGS = new Set<string>([Tag.PixelData, Tag.FloatPixelData, Tag.DoubleFloatPixelData]);

/**
 * Why some element of `dataSet` (items included) does not fit in `available` bytes, or null (PS3.5 §7.1).
 * In a header (`header`), Pixel Data is where reading stopped: pixelDataProblem checks it against the file.
 */
function elementsProblem(dataSet: dicomParser.DataSet, available: number, header = false): string | null {
  // dicom-parser notes, rather than throws, a sequence or item the bytes end inside of.
  const warnings = dataSet.warnings;
  if (warnings?.length && warnings.some((w) => /eof|end of (the )?(buffer|file)|past the end/i.test(w))) return 'Truncated: the file ends inside a sequence or item';
  // for…in, not Object.entries: this runs for every file indexed (5,000 small files: 108 → ms less).
  const elements = dataSet.elements;
  for (const tag in elements) {
    const el = elements[tag];
    if (el.dataOffset === undefined || el.length === undefined || (header && PIXEL_TAGS.has(tag))) continue;
    if (!el.hadUndefinedLength && el.dataOffset + el.length > available) {
      return `Truncated or corrupt: element ${tagName(tag)} declares ${el.length} bytes but the file ends ${Math.max(0, available - el.dataOffset)} bytes into it`;
    }
    const items = el.items;
    if (items) {
      for (const item of items) {
        const inner = item.dataSet ? elementsProblem(item.dataSet, available) : null;
        if (inner) return inner;
      }
    }
  }
  return null;
}

/** Elements after Pixel Data (Data Set Trailing Padding, rarely more) are read and must fit too; more than this is not checked, so not sent. */
const MAX_TRAILING = 16 * 1024 * 1024;

/** Why the elements from `at` (just after Pixel Data) to the end of `space` do not fit, or null. */
function trailingProblem(space: Space, at: number): string | null {
  const size = space.size - at;
  if (size <= 0) return null;
  if (size > MAX_TRAILING) return `${size} bytes follow the Pixel Data, more than Courier checks (${MAX_TRAILING / 1024 / 1024} MB): the file is not sent as it is`;
  const tail = space.tail(at);
  if (!tail) return 'The file changed while it was read';
  if (tail.every((b) => b === 0)) return null; // zero padding after the last element: harmless, as readers treat it
  let dataSet: dicomParser.DataSet;
  try {
    dataSet = dicomParser.parseDicom(tail, { TransferSyntaxUID: space.ts });
  } catch (err) {
    // dicom-parser throws strings, or objects with `exception`.
    const message = typeof err === 'string' ? err : err instanceof Error ? err.message : String((err as { exception?: unknown })?.exception ?? err);
    if (/overrun|overread|beyond|past (the )?end|exceed/i.test(message)) return 'Truncated: the file ends in the middle of an element after the Pixel Data';
    return `Truncated or corrupt after the Pixel Data: ${message.replace(/^dicomParser[.:]\w*:\s*/, '')}`;
  }
  return elementsProblem(dataSet, tail.length);
}
