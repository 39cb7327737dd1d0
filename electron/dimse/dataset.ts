/**
 * DIMSE datasets as plain objects keyed by DICOM keyword (VRs from dcmjs's data dictionary; unknown
 * tags keyed "ggggeeee" with Uint8Array values): the small datasets services carry, such as
 * N-ACTION and N-EVENT-REPORT bodies (PS3.4). The bytes are read and written by the one dataset
 * codec (dicom/dataset.ts), in Implicit or Explicit VR Little Endian, sequences included.
 *
 * Not for files: C-STORE sends a file's own bytes and never decodes them.
 */
import { dcmjs } from '../dicom/dcmjs.ts';
import { DatasetError as CodecError, encode, EXPLICIT_VR_LE, IMPLICIT_VR_LE, readDataset, type Element, type Encoding } from '../dicom/dataset.ts';
import { EXPLICIT_LE, IMPLICIT_LE } from '../dicom/transferSyntax.ts';

/** One value: text (multi-valued as an array), numbers, raw bytes or a sequence of items. */
export type DatasetValue = string | string[] | number | number[] | Uint8Array | Dataset[] | null;
/** A dataset: keyword (or "ggggeeee") → value. */
export interface Dataset {
  [keyword: string]: DatasetValue;
}

/** A dataset that cannot be decoded or encoded. */
export class DatasetError extends Error {
  override name = 'DatasetError';
}

interface DictEntry {
  tag: string;
  vr: string;
  name: string;
}
// dcmjs ships no types; only its dictionary is used here.
const dictionary = () => dcmjs().data.DicomMetaDictionary as { dictionary: Record<string, DictEntry>; nameMap: Record<string, DictEntry> };

const STRING_VRS = new Set('AE AS CS DA DS DT IS LO LT PN SH ST TM UC UI UR UT'.split(' '));
const NUMBER_SIZES: Record<string, number> = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8, AT: 4, SV: 8, UV: 8 };
const MULTI_TEXT = new Set(['LT', 'ST', 'UT', 'UR']);

function tagOf(key: string): { tag: number; vr: string; name: string } {
  if (/^[0-9A-Fa-f]{8}$/.test(key)) {
    const tag = Number.parseInt(key, 16) >>> 0;
    const entry = entryOf(tag);
    return { tag, vr: entry?.vr ?? 'UN', name: key };
  }
  const e = dictionary().nameMap[key];
  if (!e) throw new DatasetError(`unknown keyword ${key}`);
  return { tag: Number.parseInt(e.tag.replace(/[(),]/g, ''), 16) >>> 0, vr: normaliseVr(e.vr), name: key };
}

function normaliseVr(vr: string): string {
  if (vr === 'ox' || vr === 'OB or OW') return 'OW';
  if (vr === 'xs' || vr === 'US or SS') return 'US';
  return vr.length === 2 ? vr : 'UN';
}

function entryOf(tag: number): { vr: string; name: string } | null {
  const hex = tag.toString(16).toUpperCase().padStart(8, '0');
  const e = dictionary().dictionary[`(${hex.slice(0, 4)},${hex.slice(4)})`];
  return e ? { vr: normaliseVr(e.vr), name: e.name } : null;
}

function valueBytes(vr: string, v: DatasetValue): Uint8Array {
  if (v === null || v === undefined) return new Uint8Array(0);
  if (STRING_VRS.has(vr)) {
    let s = Array.isArray(v) ? (v as unknown[]).map(String).join('\\') : String(v);
    if (s.length % 2) s += vr === 'UI' ? '\0' : ' ';
    return Buffer.from(s, 'latin1');
  }
  const size = NUMBER_SIZES[vr];
  if (size) {
    const nums = Array.isArray(v) ? (v as number[]) : [v as number];
    const b = Buffer.alloc(nums.length * size);
    nums.forEach((n, i) => {
      const at = i * size;
      if (vr === 'US') b.writeUInt16LE(n, at);
      else if (vr === 'SS') b.writeInt16LE(n, at);
      else if (vr === 'UL') b.writeUInt32LE(n, at);
      else if (vr === 'SL') b.writeInt32LE(n, at);
      else if (vr === 'FL') b.writeFloatLE(n, at);
      else if (vr === 'FD') b.writeDoubleLE(n, at);
      else if (vr === 'AT') {
        b.writeUInt16LE((n >>> 16) & 0xffff, at);
        b.writeUInt16LE(n & 0xffff, at + 2);
      } else if (vr === 'SV') b.writeBigInt64LE(BigInt(n), at);
      else b.writeBigUInt64LE(BigInt(n), at);
    });
    return b;
  }
  if (!(v instanceof Uint8Array)) throw new DatasetError(`a ${vr} value must be bytes`);
  return v;
}

