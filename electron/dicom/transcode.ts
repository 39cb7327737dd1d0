/**
 * Transcoding, for export and for C-STORE: reading a source file and turning it into what a media
 * profile or a peer allows — the file's own bytes when they already conform, else a new Part 10 file
 * in Explicit VR Little Endian (re-encoded, and decompressed when its compression is not allowed),
 * or for a peer a dataset in Explicit or Implicit VR Little Endian. Every other value's bytes are kept.
 */
import { readRegularFile } from './files.ts';
import { inflateDataset } from './header.ts';
import { DEFLATED_LE, EXPLICIT_BE, EXPLICIT_LE, IMPLICIT_LE, transferSyntaxInfo } from './transferSyntax.ts';
import {
  ascii,
  DatasetError,
  encode,
  EXPLICIT_VR_LE,
  find,
  IMPLICIT_VR_LE,
  put,
  readDatasetUntil,
  remove,
  T,
  textElement,
  type Element,
  type Encoding,
} from './dataset.ts';
import { part10 } from './part10.ts';
import { codecFor, decodePixels, loadCodecs, lossyMethod, nativePixelProblem, pixelLayout } from './pixels.ts';

/** A source file, parsed. */
export interface Source {
  path: string;
  bytes: Uint8Array;
  /** The transfer syntax declared in the meta header ('' without one). */
  declaredTs: string;
  /** How the dataset really is encoded (the declared syntax unless the file lies or has no meta). */
  ts: string;
  /** The syntax the pixel data is compressed with: the declared one when it is encapsulated. */
  pixelTs: string;
  /** The dataset has Pixel Data (or Float / Double Float Pixel Data). */
  hasPixels: boolean;
  hasPart10Header: boolean;
  metaComplete: boolean;
  /** The top-level dataset elements (values little endian, pixel data included). */
  elements: Element[];
  SOPClassUID: string;
  SOPInstanceUID: string;
}

const VRS = new Set('AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '));

/** Reads and parses a file for export; throws DatasetError with a reason for a person. */
export function readSource(path: string): Source {
  return parseSource(path, readRegularFile(path), true);
}

/** Parses a file's bytes; with `complete` false (only the head of the file), reading stops before Pixel Data. */
export function parseSource(path: string, bytes: Uint8Array, complete: boolean): Source {
  const latin1 = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  const hasPart10Header = bytes.length >= 132 && latin1(128, 132) === 'DICM';
  let declaredTs = '';
  let metaElements: Element[] = [];
  let offset = 0;
  const metaAt = hasPart10Header ? 132 : bytes.length >= 8 && bytes[0] === 2 && bytes[1] === 0 ? 0 : -1;
  if (metaAt >= 0) {
    const explicit = VRS.has(latin1(metaAt + 4, metaAt + 6));
    const r = readDatasetUntil(bytes, metaAt, { explicitVr: explicit, littleEndian: true }, 0x00030000);
    metaElements = r.elements;
    offset = r.end;
    declaredTs = ascii(metaElements, T.TransferSyntaxUID);
  }
  let data: Uint8Array = bytes;
  let ts = declaredTs;
  if (declaredTs === DEFLATED_LE) {
    if (!complete) throw new DatasetError('a deflated file is read whole');
    try {
      data = inflateDataset(bytes.subarray(offset));
    } catch (err) {
      throw new DatasetError((err as Error).message);
    }
    offset = 0;
  } else {
    ts = sniff(bytes, offset, declaredTs);
  }
  const info = transferSyntaxInfo(ts === DEFLATED_LE ? EXPLICIT_LE : ts);
  const enc: Encoding = { explicitVr: info.explicitVr, littleEndian: info.littleEndian };
  const { elements, end } = readDatasetUntil(data, offset, enc, complete ? undefined : T.PixelData);
  // A head that ends before Pixel Data may have cut an element off: only a head that reached Pixel Data is used.
  const tagAt = (at: number) => {
    const v = new DataView(data.buffer, data.byteOffset + at, 4);
    return ((v.getUint16(0, enc.littleEndian) << 16) | v.getUint16(2, enc.littleEndian)) >>> 0;
  };
  const stoppedAtPixels = end + 4 <= data.length && tagAt(end) === T.PixelData;
  if (!complete && !stoppedAtPixels) throw new DatasetError('the head read ends before Pixel Data: the file is read whole (not truncated)');
  const hasPixels = complete ? elements.some((e) => e.tag === T.PixelData || e.tag === 0x7fe00008 || e.tag === 0x7fe00009) : true;
  const SOPClassUID = ascii(elements, T.SOPClassUID) || ascii(metaElements, 0x00020002);
  const SOPInstanceUID = ascii(elements, T.SOPInstanceUID) || ascii(metaElements, 0x00020003);
  if (!SOPClassUID || !SOPInstanceUID) throw new DatasetError('The file has no SOP Class UID or SOP Instance UID (0008,0016/0018)');
  const metaComplete =
    Boolean(declaredTs) &&
    ascii(metaElements, 0x00020002) === SOPClassUID &&
    ascii(metaElements, 0x00020003) === SOPInstanceUID &&
    Boolean(find(metaElements, 0x00020001)) &&
    Boolean(ascii(metaElements, 0x00020012)) &&
    Boolean(find(metaElements, T.FileMetaGroupLength));
  const pixelTs = declaredTs && transferSyntaxInfo(declaredTs).encapsulated ? declaredTs : ts;
  return { path, bytes, declaredTs, ts, pixelTs, hasPixels, hasPart10Header, metaComplete, elements, SOPClassUID, SOPInstanceUID };
}

