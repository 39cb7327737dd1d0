/**
 * The one DICOM dataset reader and writer (PS3.5 §7): reads any uncompressed transfer syntax (explicit or
 * implicit VR, little or big endian) into elements whose values are little endian bytes, and writes
 * elements in Explicit or Implicit VR Little Endian. Files (export, transcoding, the DICOMDIR) and the
 * datasets DIMSE messages carry (dimse/dataset.ts, dimse/commitMessages.ts) all go through it.
 *
 * Why not dcmjs: its write path rewrites Specific Character Set to ISO_IR 192 and re-encodes text,
 * drops private elements, reformats DS values and re-fragments encapsulated frames (see
 * docs/dimse.md). A file-set must hold the same data as its source, so Courier reads the
 * elements itself and writes every value's bytes unchanged — only the framing changes (implicit → explicit
 * VR, big → little endian, sequences re-delimited) and numbers are byte-swapped where the VR says so.
 */
import { dcmjs } from './dcmjs.ts';

/** One element read from a dataset, values already in little endian byte order. */
export interface Element {
  /** (group << 16 | element), unsigned. */
  tag: number;
  vr: string;
  /** The value bytes (not for SQ or encapsulated pixel data). */
  value?: Uint8Array;
  /** Items of a sequence. */
  items?: Element[][];
  /** Encapsulated pixel data: the Basic Offset Table item first, then the fragments (PS3.5 A.4). */
  fragments?: Uint8Array[];
}

/** How a dataset is encoded. */
export interface Encoding {
  explicitVr: boolean;
  littleEndian: boolean;
}

/** A dataset that cannot be read; the message is for a person. */
export class DatasetError extends Error {
  override name = 'DatasetError';
}

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);
const KNOWN_VRS = new Set('AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '));
/** Byte size of the numbers a VR holds, for swapping big endian values (PS3.5 §7.3). */
const SWAP: Record<string, number> = { US: 2, SS: 2, OW: 2, AT: 2, UL: 4, SL: 4, FL: 4, OL: 4, OF: 4, FD: 8, OD: 8, SV: 8, UV: 8, OV: 8 };
/** Text VRs are padded with a space, the rest with NUL (PS3.5 §6.2). */
const SPACE_PADDED = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UR', 'UT']);

const ITEM = 0xfffee000;
const ITEM_END = 0xfffee00d;
const SEQ_END = 0xfffee0dd;
const UNDEFINED = 0xffffffff;

/** Well-known tags. */
export const T = {
  FileMetaGroupLength: 0x00020000,
  TransferSyntaxUID: 0x00020010,
  SpecificCharacterSet: 0x00080005,
  SOPClassUID: 0x00080016,
  SOPInstanceUID: 0x00080018,
  SamplesPerPixel: 0x00280002,
  PhotometricInterpretation: 0x00280004,
  PlanarConfiguration: 0x00280006,
  NumberOfFrames: 0x00280008,
  Rows: 0x00280010,
  Columns: 0x00280011,
  BitsAllocated: 0x00280100,
  BitsStored: 0x00280101,
  HighBit: 0x00280102,
  PixelRepresentation: 0x00280103,
  LossyImageCompression: 0x00282110,
  LossyImageCompressionRatio: 0x00282112,
  LossyImageCompressionMethod: 0x00282114,
  ExtendedOffsetTable: 0x7fe00001,
  ExtendedOffsetTableLengths: 0x7fe00002,
  PixelData: 0x7fe00010,
} as const;

type DictEntry = { vr: string } | undefined;
// dcmjs's data dictionary (PS3.6), used only to look up VRs; dcmjs ships no types, hence the cast.
// Loaded on first use: only implicit VR files need it, and dcmjs takes a while to load.
const dictionary = () => dcmjs().data.DicomMetaDictionary.dictionary as Record<string, DictEntry>;
const vrCache = new Map<number, string>();
const hex4 = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');

