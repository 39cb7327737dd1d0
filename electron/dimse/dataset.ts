/**
 * A tiny dataset codec for the small datasets DIMSE services carry (N-ACTION, N-EVENT-REPORT
 * bodies such as storage commitment requests and reports, PS3.4 Annex J): Implicit or Explicit VR
 * Little Endian, sequences included. Datasets are plain objects keyed by DICOM keyword (VRs from
 * dcmjs's dictionary); unknown tags may be keyed "ggggeeee" with Uint8Array values.
 *
 * Not for files: C-STORE sends a file's own bytes and never decodes them.
 */
import { dcmjs } from '../dicom/dcmjs.ts';
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
const LONG_VRS = new Set('OB OD OF OL OV OW SQ UC UN UR UT SV UV'.split(' '));
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

function encodeValue(vr: string, v: DatasetValue, explicit: boolean): Buffer {
  if (v === null || v === undefined) return Buffer.alloc(0);
  if (vr === 'SQ') {
    if (!Array.isArray(v)) throw new DatasetError('a sequence value must be an array of datasets');
    return Buffer.concat(
      (v as Dataset[]).map((ds) => {
        const body = encodeDataset(ds, explicit ? EXPLICIT_LE : IMPLICIT_LE);
        const h = Buffer.alloc(8);
        h.writeUInt16LE(0xfffe, 0);
        h.writeUInt16LE(0xe000, 2);
        h.writeUInt32LE(body.length, 4);
        return Buffer.concat([h, body]);
      }),
    );
  }
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
  const b = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return b.length % 2 ? Buffer.concat([b, Buffer.alloc(1)]) : b;
}

/** Encodes a dataset in Implicit or Explicit VR Little Endian, elements in tag order. */
export function encodeDataset(ds: Dataset, transferSyntax: string = IMPLICIT_LE): Buffer {
  if (transferSyntax !== IMPLICIT_LE && transferSyntax !== EXPLICIT_LE) throw new DatasetError(`cannot encode small datasets in ${transferSyntax}`);
  const explicit = transferSyntax === EXPLICIT_LE;
  const elements = Object.entries(ds)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ({ ...tagOf(k), v }))
    .sort((a, b) => a.tag - b.tag);
  const parts: Buffer[] = [];
  for (const { tag, vr, v } of elements) {
    const value = encodeValue(vr, v, explicit);
    let h: Buffer;
    if (!explicit) {
      h = Buffer.alloc(8);
      h.writeUInt32LE(value.length, 4);
    } else if (LONG_VRS.has(vr)) {
      h = Buffer.alloc(12);
      h.write(vr, 4, 'latin1');
      h.writeUInt32LE(value.length, 8);
    } else {
      if (value.length > 0xffff) throw new DatasetError(`value of ${vr} too long`);
      h = Buffer.alloc(8);
      h.write(vr, 4, 'latin1');
      h.writeUInt16LE(value.length, 6);
    }
    h.writeUInt16LE(tag >>> 16, 0);
    h.writeUInt16LE(tag & 0xffff, 2);
    parts.push(h, value);
  }
  return Buffer.concat(parts);
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

/** Decodes a small dataset (Implicit or Explicit VR Little Endian). Throws DatasetError when malformed. */
export function decodeDataset(bytes: Uint8Array, transferSyntax: string = IMPLICIT_LE): Dataset {
  if (transferSyntax !== IMPLICIT_LE && transferSyntax !== EXPLICIT_LE) throw new DatasetError(`cannot decode small datasets in ${transferSyntax}`);
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { ds } = readDataset(b, 0, b.length, transferSyntax === EXPLICIT_LE, false);
  return ds;
}

function readDataset(b: Buffer, start: number, end: number, explicit: boolean, inUndefinedItem: boolean): { ds: Dataset; end: number } {
  const ds: Dataset = {};
  let p = start;
  while (p < end) {
    if (p + 8 > end) throw new DatasetError('dataset ends inside an element header');
    const group = b.readUInt16LE(p);
    const element = b.readUInt16LE(p + 2);
    const tag = ((group << 16) | element) >>> 0;
    if (tag === 0xfffee00d) {
      if (!inUndefinedItem) throw new DatasetError('item delimiter outside an item');
      return { ds, end: p + 8 };
    }
    let vr: string;
    let len: number;
    let valueAt: number;
    const known = entryOf(tag);
    if (explicit) {
      vr = b.toString('latin1', p + 4, p + 6);
      if (LONG_VRS.has(vr)) {
        if (p + 12 > end) throw new DatasetError('dataset ends inside an element header');
        len = b.readUInt32LE(p + 8);
        valueAt = p + 12;
      } else {
        len = b.readUInt16LE(p + 6);
        valueAt = p + 8;
      }
    } else {
      vr = known?.vr ?? 'UN';
      len = b.readUInt32LE(p + 4);
      valueAt = p + 8;
    }
    const key = known?.name ?? tag.toString(16).toUpperCase().padStart(8, '0');
    if (vr === 'SQ' || (len === 0xffffffff && vr === 'UN')) {
      const items: Dataset[] = [];
      const undefinedLength = len === 0xffffffff;
      const seqEnd = undefinedLength ? end : valueAt + len;
      if (seqEnd > end) throw new DatasetError(`sequence ${key} runs past the dataset`);
      let q = valueAt;
      for (;;) {
        if (q >= seqEnd) {
          if (undefinedLength) throw new DatasetError(`sequence ${key} has no delimiter`);
          break;
        }
        if (q + 8 > seqEnd) throw new DatasetError(`sequence ${key} ends inside an item header`);
        const itag = ((b.readUInt16LE(q) << 16) | b.readUInt16LE(q + 2)) >>> 0;
        const ilen = b.readUInt32LE(q + 4);
        if (itag === 0xfffee0dd) {
          q += 8;
          break;
        }
        if (itag !== 0xfffee000) throw new DatasetError(`sequence ${key} contains a non-item`);
        if (ilen === 0xffffffff) {
          const r = readDataset(b, q + 8, seqEnd, explicit, true);
          items.push(r.ds);
          q = r.end;
        } else {
          if (q + 8 + ilen > seqEnd) throw new DatasetError(`an item of ${key} runs past its sequence`);
          items.push(readDataset(b, q + 8, q + 8 + ilen, explicit, false).ds);
          q += 8 + ilen;
        }
      }
      ds[key] = items;
      p = q;
      continue;
    }
    if (len === 0xffffffff) throw new DatasetError(`element ${key} has undefined length`);
    if (valueAt + len > end) throw new DatasetError(`element ${key} runs past the dataset`);
    ds[key] = decodeValue(vr, b.subarray(valueAt, valueAt + len));
    p = valueAt + len;
  }
  if (inUndefinedItem) throw new DatasetError('item without delimiter');
  return { ds, end: p };
}