/** How the dataset at `at` is encoded: the declared syntax when its first element agrees, else what it shows. */
function sniff(b: Uint8Array, at: number, declared: string): string {
  if (b.length < at + 8) throw new DatasetError('The file is too short to hold a dataset');
  const explicit = VRS.has(String.fromCharCode(b[at + 4], b[at + 5]));
  if (declared) {
    const info = transferSyntaxInfo(declared);
    if (!info.littleEndian) return explicit ? declared : IMPLICIT_LE;
    if (info.explicitVr === explicit) return declared;
    return explicit ? EXPLICIT_LE : IMPLICIT_LE;
  }
  const groupLE = b[at] | (b[at + 1] << 8);
  if (groupLE >= 0x0002 && groupLE <= 0x0010 && groupLE % 2 === 0) return explicit ? EXPLICIT_LE : IMPLICIT_LE;
  const groupBE = (b[at] << 8) | b[at + 1];
  if (groupBE >= 0x0008 && groupBE <= 0x0010 && explicit) return EXPLICIT_BE;
  throw new DatasetError('The file has no DICOM preamble and no recognisable dataset');
}

/** What export does with one file. */
export interface Prepared {
  /** The bytes to write. */
  bytes: Uint8Array;
  /** The transfer syntax of the written file. */
  ts: string;
  /** The written file differs from the source's transfer syntax. */
  transcoded: boolean;
  /** A note for the report (e.g. "decompressed from JPEG Baseline; lossy original"). */
  note?: string;
}

/** Prepares `src` for a profile allowing `allowed` transfer syntaxes (Explicit VR LE always allowed). */
export function prepare(src: Source, allowed: ReadonlySet<string>): Prepared {
  const conforming = allowed.has(src.ts) && src.ts === src.declaredTs;
  if (conforming && src.hasPart10Header && src.metaComplete) return { bytes: src.bytes, ts: src.ts, transcoded: false };
  const c = convert(src, allowed);
  const bytes = part10(c.elements, { transferSyntaxUid: c.ts, sopClassUid: src.SOPClassUID, sopInstanceUid: src.SOPInstanceUID });
  const note = c.decompressed ?? (src.ts !== EXPLICIT_LE ? `re-encoded from ${transferSyntaxInfo(src.pixelTs).name}` : 'file meta information rewritten');
  return { bytes, ts: c.ts, transcoded: c.ts !== src.ts || c.ts !== src.declaredTs, note };
}

/** A source's elements made to fit: its pixels kept in an allowed compression, else native. */
interface Converted {
  elements: Element[];
  /** Explicit VR Little Endian, or the source's compression when allowed. */
  ts: string;
  /** Set when the pixels were decompressed: what was done, for the report. */
  decompressed?: string;
}

/**
 * The elements of `src` with its pixel data in a syntax of `allowed`, else decompressed to native
 * (PS3.5 §8.1), checked by the guard every transcode passes: native Pixel Data must be exactly as long
 * as its attributes require (packed bits for 1-bit), else nothing is written and the reason is thrown.
 */
