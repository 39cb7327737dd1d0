/**
 * How the bytes of a DICOM file are laid out before any element is parsed: the Part 10 preamble,
 * the File Meta Information (PS3.10 §7.1) and the encoding the dataset is really written in, sniffed
 * when there is no meta header or it does not tell the truth (PS3.5 §7). Pure byte logic, shared by
 * the indexer (electron/dicom/header.ts) and the viewer, which must read a file the same way.
 */
import { DEFLATED_LE, EXPLICIT_BE, EXPLICIT_LE, IMPLICIT_LE, transferSyntaxInfo } from './transferSyntax.ts';

/** The File Meta Information (PS3.10 §7.1): group 0002, always Explicit VR Little Endian. */
export interface FileMeta {
  TransferSyntaxUID: string;
  MediaStorageSOPClassUID: string;
  MediaStorageSOPInstanceUID: string;
}

/** The two-letter value representations (PS3.5 §6.2). */
export const VRS = new Set('AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '));
/** VRs whose explicit-VR header has a 32-bit length after two reserved bytes (PS3.5 §7.1.2). */
export const LONG_VRS = new Set('OB OD OF OL OV OW SQ UC UN UR UT SV UV'.split(' '));

/** True when `b` starts with the 128-byte preamble and "DICM" (PS3.10 §7.1). */
export const hasPreamble = (b: Uint8Array) => b.length >= 132 && b[128] === 0x44 && b[129] === 0x49 && b[130] === 0x43 && b[131] === 0x4d;

/** True when a group 0002 element with an explicit VR starts at `at` (a meta header without the preamble). */
export function looksLikeMeta(b: Uint8Array, at: number): boolean {
  return b.length >= at + 8 && b[at] === 0x02 && b[at + 1] === 0x00 && VRS.has(String.fromCharCode(b[at + 4], b[at + 5]));
}

/** Parses group 0002 from `start`; null when it runs past the bytes given. */
export function parseMeta(b: Uint8Array, start: number): { meta: FileMeta; end: number } | null {
  const meta: FileMeta = { TransferSyntaxUID: '', MediaStorageSOPClassUID: '', MediaStorageSOPInstanceUID: '' };
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = start;
  while (p + 8 <= b.length && view.getUint16(p, true) === 0x0002) {
    const element = view.getUint16(p + 2, true);
    const vr = String.fromCharCode(b[p + 4], b[p + 5]);
    let length: number;
    let valueAt: number;
    if (LONG_VRS.has(vr)) {
      if (p + 12 > b.length) return null;
      length = view.getUint32(p + 8, true);
      valueAt = p + 12;
    } else if (VRS.has(vr)) {
      length = view.getUint16(p + 6, true);
      valueAt = p + 8;
    } else {
      // Some writers put the meta header in implicit VR: a 4-byte length follows the tag.
      length = view.getUint32(p + 4, true);
      valueAt = p + 8;
    }
    if (valueAt + length > b.length) return null;
    const value = () => String.fromCharCode(...b.subarray(valueAt, valueAt + length)).replace(/[\0 ]+$/, '');
    if (element === 0x0010) meta.TransferSyntaxUID = value();
    else if (element === 0x0002) meta.MediaStorageSOPClassUID = value();
    else if (element === 0x0003) meta.MediaStorageSOPInstanceUID = value();
    p = valueAt + length;
  }
  return { meta, end: p };
}

/** How the dataset at `at` is really encoded: the declared syntax when its first element agrees, else
 * what the first element shows (pydicom does the same; some writers declare explicit and write implicit).
 * Without a declared syntax, the first element must be in a low group (0008 for almost every object);
 * null when the bytes do not look like a dataset at all. */
export function sniffDataset(b: Uint8Array, at: number, declared: string): string | null {
  if (b.length < at + 8) return declared || null;
  const groupLE = b[at] | (b[at + 1] << 8);
  const groupBE = (b[at] << 8) | b[at + 1];
  const explicit = VRS.has(String.fromCharCode(b[at + 4], b[at + 5]));
  if (declared) {
    const info = transferSyntaxInfo(declared);
    if (!info.littleEndian) return explicit || groupLE > 0xff ? declared : IMPLICIT_LE;
    if (info.explicitVr === explicit) return declared;
    return explicit ? EXPLICIT_LE : IMPLICIT_LE;
  }
  if (groupLE >= 0x0008 && groupLE <= 0x0010 && groupLE % 2 === 0) {
    if (explicit) return EXPLICIT_LE;
    const length = b[at + 4] | (b[at + 5] << 8) | (b[at + 6] << 16) | (b[at + 7] << 24);
    if (length >= 0 && length < 1024) return IMPLICIT_LE;
  }
  if (groupBE >= 0x0008 && groupBE <= 0x0010 && groupBE % 2 === 0 && explicit) return EXPLICIT_BE;
  return null;
}

/** Where a file's dataset starts, what it declares and how it is really encoded. */
export interface FileLayout {
  hasPart10Header: boolean;
  meta: FileMeta | null;
  /** Byte offset of the dataset (after the meta header). */
  datasetOffset: number;
  /** The transfer syntax the meta header declares, '' without one. */
  declared: string;
  /** The encoding the dataset is written in (the declared one for deflated files, which cannot be sniffed). */
  encoding: string;
}

/** Lays out a file from its first bytes; null when they are not DICOM. Throws when the meta header is cut off. */
export function fileLayout(b: Uint8Array): FileLayout | null {
  const hasPart10Header = hasPreamble(b);
  let meta: FileMeta | null = null;
  let datasetOffset = 0;
  if (hasPart10Header) {
    const parsed = parseMeta(b, 132);
    if (!parsed) throw new Error('The file meta information (group 0002) is truncated or corrupt');
    ({ meta, end: datasetOffset } = parsed);
  } else if (looksLikeMeta(b, 0)) {
    // A meta header without the preamble: read as such (PS3.10 §7.1 requires the preamble; some writers omit it).
    const parsed = parseMeta(b, 0);
    if (parsed) ({ meta, end: datasetOffset } = parsed);
  }
  const declared = meta?.TransferSyntaxUID ?? '';
  const encoding = declared === DEFLATED_LE ? declared : sniffDataset(b, datasetOffset, declared);
  return encoding ? { hasPart10Header, meta, datasetOffset, declared, encoding } : null;
}
