/**
 * Decompressing encapsulated pixel data (PS3.5 §8.2, Annex A.4) into native frames, in Node, exactly
 * or not at all: every decoded frame must be the size its attributes require, and the whole is
 * checked again by `nativePixelProblem` before anything is written. Frames are decoded by
 * shared/dicom/frameCodec.ts (the decoder the viewer uses too) with the codecs loaded here; the
 * dataset around the pixels is Courier's own (dataset.ts).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { decodedFrameBytes, decodeFrame, type FrameCodecs, type FrameGeometry, type OpenJpeg } from '../../shared/dicom/frameCodec.ts';
import { basicOffsets, frameFragments, joinFragments } from '../../shared/dicom/fragments.ts';
import { codecFor, transferSyntaxInfo, type CodecFamily } from '../../shared/dicom/transferSyntax.ts';
import { ascii, find, T, uint16, type Element } from './dataset.ts';
import { inflateBounded, InflateError } from './inflate.ts';
import { plural } from '../../shared/words.ts';

let codecs: FrameCodecs | null = null;
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
    const openjpeg = await factory({ print: () => {}, printErr: () => {} });
    codecs = { dcmjs: loaded, openjpeg, inflate };
  })();
  return ready;
}

const JPEG_LOSSY = new Set(['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51']);

/** The loaded codecs (loading them first), as shared/dicom/frameCodec.ts takes them. */
export async function frameCodecs(): Promise<FrameCodecs> {
  await loadCodecs();
  return codecs!;
}

/** Which codec family a transfer syntax needs (shared/dicom/transferSyntax.ts), or null when Courier cannot decode it. */
export { codecFor };

/** The Lossy Image Compression Method (0028,2114) term of a lossy transfer syntax (PS3.3 C.7.6.1.1.5.1). */
export function lossyMethod(ts: string): string | null {
  if (JPEG_LOSSY.has(ts)) return 'ISO_10918_1';
  if (ts === '1.2.840.10008.1.2.4.81') return 'ISO_14495_1';
  if (ts === '1.2.840.10008.1.2.4.91') return 'ISO_15444_1';
  // HTJ2K is JPEG 2000 Part 15 (PS3.3 Table C.7-25b).
  if (ts === '1.2.840.10008.1.2.4.203') return 'ISO_15444_15';
  return null;
}

/** The Image Pixel attributes a decoder needs (PS3.3 C.7.6.3), and how many frames the length checks count. */
export interface PixelLayout extends FrameGeometry {
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
  return `the Pixel Data holds ${length} bytes but ${plural(layout.frames, 'frame')} of ${layout.rows} × ${layout.columns} × ${layout.samples} samples of ${layout.bitsAllocated} bits need ${want}`;
}

/** Decoded pixels and how to describe them. */
export interface Decoded {
  /** Native Pixel Data for every frame, padded to even length. */
  pixels: Uint8Array;
  photometric: string;
  planarConfiguration: number;
}

/** Splits encapsulated fragments (the Basic Offset Table item first) into frames (shared/dicom/fragments.ts). */
export function framesOf(fragments: Uint8Array[], frameCount: number, codec: CodecFamily): Uint8Array[] {
  const [bot, ...frags] = fragments;
  return frameFragments(frags, basicOffsets(bot), frameCount, codec).map((g) => joinFragments(frags, g));
}

/** Decodes every frame of an encapsulated Pixel Data element of `elements` (top-level dataset). */
export function decodePixels(elements: readonly Element[], ts: string): Decoded {
  const codec = codecFor(ts);
  if (!codec) throw new Error(`Courier has no decoder for ${transferSyntaxInfo(ts).name}`);
  if (!codecs) throw new Error('the codecs are not loaded (call loadCodecs first)');
  const loaded = codecs;
  const pixel = find(elements, T.PixelData);
  if (!pixel?.fragments) throw new Error('the pixel data is not encapsulated');
  const layout = pixelLayout(elements);
  const { rows, columns, samples, bitsAllocated, frames: frameCount } = layout;
  if (bitsAllocated !== 1 && bitsAllocated % 8) throw new Error(`Bits Allocated ${bitsAllocated} is neither 1 nor a multiple of 8`);
  const oneBit = bitsAllocated === 1;
  const pixelsPerFrame = rows * columns * samples;
  // What a decoder gives for one frame: a byte a sample for 1-bit images (packed below), else the native frame.
  const frameBytes = decodedFrameBytes(layout);
  const encoded = framesOf(pixel.fragments, frameCount, codec);
  const decoded = encoded.map((data, i) => {
    try {
      return decodeFrame(loaded, ts, data, layout);
    } catch (err) {
      throw new Error(`frame ${i + 1}: ${err instanceof Error ? err.message : String(err)}`);
    }
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
  return { pixels: out, photometric: decoded[0].photometric, planarConfiguration: 0 };
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

/** Raw inflate for Deflated Image Frame Compression (FrameCodecs.inflate): null past `limit` bytes. */
function inflate(data: Uint8Array, limit: number): Uint8Array | null {
  try {
    return inflateBounded(data, limit);
  } catch (err) {
    if (!(err instanceof InflateError)) throw err;
    if (/more than/.test(err.message)) return null;
    throw new Error(err.message.replace(/^The deflated dataset /, 'it '));
  }
}
