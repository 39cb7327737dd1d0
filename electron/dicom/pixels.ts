/**
 * Decompressing encapsulated pixel data (PS3.5 §8.2, Annex A.4) into native frames, in Node, exactly
 * or not at all: every decoded frame must be the size its attributes require, and the whole is
 * checked again by `nativePixelProblem` before anything is written.
 *
 * The codecs are WebAssembly builds of the reference libraries:
 * - dcmjs-codecs (DCMTK's IJG libraries for every JPEG process including 12-bit extended and lossless,
 *   CharLS for JPEG-LS). Its JPEG output equals dcmdjpeg's, bit for bit; the codestream's frame header
 *   is checked against the attributes first, as it does not.
 * - @cornerstonejs/codec-openjpeg (OpenJPEG 2.5) for JPEG 2000 and HTJ2K — the codec the viewer's
 *   image loader uses. It replaced dcmjs-codecs' JPEG 2000 and HTJ2K decoders, which were wrong on
 *   files from other toolkits: 16-bit colour JPEG 2000 came out as 8-bit samples (GDCM's lossy
 *   rgb16 file), and HTJ2K colour without a colour transform (YBR_FULL) came out with its chroma
 *   changed (OpenJPH's file; ojph_expand and opj_decompress both give the source back).
 * - Deflated Image Frame Compression is inflated by zlib (PS3.5 §8.2.16); RLE Lossless is decoded here
 *   (Annex G, a few lines, with the segment lengths checked that dcmjs-codecs did not check).
 * The dataset around the pixels is Courier's own (dataset.ts).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type codecsModule from 'dcmjs-codecs';
import { ascii, find, T, uint16, type Element } from './dataset.ts';
import { inflateBounded, InflateError } from './inflate.ts';

type Codecs = typeof codecsModule;

/** The parts of @cornerstonejs/codec-openjpeg's decoder Courier uses (it ships no types). */
interface J2KDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned: boolean };
  delete(): void;
}
interface OpenJpeg {
  J2KDecoder: new () => J2KDecoder;
}

let codecs: Codecs | null = null;
let openjpeg: OpenJpeg | null = null;
let ready: Promise<void> | null = null;

/** Loads the codecs' WebAssembly modules once (on the first file that needs decoding). */
export function loadCodecs(): Promise<void> {
  ready ??= (async () => {
    const require = createRequire(import.meta.url);
    const loaded = (await import('dcmjs-codecs')).default;
    const wasm = join(dirname(require.resolve('dcmjs-codecs')), 'dcmjs-native-codecs.wasm');
    await loaded.NativeCodecs.initializeAsync({ webAssemblyModulePathOrUrl: wasm, logCodecsInfo: false, logCodecsTrace: false });
    // OpenJPEG reports progress through `print`; on stdout it would corrupt `courier … --json`.
    const factory = require('@cornerstonejs/codec-openjpeg/decodewasmjs') as (module: object) => Promise<OpenJpeg>;
    openjpeg = await factory({ print: () => {}, printErr: () => {} });
    codecs = loaded;
  })();
  return ready;
}

/** Deflated Image Frame Compression (PS3.5 §8.2.16, A.4.13). */
export const DEFLATED_FRAMES = '1.2.840.10008.1.2.8.1';
const JPEG_LOSSY = new Set(['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51']);

/** Which codec family a transfer syntax needs, or null when Courier cannot decode it. */
export function codecFor(ts: string): 'rle' | 'jpeg' | 'jpegls' | 'j2k' | 'htj2k' | 'deflate' | null {
  if (ts === '1.2.840.10008.1.2.5') return 'rle';
  if (JPEG_LOSSY.has(ts) || ts === '1.2.840.10008.1.2.4.57' || ts === '1.2.840.10008.1.2.4.70') return 'jpeg';
  if (ts === '1.2.840.10008.1.2.4.80' || ts === '1.2.840.10008.1.2.4.81') return 'jpegls';
  if (ts === '1.2.840.10008.1.2.4.90' || ts === '1.2.840.10008.1.2.4.91') return 'j2k';
  if (ts === '1.2.840.10008.1.2.4.201' || ts === '1.2.840.10008.1.2.4.202' || ts === '1.2.840.10008.1.2.4.203') return 'htj2k';
  if (ts === DEFLATED_FRAMES) return 'deflate';
  return null;
}