function convert(src: Source, allowed: ReadonlySet<string>): Converted {
  // Group lengths (retired, and wrong once the encoding changes) and trailing padding are left out, at every depth.
  const clean = (list: Element[]): Element[] =>
    list.filter((e) => e.tag !== 0xfffcfffc && (e.tag & 0xffff) !== 0).map((e) => (e.items ? { ...e, items: e.items.map(clean) } : e));
  const elements = clean(src.elements);
  const info = transferSyntaxInfo(src.pixelTs);
  const pixel = find(elements, T.PixelData);
  if (pixel?.fragments && allowed.has(src.pixelTs) && info.encapsulated) return { elements, ts: src.pixelTs };
  let decompressed: string | undefined;
  if (pixel?.fragments) {
    if (!codecFor(src.pixelTs)) throw new DatasetError(`${info.name} pixel data cannot be decompressed by Courier, and the profile does not allow it`);
    let decoded;
    try {
      decoded = decodePixels(elements, src.pixelTs);
    } catch (err) {
      throw new DatasetError(`${info.name} pixel data could not be decompressed exactly, so nothing is written: ${String((err as Error).message ?? err).trim()}`);
    }
    const layout = pixelLayout(elements);
    put(elements, { tag: T.PixelData, vr: layout.bitsAllocated <= 8 ? 'OB' : 'OW', value: decoded.pixels });
    put(elements, textElement(T.PhotometricInterpretation, 'CS', decoded.photometric));
    if (layout.samples > 1) put(elements, { tag: T.PlanarConfiguration, vr: 'US', value: new Uint8Array([decoded.planarConfiguration, 0]) });
    remove(elements, T.ExtendedOffsetTable);
    remove(elements, T.ExtendedOffsetTableLengths);
    const method = lossyMethod(src.pixelTs);
    if (info.lossy || ascii(elements, T.LossyImageCompression) === '01') {
      // Once lossy, always flagged as lossy (PS3.3 C.7.6.1.1.5).
      put(elements, textElement(T.LossyImageCompression, 'CS', '01'));
      if (method && !find(elements, T.LossyImageCompressionMethod)) put(elements, textElement(T.LossyImageCompressionMethod, 'CS', method));
      decompressed = `decompressed from ${info.name} (lossy original: Lossy Image Compression = 01)`;
    } else {
      decompressed = `decompressed from ${info.name}`;
    }
  }
  const native = find(elements, T.PixelData)?.value;
  if (native) {
    let problem: string | null;
    try {
      problem = nativePixelProblem(pixelLayout(elements), native.length);
    } catch (err) {
      problem = (err as Error).message;
    }
    if (problem) throw new DatasetError(`Not written, the pixels would not be what the attributes say: ${problem}`);
  }
  return { elements, ts: EXPLICIT_LE, decompressed };
}

/** Largest file we transcode in memory. */
const MAX_TRANSCODE = 512 * 1024 * 1024;

/** True when `from` can be transcoded to `to` (Explicit or Implicit VR LE) without loss by `transcodeDataset`. */
export function canTranscode(from: string, to: string): boolean {
  if ((to !== EXPLICIT_LE && to !== IMPLICIT_LE) || from === to) return false;
  return !transferSyntaxInfo(from).encapsulated || codecFor(from) !== null;
}

/** A transcoded dataset, and what was done to it (for the instance's message). */
export interface Transcoded {
  dataset: Buffer;
  note: string;
}

/**
 * Reads the file at `path` and returns its dataset encoded in `to` (Explicit or Implicit VR LE), for a
 * peer that accepts none of the syntaxes the file already is. Decompressing adds no loss; a lossy
 * original stays flagged as lossy (PS3.3 C.7.6.1.1.5); every other value's bytes are kept. The result is
 * never byte-identical, which is why the sender records it.
 */
export async function transcodeDataset(path: string, size: number, to: string): Promise<Transcoded> {
  if (size > MAX_TRANSCODE) throw new Error(`Too large to transcode in memory (${size} bytes)`);
  const src = readSource(path);
  if (codecFor(src.pixelTs)) await loadCodecs();
  const c = convert(src, new Set());
  const implicit = to === IMPLICIT_LE;
  const dataset = encode(c.elements, implicit ? IMPLICIT_VR_LE : EXPLICIT_VR_LE);
  const into = implicit ? ', in Implicit VR Little Endian' : '';
  return { dataset, note: c.decompressed ? `${c.decompressed}${into}` : `re-encoded from ${transferSyntaxInfo(src.ts).name}${into || ' to Explicit VR Little Endian'}` };
}