/** The dictionary VR of a tag for implicit VR data (PS3.6), 'UN' when unknown; ambiguous VRs resolved by `ctx`. */
function dictionaryVr(tag: number, ctx: ReadContext): string {
  const group = tag >>> 16;
  const element = tag & 0xffff;
  if (element === 0) return 'UL';
  if (group & 1) return element >= 0x10 && element <= 0xff ? 'LO' : 'UN';
  let vr = vrCache.get(tag);
  if (vr === undefined) {
    const g = hex4(group);
    const e = hex4(element);
    const d = dictionary();
    const entry = d[`(${g},${e})`] ?? d[`(${g.slice(0, 2)}xx,${e})`] ?? d[`(${g},${e.slice(0, 2)}xx)`];
    vr = entry?.vr ?? 'UN';
    vrCache.set(tag, vr);
  }
  switch (vr) {
    case 'xs':
      return ctx.pixelRepresentation === 1 ? 'SS' : 'US';
    case 'ox':
      return tag === T.PixelData && ctx.bitsAllocated !== undefined && ctx.bitsAllocated <= 8 ? 'OB' : 'OW';
    case 'lt':
      return 'OW';
    default:
      return KNOWN_VRS.has(vr) ? vr : vr.startsWith('US') ? 'US' : vr.startsWith('O') ? 'OW' : 'UN';
  }
}

interface ReadContext {
  b: Uint8Array;
  view: DataView;
  le: boolean;
  explicit: boolean;
  bitsAllocated?: number;
  pixelRepresentation?: number;
  /** VRs known to the caller, tried before the data dictionary for implicit VR. */
  vrOf?: (tag: number) => string | undefined;
  depth: number;
}

/** How to read. */
export interface ReadOptions {
  /** The VR of a tag in implicit VR data when the caller knows it; undefined falls back to the data dictionary. */
  vrOf?: (tag: number) => string | undefined;
}

/** Sequences nested deeper than this are refused (a crafted dataset must not exhaust the stack). */
const MAX_DEPTH = 64;

/** Reads a whole dataset from `bytes[start, end)`. `stopAt` ends reading before that tag (e.g. Pixel Data). */
export function readDataset(bytes: Uint8Array, start: number, enc: Encoding, stopAt = 0xffffffff, opts: ReadOptions = {}): Element[] {
  return readDatasetUntil(bytes, start, enc, stopAt, opts).elements;
}

/** Like readDataset, also returning where reading stopped. */
export function readDatasetUntil(bytes: Uint8Array, start: number, enc: Encoding, stopAt = 0xffffffff, opts: ReadOptions = {}): { elements: Element[]; end: number } {
  // A plain Uint8Array view: values are its subarrays, much cheaper to make than a Buffer's.
  const b = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ctx: ReadContext = {
    b,
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    le: enc.littleEndian,
    explicit: enc.explicitVr,
    vrOf: opts.vrOf,
    depth: 0,
  };
  try {
    return readElements(ctx, start, bytes.length, false, stopAt);
  } catch (err) {
    if (err instanceof DatasetError) throw err;
    if (err instanceof RangeError) throw new DatasetError('The file ends in the middle of an element: it is truncated or its lengths are corrupt');
    throw err;
  }
}

function readTag(ctx: ReadContext, p: number): number {
  if (p + 4 > ctx.b.length) throw new DatasetError('The file ends in the middle of an element tag: it is truncated');
  return ((ctx.view.getUint16(p, ctx.le) << 16) | ctx.view.getUint16(p + 2, ctx.le)) >>> 0;
}