/** The Lossy Image Compression Method (0028,2114) term of a lossy transfer syntax (PS3.3 C.7.6.1.1.5.1). */
export function lossyMethod(ts: string): string | null {
  if (JPEG_LOSSY.has(ts)) return 'ISO_10918_1';
  if (ts === '1.2.840.10008.1.2.4.81') return 'ISO_14495_1';
  if (ts === '1.2.840.10008.1.2.4.91') return 'ISO_15444_1';
  // HTJ2K is JPEG 2000 Part 15 (PS3.3 Table C.7-25b).
  if (ts === '1.2.840.10008.1.2.4.203') return 'ISO_15444_15';
  return null;
}

/** The Image Pixel attributes a decoder and the length checks need (PS3.3 C.7.6.3). */
export interface PixelLayout {
  rows: number;
  columns: number;
  samples: number;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: number;
  planarConfiguration: number;
  photometric: string;
  frames: number;
}

/** The layout the elements declare; throws when Rows, Columns or Bits Allocated is missing. */
export function pixelLayout(elements: readonly Element[]): PixelLayout {
  const rows = uint16(elements, T.Rows) ?? 0;
  const columns = uint16(elements, T.Columns) ?? 0;
  const bitsAllocated = uint16(elements, T.BitsAllocated) ?? 0;
  if (!rows || !columns || !bitsAllocated) throw new Error('Rows, Columns or Bits Allocated is missing');
  const samples = uint16(elements, T.SamplesPerPixel) ?? 1;
  return {
    rows,
    columns,
    samples,
    bitsAllocated,
    bitsStored: uint16(elements, T.BitsStored) ?? bitsAllocated,
    pixelRepresentation: uint16(elements, T.PixelRepresentation) ?? 0,
    planarConfiguration: uint16(elements, T.PlanarConfiguration) ?? 0,
    photometric: ascii(elements, T.PhotometricInterpretation) || (samples === 3 ? 'RGB' : 'MONOCHROME2'),
    frames: Math.max(1, Number.parseInt(ascii(elements, T.NumberOfFrames), 10) || 1),
  };
}

/**
 * The length native Pixel Data of this layout must have, before the even-length pad (PS3.5 §8.1.1):
 * frames × rows × columns × samples × bits, in whole bytes. 1-bit pixels are packed with no padding
 * between frames; YBR_FULL_422 stores two samples a pixel (PS3.3 C.7.6.3.1.2).
 */
export function nativeLength(l: PixelLayout): number {
  const samples = l.photometric === 'YBR_FULL_422' && l.samples === 3 ? 2 : l.samples;
  const values = l.frames * l.rows * l.columns * samples;
  return l.bitsAllocated === 1 ? Math.ceil(values / 8) : values * (l.bitsAllocated / 8);
}

/** Why native Pixel Data of `length` bytes does not fit `layout` (the guard after every transcode), or null. */
export function nativePixelProblem(layout: PixelLayout, length: number): string | null {
  if (layout.bitsAllocated !== 1 && layout.bitsAllocated % 8) return `Bits Allocated ${layout.bitsAllocated} is neither 1 nor a multiple of 8 (PS3.5 §8.1.1)`;
  const want = nativeLength(layout);
  if (length === want || length === want + (want & 1)) return null;
  return `the Pixel Data holds ${length} bytes but ${layout.frames} frame(s) of ${layout.rows} × ${layout.columns} × ${layout.samples} samples of ${layout.bitsAllocated} bits need ${want}`;
}

/** Decoded pixels and how to describe them. */
export interface Decoded {
  /** Native Pixel Data for every frame, padded to even length. */
  pixels: Uint8Array;
  photometric: string;
  planarConfiguration: number;
}

