/**
 * Decompressing encapsulated pixel data (PS3.5 §8.2, Annex A.4) into native frames, in Node.
 *
 * The codecs are dcmjs-codecs' WebAssembly build (DCMTK's IJG libraries for every JPEG process
 * including 12-bit extended and lossless, CharLS for JPEG-LS, OpenJPEG for JPEG 2000, and an RLE
 * decoder): one module, synchronous once loaded, and the same library dcmjs-dimse uses to transcode.
 * Only its frame codecs are used; the dataset around the pixels is Courier's own (dataset.ts).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type codecsModule from 'dcmjs-codecs';
import { ascii, find, T, uint16, type Element } from './dataset.ts';

type Codecs = typeof codecsModule;
let codecs: Codecs | null = null;
let ready: Promise<void> | null = null;

/** Loads the codecs' WebAssembly module once (on the first file that needs decoding). */
export function loadCodecs(): Promise<void> {
  ready ??= (async () => {
    const require = createRequire(import.meta.url);
    const loaded = (await import('dcmjs-codecs')).default;
    const wasm = join(dirname(require.resolve('dcmjs-codecs')), 'dcmjs-native-codecs.wasm');
    await loaded.NativeCodecs.initializeAsync({ webAssemblyModulePathOrUrl: wasm, logCodecsInfo: false, logCodecsTrace: false });
    codecs = loaded;
  })();
  return ready;
}

/** Which codec family a transfer syntax needs, or null when Courier cannot decode it. */
export function codecFor(ts: string): 'rle' | 'jpeg' | 'jpegls' | 'j2k' | 'htj2k' | null {
  if (ts === '1.2.840.10008.1.2.5') return 'rle';
  if (['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51', '1.2.840.10008.1.2.4.57', '1.2.840.10008.1.2.4.70'].includes(ts)) return 'jpeg';
  if (ts === '1.2.840.10008.1.2.4.80' || ts === '1.2.840.10008.1.2.4.81') return 'jpegls';
  if (ts === '1.2.840.10008.1.2.4.90' || ts === '1.2.840.10008.1.2.4.91') return 'j2k';
  if (ts === '1.2.840.10008.1.2.4.201' || ts === '1.2.840.10008.1.2.4.202' || ts === '1.2.840.10008.1.2.4.203') return 'htj2k';
  return null;
}

/** The Lossy Image Compression Method (0028,2114) term of a lossy transfer syntax (PS3.3 C.7.6.1.1.5.1). */
export function lossyMethod(ts: string): string | null {
  if (ts === '1.2.840.10008.1.2.4.50' || ts === '1.2.840.10008.1.2.4.51') return 'ISO_10918_1';
  if (ts === '1.2.840.10008.1.2.4.81') return 'ISO_14495_1';
  if (ts === '1.2.840.10008.1.2.4.91' || ts === '1.2.840.10008.1.2.4.203') return 'ISO_15444_1';
  return null;
}

/** Decoded pixels and how to describe them. */
export interface Decoded {
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

/** Decodes every frame of an encapsulated Pixel Data element of `elements` (top-level dataset). */
export function decodePixels(elements: readonly Element[], ts: string): Decoded {
  const codec = codecFor(ts);
  if (!codec) throw new Error(`Courier has no decoder for this transfer syntax (${ts})`);
  if (!codecs) throw new Error('the codecs are not loaded (call loadCodecs first)');
  const { NativeCodecs, Context } = codecs;
  const pixel = find(elements, T.PixelData);
  if (!pixel?.fragments) throw new Error('the pixel data is not encapsulated');
  const rows = uint16(elements, T.Rows) ?? 0;
  const columns = uint16(elements, T.Columns) ?? 0;
  const bitsAllocated = uint16(elements, T.BitsAllocated) ?? 0;
  const bitsStored = uint16(elements, T.BitsStored) ?? bitsAllocated;
  const samples = uint16(elements, T.SamplesPerPixel) ?? 1;
  const pixelRepresentation = uint16(elements, T.PixelRepresentation) ?? 0;
  const planar = uint16(elements, T.PlanarConfiguration) ?? 0;
  const photometric = ascii(elements, T.PhotometricInterpretation) || (samples === 3 ? 'RGB' : 'MONOCHROME2');
  const frameCount = Math.max(1, Number.parseInt(ascii(elements, T.NumberOfFrames), 10) || 1);
  if (!rows || !columns || !bitsAllocated) throw new Error('Rows, Columns or Bits Allocated is missing');
  const frameBytes = rows * columns * samples * (bitsAllocated >> 3);
  const frames = framesOf(pixel.fragments, frameCount, codec);
  const out = new Uint8Array(frameBytes * frameCount + ((frameBytes * frameCount) & 1));
  let outPhotometric = photometric;
  let outPlanar = planar;
  frames.forEach((encoded, i) => {
    const ctx = new Context({
      width: columns,
      height: rows,
      bitsAllocated,
      bitsStored,
      samplesPerPixel: samples,
      pixelRepresentation,
      planarConfiguration: planar,
      photometricInterpretation: photometric,
      encodedBuffer: encoded,
    });
    let result;
    switch (codec) {
      case 'rle':
        result = NativeCodecs.decodeRle(ctx);
        break;
      case 'jpeg':
        // YBR_FULL(_422) JPEG data is decoded to RGB; data declared RGB is taken as stored, as PS3.5 §8.2.1 says
        // and as DCMTK's dcmdjpeg does by default (pydicom's SC_jpeg_no_color_transform.dcm shows why).
        result = NativeCodecs.decodeJpeg(ctx, { convertColorspaceToRgb: photometric.startsWith('YBR') });
        break;
      case 'jpegls':
        result = NativeCodecs.decodeJpegLs(ctx);
        break;
      case 'j2k':
        result = NativeCodecs.decodeJpeg2000(ctx);
        break;
      default:
        result = NativeCodecs.decodeHtJpeg2000(ctx);
    }
    const decoded = result.getDecodedBuffer();
    if (!decoded || decoded.length < frameBytes) {
      throw new Error(`frame ${i + 1} decoded to ${decoded?.length ?? 0} bytes, ${frameBytes} expected`);
    }
    out.set(decoded.subarray(0, frameBytes), i * frameBytes);
    outPhotometric = result.getPhotometricInterpretation() ?? photometric;
    outPlanar = result.getPlanarConfiguration() ?? planar;
  });
  return { pixels: out, photometric: nativePhotometric(outPhotometric, ts, samples), planarConfiguration: outPlanar };
}

/** What an uncompressed frame decoded from `ts` is (PS3.3 C.7.6.3.1.2): subsampled and irreversible/reversible
 * colour transforms are undone by the decoders, so they become RGB or YBR_FULL. */
function nativePhotometric(pi: string, ts: string, samples: number): string {
  if (samples !== 3) return pi;
  if (pi === 'YBR_ICT' || pi === 'YBR_RCT') return 'RGB';
  if (pi === 'YBR_FULL_422' || pi === 'YBR_PARTIAL_422' || pi === 'YBR_PARTIAL_420') return codecFor(ts) === 'jpeg' ? 'RGB' : 'YBR_FULL';
  return pi;
}