/** Reads elements until `end`, or until an item delimiter when `inItem`. Returns the position after. */
function readElements(ctx: ReadContext, start: number, end: number, inItem: boolean, stopAt = 0xffffffff): { elements: Element[]; end: number } {
  const elements: Element[] = [];
  let p = start;
  while (p < end) {
    if (end - p < 8) {
      // Trailing zero padding after the last element is tolerated (some writers pad to even sizes).
      if (ctx.b.subarray(p, end).every((x) => x === 0)) return { elements, end };
      throw new DatasetError('The file ends in the middle of an element: it is truncated');
    }
    const tag = readTag(ctx, p);
    if (tag === ITEM_END) {
      if (inItem) return { elements, end: p + 8 };
      p += 8;
      continue;
    }
    if (tag === SEQ_END) {
      // A stray sequence delimiter at this level: skip it (pydicom and DCMTK do too).
      p += 8;
      continue;
    }
    if (tag >= stopAt && !inItem) return { elements, end: p };
    let vr: string;
    let length: number;
    let valueAt: number;
    const vrText = ctx.explicit ? String.fromCharCode(ctx.b[p + 4], ctx.b[p + 5]) : '';
    if (ctx.explicit && tag >>> 16 !== 0xfffe && KNOWN_VRS.has(vrText)) {
      vr = vrText;
      if (LONG_VRS.has(vr)) {
        length = ctx.view.getUint32(p + 8, ctx.le);
        valueAt = p + 12;
      } else {
        length = ctx.view.getUint16(p + 6, ctx.le);
        valueAt = p + 8;
      }
    } else {
      vr = ctx.vrOf?.(tag) ?? dictionaryVr(tag, ctx);
      length = ctx.view.getUint32(p + 4, ctx.le);
      valueAt = p + 8;
    }
    if (length === UNDEFINED) {
      if (tag === T.PixelData) {
        const { fragments, end: after } = readFragments(ctx, valueAt);
        elements.push({ tag, vr: 'OB', fragments });
        p = after;
        continue;
      }
      // Undefined length is only allowed for SQ (and UN holding an implicit VR sequence, PS3.5 §6.2.2).
      const itemCtx = vr === 'UN' && ctx.explicit ? { ...ctx, le: true, explicit: false } : ctx;
      const { items, end: after } = readItems(itemCtx, valueAt, Number.MAX_SAFE_INTEGER);
      elements.push({ tag, vr: 'SQ', items });
      p = after;
      continue;
    }
    if (valueAt + length > end) throw new DatasetError(`Element (${hex4(tag >>> 16)},${hex4(tag & 0xffff)}) runs past the end of the data: the file is truncated or corrupt`);
    if (vr === 'SQ') {
      const { items } = readItems(ctx, valueAt, valueAt + length);
      elements.push({ tag, vr, items });
    } else {
      let value = ctx.b.subarray(valueAt, valueAt + length);
      if (!ctx.le && SWAP[vr] && vr !== 'UN') value = swapped(value, SWAP[vr]);
      elements.push({ tag, vr, value });
      if (!inItem && tag === T.BitsAllocated && length >= 2) ctx.bitsAllocated = value[0] | (value[1] << 8);
      if (!inItem && tag === T.PixelRepresentation && length >= 2) ctx.pixelRepresentation = value[0] | (value[1] << 8);
    }
    p = valueAt + length;
  }
  if (inItem && end !== Number.MAX_SAFE_INTEGER && p > end) throw new DatasetError('An item runs past the end of its sequence');
  return { elements, end: p };
}

function readItems(outer: ReadContext, start: number, end: number): { items: Element[][]; end: number } {
  if (outer.depth >= MAX_DEPTH) throw new DatasetError(`Sequences are nested more than ${MAX_DEPTH} deep: the data is corrupt`);
  const ctx = { ...outer, depth: outer.depth + 1 };
  const items: Element[][] = [];
  let p = start;
  while (p < end) {
    if (end === Number.MAX_SAFE_INTEGER && p + 8 > ctx.b.length) throw new DatasetError('A sequence has no end delimiter: the file is truncated');
    const tag = readTag(ctx, p);
    const length = ctx.view.getUint32(p + 4, ctx.le);
    if (tag === SEQ_END) return { items, end: p + 8 };
    if (tag !== ITEM) throw new DatasetError(`A sequence holds (${hex4(tag >>> 16)},${hex4(tag & 0xffff)}) where an item was expected`);
    if (length === UNDEFINED) {
      const r = readElements(ctx, p + 8, ctx.b.length, true);
      items.push(r.elements);
      p = r.end;
    } else {
      if (p + 8 + length > ctx.b.length) throw new DatasetError('An item runs past the end of the data: the file is truncated');
      items.push(readElements(ctx, p + 8, p + 8 + length, true).elements);
      p += 8 + length;
    }
  }
  return { items, end: p };
}