/** The elements of a keyword dataset, in tag order. */
function toElements(ds: Dataset): Element[] {
  const elements: Element[] = [];
  for (const [key, v] of Object.entries(ds)) {
    if (v === undefined) continue;
    const { tag, vr } = tagOf(key);
    if (vr === 'SQ') {
      if (!Array.isArray(v)) throw new DatasetError('a sequence value must be an array of datasets');
      elements.push({ tag, vr, items: (v as Dataset[]).map(toElements) });
    } else {
      elements.push({ tag, vr, value: valueBytes(vr, v) });
    }
  }
  return elements.sort((a, b) => a.tag - b.tag);
}

function encodingOf(transferSyntax: string, what: string): Encoding {
  if (transferSyntax === IMPLICIT_LE) return IMPLICIT_VR_LE;
  if (transferSyntax === EXPLICIT_LE) return EXPLICIT_VR_LE;
  throw new DatasetError(`cannot ${what} small datasets in ${transferSyntax}`);
}

/** Encodes a dataset in Implicit or Explicit VR Little Endian, elements in tag order. */
export function encodeDataset(ds: Dataset, transferSyntax: string = IMPLICIT_LE): Buffer {
  return encode(toElements(ds), encodingOf(transferSyntax, 'encode'));
}

function decodeValue(vr: string, b: Buffer): DatasetValue {
  if (STRING_VRS.has(vr)) {
    const s = b.toString('latin1').replace(/[\0 ]+$/, '');
    if (MULTI_TEXT.has(vr)) return s;
    const parts = s.split('\\').map((x) => x.trim());
    return parts.length === 1 ? parts[0] : parts;
  }
  const size = NUMBER_SIZES[vr];
  if (size) {
    const nums: number[] = [];
    for (let at = 0; at + size <= b.length; at += size) {
      if (vr === 'US') nums.push(b.readUInt16LE(at));
      else if (vr === 'SS') nums.push(b.readInt16LE(at));
      else if (vr === 'UL') nums.push(b.readUInt32LE(at));
      else if (vr === 'SL') nums.push(b.readInt32LE(at));
      else if (vr === 'FL') nums.push(b.readFloatLE(at));
      else if (vr === 'FD') nums.push(b.readDoubleLE(at));
      else if (vr === 'AT') nums.push(((b.readUInt16LE(at) << 16) | b.readUInt16LE(at + 2)) >>> 0);
      else if (vr === 'SV') nums.push(Number(b.readBigInt64LE(at)));
      else nums.push(Number(b.readBigUInt64LE(at)));
    }
    return nums.length === 1 ? nums[0] : nums;
  }
  return new Uint8Array(b);
}

/** The keyword dataset of read elements. */
function fromElements(elements: readonly Element[]): Dataset {
  const ds: Dataset = {};
  for (const el of elements) {
    const known = entryOf(el.tag);
    const key = known?.name ?? el.tag.toString(16).toUpperCase().padStart(8, '0');
    if (el.items) ds[key] = el.items.map(fromElements);
    else if (el.value) ds[key] = decodeValue(el.vr, Buffer.from(el.value.buffer, el.value.byteOffset, el.value.byteLength));
  }
  return ds;
}

/** Decodes a small dataset (Implicit or Explicit VR Little Endian). Throws DatasetError when malformed. */
export function decodeDataset(bytes: Uint8Array, transferSyntax: string = IMPLICIT_LE): Dataset {
  const enc = encodingOf(transferSyntax, 'decode');
  try {
    return fromElements(readDataset(bytes, 0, enc, undefined, { vrOf: (tag) => entryOf(tag)?.vr }));
  } catch (err) {
    if (err instanceof CodecError) throw new DatasetError(err.message);
    throw err;
  }
}