/** Splits encapsulated fragments into frames (PS3.5 A.4): by the Basic Offset Table, else by count or start markers. */
export function framesOf(fragments: Uint8Array[], frameCount: number, codec: string): Uint8Array[] {
  const [bot, ...frags] = fragments;
  if (!frags.length) throw new Error('the encapsulated pixel data holds no fragments');
  const groups: Uint8Array[][] = [];
  if (bot && bot.length >= 4 && frameCount > 1) {
    const view = new DataView(bot.buffer, bot.byteOffset, bot.byteLength);
    const offsets: number[] = [];
    for (let i = 0; i + 4 <= bot.length; i += 4) offsets.push(view.getUint32(i, true));
    let pos = 0;
    let frame = -1;
    for (const f of frags) {
      while (frame + 1 < offsets.length && offsets[frame + 1] <= pos) {
        frame++;
        groups.push([]);
      }
      if (frame < 0) throw new Error('the Basic Offset Table does not start at the first fragment');
      groups[frame].push(f);
      pos += 8 + f.length;
    }
  } else if (frameCount <= 1) {
    groups.push(frags);
  } else if (frags.length === frameCount) {
    for (const f of frags) groups.push([f]);
  } else {
    // No offset table and more fragments than frames: a frame starts where a codestream starts.
    const starts = (f: Uint8Array) =>
      codec === 'jpeg' || codec === 'jpegls' ? f[0] === 0xff && f[1] === 0xd8 : codec.includes('j2k') ? f[0] === 0xff && f[1] === 0x4f : true;
    for (const f of frags) {
      if (!groups.length || starts(f)) groups.push([f]);
      else groups[groups.length - 1].push(f);
    }
  }
  if (groups.length < frameCount) throw new Error(`found ${groups.length} frames in the pixel data, the header says ${frameCount}`);
  return groups.slice(0, frameCount).map((g) => (g.length === 1 ? g[0] : Buffer.concat(g)));
}

/** One decoded frame: its bytes, and what its samples are. */
interface Frame {
  bytes: Uint8Array;
  photometric: string;
  /** 1 when the samples come plane by plane (PS3.3 C.7.6.3.1.3); put in pixel order before writing. */
  planar: number;
}