function readFragments(ctx: ReadContext, start: number): { fragments: Uint8Array[]; end: number } {
  const fragments: Uint8Array[] = [];
  let p = start;
  for (;;) {
    const tag = readTag(ctx, p);
    const length = ctx.view.getUint32(p + 4, ctx.le);
    if (tag === SEQ_END) return { fragments, end: p + 8 };
    if (tag !== ITEM || length === UNDEFINED) throw new DatasetError('Encapsulated pixel data is malformed (an item tag or length is wrong)');
    if (p + 8 + length > ctx.b.length) throw new DatasetError('Encapsulated pixel data ends early: the file is truncated');
    fragments.push(ctx.b.subarray(p + 8, p + 8 + length));
    p += 8 + length;
  }
}

function swapped(v: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(v.length);
  const n = v.length - (v.length % size);
  for (let i = 0; i < n; i += size) for (let j = 0; j < size; j++) out[i + j] = v[i + size - 1 - j];
  out.set(v.subarray(n), n);
  return out;
}

/** Finds a top-level element by tag. */
export function find(elements: readonly Element[], tag: number): Element | undefined {
  for (const e of elements) if (e.tag === tag) return e;
  return undefined;
}

/** The value of a text element as ASCII (UI, CS, DA, TM, IS, DS …), padding trimmed; '' when absent. */
export function ascii(elements: readonly Element[], tag: number): string {
  const v = find(elements, tag)?.value;
  if (!v || !v.length) return '';
  // Trailing NUL and space padding and leading spaces trimmed on the bytes (a regex on the string cost 4× as much).
  let end = v.length;
  while (end > 0 && (v[end - 1] === 0 || v[end - 1] === 0x20)) end--;
  let start = 0;
  while (start < end && v[start] === 0x20) start++;
  const text = v.subarray(start, end);
  return text.length <= 4096 ? String.fromCharCode.apply(null, text as unknown as number[]) : Buffer.from(text.buffer, text.byteOffset, text.length).toString('latin1');
}

/** A US value; undefined when absent. */
export function uint16(elements: readonly Element[], tag: number): number | undefined {
  const v = find(elements, tag)?.value;
  return v && v.length >= 2 ? v[0] | (v[1] << 8) : undefined;
}

/** Replaces or inserts `el` keeping tag order. */
export function put(elements: Element[], el: Element): void {
  let i = 0;
  while (i < elements.length && elements[i].tag < el.tag) i++;
  if (i < elements.length && elements[i].tag === el.tag) elements[i] = el;
  else elements.splice(i, 0, el);
}

/** Removes the element with `tag`, if any. */
export function remove(elements: Element[], tag: number): void {
  const i = elements.findIndex((e) => e.tag === tag);
  if (i >= 0) elements.splice(i, 1);
}

/** A text element from an ASCII string (padded to even length by the writer). */
export function textElement(tag: number, vr: string, text: string): Element {
  return { tag, vr, value: Buffer.from(text, 'latin1') };
}

/** A US element. */
export function usElement(tag: number, n: number): Element {
  return { tag, vr: 'US', value: new Uint8Array([n & 0xff, (n >> 8) & 0xff]) };
}

/** A UL element. */
export function ulElement(tag: number, n: number): Element {
  const value = new Uint8Array(4);
  new DataView(value.buffer).setUint32(0, n, true);
  return { tag, vr: 'UL', value };
}

/** Explicit VR Little Endian (PS3.5 §A.2), how files are written. */
export const EXPLICIT_VR_LE: Encoding = { explicitVr: true, littleEndian: true };
/** Implicit VR Little Endian (PS3.5 §A.1), the default for DIMSE datasets. */
export const IMPLICIT_VR_LE: Encoding = { explicitVr: false, littleEndian: true };

/** The encoded size of an element (sequences and items of undefined length); Explicit VR Little Endian unless `explicit` is false. */
export function encodedLength(el: Element, explicit = true): number {
  if (el.items) {
    let n = (explicit ? 12 : 8) + 8; // header + sequence delimiter
    for (const item of el.items) n += 16 + encodedListLength(item, explicit);
    return n;
  }
  if (el.fragments) {
    let n = 12 + 8;
    for (const f of el.fragments) n += 8 + f.length + (f.length & 1);
    return n;
  }
  const len = el.value!.length + (el.value!.length & 1);
  return (explicit && LONG_VRS.has(writtenVr(el)) ? 12 : 8) + len;
}

