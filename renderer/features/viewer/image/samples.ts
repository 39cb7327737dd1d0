/**
 * From a frame's native bytes to what the viewer draws: greyscale stored values (masked to Bits
 * Stored and sign-extended from High Bit, PS3.5 §8.1.1 and PS3.3 C.7.6.3.1.1), or RGBA for colour —
 * RGB and YBR at any bit depth, planar or not (C.7.6.3.1.2, C.7.6.3.1.3), and PALETTE COLOR through
 * its lookup tables (C.7.6.3.1.5). Float pixel data and integer ranges wider than 16 bits are
 * quantized to 16 bits with the linear map that gives their values back (display only). Pure: runs in
 * the page and in the decode workers.
 */
import type { Palette, PixelLayout } from './attributes.ts';
import type { NativeFrame } from './frames.ts';

/** Greyscale stored values as a typed array of integers. */
export type GreyArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Int32Array | Uint32Array;

/** A greyscale frame: stored value = pixel × scale + offset (scale 1, offset 0 unless quantized). */
export interface GreyFrame {
  kind: 'grey';
  pixels: GreyArray;
  min: number;
  max: number;
  scale: number;
  offset: number;
}

/** A colour frame as RGBA, 8 bits a channel. */
export interface ColorFrame {
  kind: 'color';
  pixels: Uint8ClampedArray;
}

/** What a frame becomes. */
export type Frame = GreyFrame | ColorFrame;

/** Widest integer range kept as is; wider ranges and floats are quantized to 16 bits. */
const MAX_LEVELS = 65536;

/** Converts the native bytes of one frame. `palette` applies to PALETTE COLOR only (a supplemental palette is a display matter). */
export function convertFrame(frame: NativeFrame, layout: PixelLayout, palette: Palette | null): Frame {
  const { littleEndian } = frame;
  const n = layout.rows * layout.columns;
  const pi = layout.photometric;
  if (layout.samplesPerPixel === 1 && pi === 'PALETTE COLOR') {
    if (!palette) throw new Error('The PALETTE COLOR image has no lookup tables');
    return { kind: 'color', pixels: applyPalette(greyValues(frame, layout, littleEndian, n), palette, n) };
  }
  if (layout.samplesPerPixel === 1) return greyFrame(frame, layout, littleEndian, n);
  if (layout.samplesPerPixel !== 3) throw new Error(`Images with ${layout.samplesPerPixel} samples per pixel cannot be shown`);
  return { kind: 'color', pixels: colorPixels(frame, layout, littleEndian, n) };
}