/** Decodes every frame of an encapsulated Pixel Data element of `elements` (top-level dataset). */
export function decodePixels(elements: readonly Element[], ts: string): Decoded {
  const codec = codecFor(ts);
  if (!codec) throw new Error(`Courier has no decoder for this transfer syntax (${ts})`);
  if (!codecs || !openjpeg) throw new Error('the codecs are not loaded (call loadCodecs first)');
  const pixel = find(elements, T.PixelData);
  if (!pixel?.fragments) throw new Error('the pixel data is not encapsulated');
  const layout = pixelLayout(elements);
  const { rows, columns, samples, bitsAllocated, frames: frameCount } = layout;
  if (bitsAllocated !== 1 && bitsAllocated % 8) throw new Error(`Bits Allocated ${bitsAllocated} is neither 1 nor a multiple of 8`);
  const oneBit = bitsAllocated === 1;
  const pixelsPerFrame = rows * columns * samples;
  // What a decoder gives for one frame: a byte a sample for 1-bit images (packed below), else the native frame.
  const frameBytes = oneBit ? pixelsPerFrame : pixelsPerFrame * (bitsAllocated / 8);
  const encoded = framesOf(pixel.fragments, frameCount, codec);
  const decoded = encoded.map((data, i) => {
    let f: Frame;
    try {
      f = decodeFrame(codec, ts, data, layout, frameBytes);
    } catch (err) {
      throw new Error(`frame ${i + 1}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (f.bytes.length !== frameBytes) {
      throw new Error(`frame ${i + 1} decoded to ${f.bytes.length} bytes; ${rows} × ${columns} × ${samples} samples of ${bitsAllocated} bits are ${frameBytes}`);
    }
    return f;
  });
  const total = oneBit ? Math.ceil((pixelsPerFrame * frameCount) / 8) : frameBytes * frameCount;
  const out = new Uint8Array(total + (total & 1));
  if (oneBit) {
    // Native 1-bit pixels are one bit stream, the first pixel in the lowest bit, frames not padded (PS3.5 §8.1.1).
    let bit = 0;
    for (const f of decoded) {
      for (let j = 0; j < f.bytes.length; j++, bit++) {
        const v = f.bytes[j];
        if (v > 1) throw new Error(`a 1-bit frame decoded to a sample of ${v}, not 0 or 1`);
        if (v) out[bit >> 3] |= 1 << (bit & 7);
      }
    }
  } else {
    // Colour is written pixel by pixel (Planar Configuration 0), which every colour IOD allows and some require.
    decoded.forEach((f, i) => out.set(samples > 1 && f.planar === 1 ? interleaved(f.bytes, samples, bitsAllocated / 8) : f.bytes, i * frameBytes));
  }
  if (decoded.some((f) => f.photometric !== decoded[0].photometric)) throw new Error('the frames decode to different photometric interpretations');
  return { pixels: out, photometric: nativePhotometric(decoded[0].photometric, ts, samples), planarConfiguration: 0 };
}

function decodeFrame(codec: NonNullable<ReturnType<typeof codecFor>>, ts: string, data: Uint8Array, l: PixelLayout, frameBytes: number): Frame {
  if (codec === 'deflate') return inflateFrame(data, l, frameBytes);
  if (codec === 'j2k' || codec === 'htj2k') return openJpegFrame(data, l);
  if (codec === 'rle') return rleFrame(data, l);
  // dcmjs-codecs decodes into a buffer of the attributes' size whatever the codestream holds (a JPEG-LS
  // frame of 21 rows came out as 20 when Rows said 20): the codestream's own size must agree first.
  const sof = jpegFrameHeader(data, codec === 'jpegls');
  if (sof.rows !== l.rows || sof.columns !== l.columns || sof.components !== l.samples) {
    throw new Error(`the codestream is ${sof.columns} × ${sof.rows} with ${sof.components} components; the attributes say ${l.columns} × ${l.rows} with ${l.samples}`);
  }
  if (sof.precision > (l.bitsAllocated === 1 ? 8 : l.bitsAllocated)) throw new Error(`the codestream holds ${sof.precision}-bit samples; Bits Allocated is ${l.bitsAllocated}`);
  const { NativeCodecs, Context } = codecs!;
  const ctx = new Context({
    width: l.columns,
    height: l.rows,
    // 1-bit frames are coded a byte a pixel (RLE: one byte segment, PS3.5 Annex G).
    bitsAllocated: l.bitsAllocated === 1 ? 8 : l.bitsAllocated,
    bitsStored: l.bitsAllocated === 1 ? 8 : l.bitsStored,
    samplesPerPixel: l.samples,
    pixelRepresentation: l.pixelRepresentation,
    planarConfiguration: l.planarConfiguration,
    photometricInterpretation: l.photometric,
    encodedBuffer: data,
  });
  let result;
  if (codec === 'jpeg') {
    // Lossy JPEG in YBR is decoded to RGB, as dcmdjpeg does by default; lossless JPEG keeps its samples as
    // they are (a colour conversion would lose them), and data declared RGB is taken as stored (PS3.5 §8.2.1;
    // pydicom's SC_jpeg_no_color_transform.dcm shows why).
    result = NativeCodecs.decodeJpeg(ctx, { convertColorspaceToRgb: JPEG_LOSSY.has(ts) && l.photometric.startsWith('YBR') });
  } else {
    result = NativeCodecs.decodeJpegLs(ctx);
  }
  const bytes = result.getDecodedBuffer() ?? new Uint8Array(0);
  const photometric = result.getPhotometricInterpretation() ?? l.photometric;
  // dcmjs-codecs reports Planar Configuration 0 for every JPEG-LS image, but CharLS gives the samples of a
  // colour image coded without interleave (ILV 0) plane by plane (PS3.5 §8.2.3, ISO 14495-1 Annex C).
  if (codec === 'jpegls' && l.samples > 1) {
    return { bytes: bytes.subarray(0, frameBytes), photometric, planar: jpegLsInterleave(data) === 0 ? 1 : 0 };
  }
  return { bytes: bytes.subarray(0, Math.min(bytes.length, frameBytes)), photometric, planar: result.getPlanarConfiguration() ?? l.planarConfiguration };
}

/** The size a JPEG or JPEG-LS codestream declares in its frame header (ISO 10918-1 B.2.2, ISO 14495-1 C.2.2). */
export function jpegFrameHeader(data: Uint8Array, jpegLs: boolean): { precision: number; rows: number; columns: number; components: number } {
  if (data[0] !== 0xff || data[1] !== 0xd8) throw new Error('the codestream does not start with a JPEG SOI marker');
  for (let p = 2; p + 9 < data.length; ) {
    if (data[p] !== 0xff) throw new Error('the JPEG codestream is malformed (no marker where one was expected)');
    const marker = data[p + 1];
    if (marker === 0xff) {
      p++; // fill byte
      continue;
    }
    // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC); JPEG-LS frames are SOF55 (F7).
    const sof = jpegLs ? marker === 0xf7 : marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (sof) return { precision: data[p + 4], rows: (data[p + 5] << 8) | data[p + 6], columns: (data[p + 7] << 8) | data[p + 8], components: data[p + 9] };
    p += 2 + ((data[p + 2] << 8) | data[p + 3]);
  }
  throw new Error('the JPEG codestream has no frame header');
}

/**
 * An RLE Lossless frame (PS3.5 Annex G): a header of segment offsets, then one PackBits segment a byte
 * plane, most significant byte first. Decoded here rather than by dcmjs-codecs, which fills a buffer of
 * the attributes' size whatever the segments hold (a 21-row image declared 22 rows came out with a
 * blank last row): each segment must decode to exactly Rows × Columns bytes (one more, a pad, is allowed).
 */
function rleFrame(data: Uint8Array, l: PixelLayout): Frame {
  const size = l.bitsAllocated === 1 ? 1 : l.bitsAllocated / 8;
  const segments = l.samples * size;
  const plane = l.rows * l.columns;
  if (data.length < 64) throw new Error('the RLE header is cut short');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const count = view.getUint32(0, true);
  if (count !== segments) throw new Error(`the RLE frame has ${count} segments; ${l.samples} samples of ${l.bitsAllocated} bits need ${segments}`);
  const offsets = Array.from({ length: count }, (_, i) => view.getUint32(4 + 4 * i, true));
  // Planes in pixel order; for 1-bit images a byte a pixel (packed later).
  const out = new Uint8Array(plane * segments);
  for (let seg = 0; seg < count; seg++) {
    const start = offsets[seg];
    const end = seg + 1 < count ? offsets[seg + 1] : data.length;
    if (start < 64 || end > data.length || start > end) throw new Error(`RLE segment ${seg + 1} lies outside the frame`);
    const sample = Math.floor(seg / size);
    // Segment 0 of a sample is its most significant byte; native pixels are little endian.
    const byte = size - 1 - (seg % size);
    let n = 0;
    const put = (v: number) => {
      if (n < plane) out[(n * l.samples + sample) * size + byte] = v;
      n++;
    };
    for (let p = start; p < end; ) {
      const h = data[p++];
      if (h < 128) {
        for (let k = 0; k <= h && p < end; k++) put(data[p++]);
      } else if (h > 128) {
        const v = data[p++];
        for (let k = 0; k < 257 - h; k++) put(v);
      }
    }
    if (n !== plane && n !== plane + 1) throw new Error(`RLE segment ${seg + 1} decodes to ${n} bytes; ${l.rows} × ${l.columns} pixels need ${plane}`);
  }
  return { bytes: out, photometric: l.photometric, planar: 0 };
}

/** Samples given plane by plane (Planar Configuration 1) put pixel by pixel (0); `size` bytes a sample. */
function interleaved(planes: Uint8Array, samples: number, size: number): Uint8Array {
  const out = new Uint8Array(planes.length);
  const plane = planes.length / samples;
  const pixels = plane / size;
  for (let s = 0; s < samples; s++) {
    for (let p = 0; p < pixels; p++) {
      for (let b = 0; b < size; b++) out[(p * samples + s) * size + b] = planes[s * plane + p * size + b];
    }
  }
  return out;
}

/** The interleave mode (ILV) of a JPEG-LS codestream's first scan (ISO 14495-1 C.2.3): 0 none, 1 line, 2 sample. */
export function jpegLsInterleave(data: Uint8Array): number {
  for (let p = 2; p + 4 <= data.length; ) {
    if (data[p] !== 0xff) throw new Error('the JPEG-LS codestream is malformed (no marker where one was expected)');
    const marker = data[p + 1];
    const length = (data[p + 2] << 8) | data[p + 3];
    if (marker === 0xda) {
      // SOS: length, Ns, Ns × (Ci, Tmi), NEAR, ILV, Al/Ah.
      const ns = data[p + 4];
      return data[p + 5 + 2 * ns + 1];
    }
    p += 2 + length;
  }
  throw new Error('the JPEG-LS codestream has no scan');
}

/** A JPEG 2000 or HTJ2K frame through OpenJPEG, checked against the attributes. */
function openJpegFrame(data: Uint8Array, l: PixelLayout): Frame {
  const decoder = new openjpeg!.J2KDecoder();
  try {
    decoder.getEncodedBuffer(data.length).set(data);
    decoder.decode();
    const info = decoder.getFrameInfo();
    if (info.width !== l.columns || info.height !== l.rows || info.componentCount !== l.samples) {
      throw new Error(`the codestream is ${info.width} × ${info.height} with ${info.componentCount} components; the attributes say ${l.columns} × ${l.rows} with ${l.samples}`);
    }
    const container = l.bitsAllocated === 1 ? 8 : l.bitsAllocated;
    if (info.bitsPerSample > container) throw new Error(`the codestream holds ${info.bitsPerSample}-bit samples; Bits Allocated is ${l.bitsAllocated}`);
    // Copied out: the decoder's buffer lives in its WebAssembly memory, freed below.
    const bytes = Uint8Array.from(decoder.getDecodedBuffer());
    return { bytes, photometric: l.photometric, planar: 0 };
  } finally {
    decoder.delete();
  }
}

/** A Deflated Image Frame Compression frame: the native frame, raw-deflated (1-bit frames packed, each from a byte boundary). */
function inflateFrame(data: Uint8Array, l: PixelLayout, frameBytes: number): Frame {
  const packed = l.bitsAllocated === 1;
  const want = packed ? Math.ceil(frameBytes / 8) : frameBytes;
  // A frame and its even-length pad may inflate; more than that is not this frame (and is not inflated).
  let bytes: Buffer;
  try {
    bytes = inflateBounded(data, want + 2);
  } catch (err) {
    if (!(err instanceof InflateError)) throw err;
    throw new Error(/more than/.test(err.message) ? `the frame inflates to more than the ${want} bytes its attributes require` : `the frame cannot be inflated: ${err.message.replace(/^The deflated dataset /, 'it ')}`);
  }
  if (bytes.length !== want && bytes.length !== want + 1) throw new Error(`the frame inflates to ${bytes.length} bytes; its attributes require ${want}`);
  if (!packed) return { bytes: bytes.subarray(0, want), photometric: l.photometric, planar: l.planarConfiguration };
  const unpacked = new Uint8Array(frameBytes);
  for (let i = 0; i < frameBytes; i++) unpacked[i] = (bytes[i >> 3] >> (i & 7)) & 1;
  return { bytes: unpacked, photometric: l.photometric, planar: 0 };
}

/** What an uncompressed frame decoded from `ts` is (PS3.3 C.7.6.3.1.2): subsampled and irreversible/reversible
 * colour transforms are undone by the decoders, so they become RGB or YBR_FULL. */
function nativePhotometric(pi: string, ts: string, samples: number): string {
  if (samples !== 3) return pi;
  if (pi === 'YBR_ICT' || pi === 'YBR_RCT') return 'RGB';
  if (pi === 'YBR_FULL_422' || pi === 'YBR_PARTIAL_422' || pi === 'YBR_PARTIAL_420') return JPEG_LOSSY.has(ts) ? 'RGB' : 'YBR_FULL';
  return pi;
}