/** The encoded size of a list of elements. */
export function encodedListLength(elements: readonly Element[], explicit = true): number {
  let n = 0;
  for (const e of elements) n += encodedLength(e, explicit);
  return n;
}

/** A short VR whose value does not fit a 16-bit length must be written as UN (PS3.5 §6.2.2). */
function writtenVr(el: Element): string {
  return !LONG_VRS.has(el.vr) && el.value && el.value.length > 0xfffe ? 'UN' : el.vr;
}

/** Writes elements at a moving position: one view for a whole dataset, items included. */
class Writer {
  readonly out: Uint8Array;
  readonly view: DataView;
  readonly explicit: boolean;
  p: number;
  constructor(out: Uint8Array, p: number, explicit: boolean) {
    this.out = out;
    this.view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    this.p = p;
    this.explicit = explicit;
  }

  /** An element header: tag, then VR and length (explicit) or the length alone (implicit, PS3.5 §7.1.3). */
  header(tag: number, vr: string, length: number): void {
    const { view, out } = this;
    view.setUint16(this.p, tag >>> 16, true);
    view.setUint16(this.p + 2, tag & 0xffff, true);
    if (!this.explicit) {
      view.setUint32(this.p + 4, length, true);
      this.p += 8;
    } else if (LONG_VRS.has(vr)) {
      out[this.p + 4] = vr.charCodeAt(0);
      out[this.p + 5] = vr.charCodeAt(1);
      view.setUint16(this.p + 6, 0, true);
      view.setUint32(this.p + 8, length, true);
      this.p += 12;
    } else {
      out[this.p + 4] = vr.charCodeAt(0);
      out[this.p + 5] = vr.charCodeAt(1);
      view.setUint16(this.p + 6, length, true);
      this.p += 8;
    }
  }

  /** An item or delimiter: tag and length, never a VR (PS3.5 §7.5). */
  raw(tag: number, length: number): void {
    this.view.setUint16(this.p, tag >>> 16, true);
    this.view.setUint16(this.p + 2, tag & 0xffff, true);
    this.view.setUint32(this.p + 4, length, true);
    this.p += 8;
  }

  elements(elements: readonly Element[]): void {
    const out = this.out;
    for (const el of elements) {
      if (el.items) {
        this.header(el.tag, 'SQ', UNDEFINED);
        for (const item of el.items) {
          this.raw(ITEM, UNDEFINED);
          this.elements(item);
          this.raw(ITEM_END, 0);
        }
        this.raw(SEQ_END, 0);
      } else if (el.fragments) {
        // Encapsulated pixel data exists only in explicit VR syntaxes (PS3.5 §A.4).
        if (!this.explicit) throw new DatasetError('Encapsulated pixel data cannot be written in Implicit VR');
        this.header(el.tag, 'OB', UNDEFINED);
        for (const f of el.fragments) {
          this.raw(ITEM, f.length + (f.length & 1));
          out.set(f, this.p);
          this.p += f.length;
          if (f.length & 1) out[this.p++] = 0;
        }
        this.raw(SEQ_END, 0);
      } else {
        const v = el.value!;
        const odd = v.length & 1;
        const vr = writtenVr(el);
        this.header(el.tag, vr, v.length + odd);
        out.set(v, this.p);
        this.p += v.length;
        if (odd) out[this.p++] = SPACE_PADDED.has(vr) ? 0x20 : 0;
      }
    }
  }
}

/** Writes elements into `out` at `p` (Explicit VR Little Endian unless `explicit` is false); returns the position after. */
export function writeElements(elements: readonly Element[], out: Uint8Array, p: number, explicit = true): number {
  const w = new Writer(out, p, explicit);
  w.elements(elements);
  return w.p;
}

/** Encodes elements as a new buffer (Explicit VR Little Endian unless `enc` says implicit). */
export function encode(elements: readonly Element[], enc: Encoding = EXPLICIT_VR_LE): Buffer {
  if (!enc.littleEndian) throw new DatasetError('Courier writes little endian datasets only');
  const out = Buffer.alloc(encodedListLength(elements, enc.explicitVr));
  writeElements(elements, out, 0, enc.explicitVr);
  return out;
}