function greyFrame(frame: NativeFrame, layout: PixelLayout, littleEndian: boolean, n: number): GreyFrame {
  if (layout.float) return quantize(floats(frame, layout, littleEndian, n));
  const pixels = greyValues(frame, layout, littleEndian, n);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = pixels[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (max - min >= MAX_LEVELS) return quantize(pixels);
  return { kind: 'grey', pixels, min, max, scale: 1, offset: 0 };
}

/** Stored values of a one-sample frame, masked and sign-extended; a view on the bytes when nothing needs changing. */
export function greyValues(frame: NativeFrame, layout: PixelLayout, littleEndian: boolean, n: number): GreyArray {
  const { bytes } = frame;
  const { bitsAllocated, bitsStored, highBit, pixelRepresentation } = layout;
  const signed = pixelRepresentation === 1;
  if (bitsAllocated === 1) {
    const out = new Uint8Array(n);
    for (let i = 0, bit = frame.bitOffset; i < n; i++, bit++) out[i] = (bytes[bit >> 3] >> (bit & 7)) & 1;
    return out;
  }
  if (bitsAllocated !== 8 && bitsAllocated !== 16 && bitsAllocated !== 32) throw new Error(`Bits Allocated ${bitsAllocated} is not supported`);
  if (bytes.length < (n * bitsAllocated) / 8) throw new Error(`The frame holds ${bytes.length} bytes, ${(n * bitsAllocated) / 8} expected`);
  let raw: GreyArray;
  if (bitsAllocated === 8) raw = signed ? new Int8Array(bytes.buffer, bytes.byteOffset, n) : bytes.subarray(0, n);
  else raw = wordsOf(bytes, n, bitsAllocated, signed, littleEndian);
  const shift = highBit + 1 - bitsStored;
  if (bitsStored >= bitsAllocated && shift === 0) return raw;
  // Keep bits highBit−bitsStored+1 … highBit; other bits may hold overlays or garbage (PS3.5 §8.1.1).
  const lo = signed ? -(2 ** (bitsStored - 1)) : 0;
  const hi = signed ? 2 ** (bitsStored - 1) - 1 : 2 ** bitsStored - 1;
  if (shift === 0) {
    let clean = true;
    for (let i = 0; i < n && clean; i++) clean = raw[i] >= lo && raw[i] <= hi;
    if (clean) return raw;
  }
  const out = signed ? (bitsAllocated === 32 ? new Int32Array(n) : new Int16Array(n)) : raw.slice();
  const mask = 2 ** bitsStored;
  for (let i = 0; i < n; i++) {
    const unsigned = (raw[i] >>> 0) % 2 ** bitsAllocated;
    let v = Math.floor(unsigned / 2 ** shift) % mask;
    if (signed && v > hi) v -= mask;
    out[i] = v;
  }
  return out;
}

/** 16- or 32-bit samples as a typed array: a view when little endian and aligned, else a copy. */
function wordsOf(bytes: Uint8Array, count: number, bits: 16 | 32 | number, signed: boolean, littleEndian: boolean): Int16Array | Uint16Array | Int32Array | Uint32Array {
  const size = bits / 8;
  const T = bits === 16 ? (signed ? Int16Array : Uint16Array) : signed ? Int32Array : Uint32Array;
  if (littleEndian) {
    if (bytes.byteOffset % size === 0) return new T(bytes.buffer as ArrayBuffer, bytes.byteOffset, count);
    return new T(bytes.slice(0, count * size).buffer);
  }
  const out = new T(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) {
    if (bits === 16) out[i] = signed ? view.getInt16(i * 2) : view.getUint16(i * 2);
    else out[i] = signed ? view.getInt32(i * 4) : view.getUint32(i * 4);
  }
  return out;
}

function floats(frame: NativeFrame, layout: PixelLayout, littleEndian: boolean, n: number): Float32Array | Float64Array {
  const size = layout.float / 8;
  const { bytes } = frame;
  if (bytes.length < n * size) throw new Error(`The frame holds ${bytes.length} bytes, ${n * size} expected`);
  const T = layout.float === 64 ? Float64Array : Float32Array;
  if (littleEndian && bytes.byteOffset % size === 0) return new T(bytes.buffer as ArrayBuffer, bytes.byteOffset, n);
  const out = new T(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) out[i] = size === 8 ? view.getFloat64(i * 8, littleEndian) : view.getFloat32(i * 4, littleEndian);
  return out;
}

/** Maps values linearly onto 0–65535 (NaN and infinities to 0); stored value = pixel × scale + offset. */
function quantize(values: ArrayLike<number>): GreyFrame {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!Number.isFinite(min)) min = max = 0;
  const scale = max > min ? (max - min) / (MAX_LEVELS - 1) : 1;
  const pixels = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    pixels[i] = Number.isFinite(v) ? Math.round((v - min) / scale) : 0;
  }
  return { kind: 'grey', pixels, min: 0, max: max > min ? MAX_LEVELS - 1 : 0, scale, offset: min };
}

/** Three-sample pixels as RGBA. */
function colorPixels(frame: NativeFrame, layout: PixelLayout, littleEndian: boolean, n: number): Uint8ClampedArray {
  const { bitsAllocated, bitsStored, planarConfiguration } = layout;
  const pi = layout.photometric;
  const subsampled = pi === 'YBR_FULL_422' || pi === 'YBR_PARTIAL_422';
  const count = subsampled ? n * 2 : n * 3;
  let samples: ArrayLike<number>;
  if (bitsAllocated === 8) {
    if (frame.bytes.length < count) throw new Error(`The frame holds ${frame.bytes.length} bytes, ${count} expected`);
    samples = frame.bytes;
  } else if (bitsAllocated === 16 || bitsAllocated === 32) {
    if (frame.bytes.length < (count * bitsAllocated) / 8) throw new Error(`The frame holds ${frame.bytes.length} bytes, ${(count * bitsAllocated) / 8} expected`);
    samples = wordsOf(frame.bytes, count, bitsAllocated, false, littleEndian);
  } else {
    throw new Error(`Colour images with Bits Allocated ${bitsAllocated} are not supported`);
  }
  // Samples wider than 8 bits are scaled to the display's 8 (the full range of Bits Stored onto 0–255).
  const k = 255 / (2 ** Math.min(bitsStored, bitsAllocated) - 1);
  const at = (i: number) => (k === 1 ? samples[i] : Math.round(((samples[i] as number) >>> 0) * k));
  const out = new Uint8ClampedArray(n * 4);
  if (subsampled) {
    // Y1 Y2 Cb Cr for each pair of pixels along a row (C.7.6.3.1.2).
    for (let p = 0, s = 0; p < n; p += 2, s += 4) {
      const cb = at(s + 2);
      const cr = at(s + 3);
      ybr(out, p * 4, at(s), cb, cr, pi === 'YBR_PARTIAL_422');
      if (p + 1 < n) ybr(out, (p + 1) * 4, at(s + 1), cb, cr, pi === 'YBR_PARTIAL_422');
    }
    return out;
  }
  const planar = planarConfiguration === 1;
  const index = planar ? (p: number, c: number) => c * n + p : (p: number, c: number) => p * 3 + c;
  if (pi === 'RGB') {
    for (let p = 0; p < n; p++) {
      out[p * 4] = at(index(p, 0));
      out[p * 4 + 1] = at(index(p, 1));
      out[p * 4 + 2] = at(index(p, 2));
      out[p * 4 + 3] = 255;
    }
    return out;
  }
  if (pi === 'YBR_FULL' || pi === 'YBR_PARTIAL_420') {
    for (let p = 0; p < n; p++) ybr(out, p * 4, at(index(p, 0)), at(index(p, 1)), at(index(p, 2)), pi === 'YBR_PARTIAL_420');
    return out;
  }
  throw new Error(`The ${pi} photometric interpretation cannot be shown`);
}

/** One YCbCr pixel to RGB: full range (PS3.3 C.7.6.3.1.2, the JFIF equations) or partial (ITU-R BT.601). */
function ybr(out: Uint8ClampedArray, at: number, y: number, cb: number, cr: number, partial: boolean): void {
  if (partial) {
    const yy = 1.1644 * (y - 16);
    out[at] = yy + 1.596 * (cr - 128);
    out[at + 1] = yy - 0.3918 * (cb - 128) - 0.813 * (cr - 128);
    out[at + 2] = yy + 2.0172 * (cb - 128);
  } else {
    out[at] = y + 1.402 * (cr - 128);
    out[at + 1] = y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128);
    out[at + 2] = y + 1.772 * (cb - 128);
  }
  out[at + 3] = 255;
}

/** Palette indices through the red, green and blue tables; below the first value mapped → the first entry,
 * beyond the last → the last (C.7.6.3.1.5). */
function applyPalette(indices: GreyArray, palette: Palette, n: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(n * 4);
  const last = palette.red.length - 1;
  for (let p = 0; p < n; p++) {
    const i = Math.min(last, Math.max(0, indices[p] - palette.firstValueMapped));
    out[p * 4] = palette.red[i];
    out[p * 4 + 1] = palette.green[i];
    out[p * 4 + 2] = palette.blue[i];
    out[p * 4 + 3] = 255;
  }
  return out;
}
