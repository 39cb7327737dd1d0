/**
 * Decoding one compressed frame (PS3.5 §8.2, Annex A.4): the one decoder export, send and the viewer
 * use. The codecs are WebAssembly builds of the reference libraries, loaded by the caller (in Node by
 * electron/dicom/pixels.ts, in the viewer by its decode worker) and handed in:
 * - dcmjs-codecs (DCMTK's IJG libraries for every JPEG process including 12-bit extended and lossless,
 *   CharLS for JPEG-LS). Its JPEG output equals dcmdjpeg's, bit for bit; the codestream's frame header
 *   is checked against the attributes first, as it does not.
 * - @cornerstonejs/codec-openjpeg (OpenJPEG 2.5) for JPEG 2000 and HTJ2K. It replaced dcmjs-codecs'
 *   JPEG 2000 and HTJ2K decoders, which were wrong on files from other toolkits: 16-bit colour JPEG
 *   2000 came out as 8-bit samples (GDCM's lossy rgb16 file), and HTJ2K colour without a colour
 *   transform (YBR_FULL) came out with its chroma changed (ojph_expand and opj_decompress both give
 *   the source back).
 * - Deflated Image Frame Compression is raw-inflated by the caller's inflate (PS3.5 §8.2.16); RLE
 *   Lossless is decoded here (Annex G, a few lines, with the segment lengths checked that dcmjs-codecs
 *   did not check).
 * A decoded frame must be exactly the size its attributes require, or decoding fails with the reason.
 */
import type codecsModule from 'dcmjs-codecs';
import { codecFor, transferSyntaxInfo } from './transferSyntax.ts';
import { plural } from '../words.ts';

/** The parts of @cornerstonejs/codec-openjpeg's decoder Courier uses (it ships no types). */
export interface J2KDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned: boolean };
  delete(): void;
}

/** The loaded OpenJPEG module. */
export interface OpenJpeg {
  J2KDecoder: new () => J2KDecoder;
}

/** The codec libraries, loaded. */
export interface FrameCodecs {
  dcmjs: typeof codecsModule;
  openjpeg: OpenJpeg;
  /** Raw inflate (RFC 1951) of at most `limit` bytes: null when the data inflates to more, an Error with the
   * reason when it cannot be inflated. */
  inflate(data: Uint8Array, limit: number): Uint8Array | null;
}

/** The Image Pixel attributes a decoder needs (PS3.3 C.7.6.3). */
export interface FrameGeometry {
  rows: number;
  columns: number;
  samples: number;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: number;
  planarConfiguration: number;
  photometric: string;
}

/** One decoded frame: native little-endian samples (a byte a pixel for 1-bit images), and what they are. */
export interface DecodedFrame {
  bytes: Uint8Array;
  /** What the decoded samples are (colour transforms and subsampling undone, PS3.3 C.7.6.3.1.2). */
  photometric: string;
  /** 1 when the samples come plane by plane (PS3.3 C.7.6.3.1.3). */
  planar: number;
}

/** The bytes a decoded frame of `l` has: rows × columns × samples × bytes a sample (a byte for 1-bit pixels). */
export function decodedFrameBytes(l: FrameGeometry): number {
  return l.rows * l.columns * l.samples * (l.bitsAllocated === 1 ? 1 : l.bitsAllocated / 8);
}

/** Decodes one frame of transfer syntax `ts`; throws with the reason when it cannot, or decodes to the wrong size. */
export function decodeFrame(c: FrameCodecs, ts: string, data: Uint8Array, l: FrameGeometry): DecodedFrame {
  const codec = codecFor(ts);
  if (!codec) throw new Error(`Courier has no decoder for ${transferSyntaxInfo(ts).name}`);
  if (l.bitsAllocated !== 1 && l.bitsAllocated % 8) throw new Error(`Bits Allocated ${l.bitsAllocated} is neither 1 nor a multiple of 8`);
  const frameBytes = decodedFrameBytes(l);
  let f: DecodedFrame;
  if (codec === 'deflate') f = inflateFrame(c, data, l, frameBytes);
  else if (codec === 'j2k' || codec === 'htj2k') f = openJpegFrame(c.openjpeg, data, l);
  else if (codec === 'rle') f = rleFrame(data, l);
  else f = dcmjsFrame(c.dcmjs, codec, ts, data, l, frameBytes);
  if (f.bytes.length !== frameBytes) {
    throw new Error(`the frame decoded to ${f.bytes.length} bytes; ${l.rows} × ${l.columns} × ${l.samples} samples of ${l.bitsAllocated} bits are ${frameBytes}`);
  }
  return { ...f, photometric: decodedPhotometric(f.photometric, ts, l.samples) };
}

function dcmjsFrame(dcmjs: typeof codecsModule, codec: 'jpeg' | 'jpegls', ts: string, data: Uint8Array, l: FrameGeometry, frameBytes: number): DecodedFrame {
  // dcmjs-codecs decodes into a buffer of the attributes' size whatever the codestream holds (a JPEG-LS
  // frame of 21 rows came out as 20 when Rows said 20): the codestream's own size must agree first.
  const sof = jpegFrameHeader(data, codec === 'jpegls');
  if (sof.rows !== l.rows || sof.columns !== l.columns || sof.components !== l.samples) {
    throw new Error(`the codestream is ${sof.columns} × ${sof.rows} with ${plural(sof.components, 'component')}; the attributes say ${l.columns} × ${l.rows} with ${l.samples}`);
  }
  if (sof.precision > (l.bitsAllocated === 1 ? 8 : l.bitsAllocated)) throw new Error(`the codestream holds ${sof.precision}-bit samples; Bits Allocated is ${l.bitsAllocated}`);
  const { NativeCodecs, Context } = dcmjs;
  const ctx = new Context({
    width: l.columns,
    height: l.rows,
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
    result = NativeCodecs.decodeJpeg(ctx, { convertColorspaceToRgb: transferSyntaxInfo(ts).lossy && l.photometric.startsWith('YBR') });
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
 * 1-bit frames are coded a byte a pixel (one segment).
 */
function rleFrame(data: Uint8Array, l: FrameGeometry): DecodedFrame {
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
function openJpegFrame(openjpeg: OpenJpeg, data: Uint8Array, l: FrameGeometry): DecodedFrame {
  const decoder = new openjpeg.J2KDecoder();
  try {
    decoder.getEncodedBuffer(data.length).set(data);
    decoder.decode();
    const info = decoder.getFrameInfo();
    // OpenJPEG does not throw on a codestream it cannot read: it leaves an empty image.
    if (!info.width || !info.height) throw new Error('the codestream is damaged: OpenJPEG finds no image in it');
    if (info.width !== l.columns || info.height !== l.rows || info.componentCount !== l.samples) {
      throw new Error(`the codestream is ${info.width} × ${info.height} with ${plural(info.componentCount, 'component')}; the attributes say ${l.columns} × ${l.rows} with ${l.samples}`);
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
function inflateFrame(c: FrameCodecs, data: Uint8Array, l: FrameGeometry, frameBytes: number): DecodedFrame {
  const packed = l.bitsAllocated === 1;
  const want = packed ? Math.ceil(frameBytes / 8) : frameBytes;
  // A frame and its even-length pad may inflate; more than that is not this frame (and is not inflated).
  let bytes: Uint8Array | null;
  try {
    bytes = c.inflate(data, want + 2);
  } catch (err) {
    throw new Error(`the frame cannot be inflated: ${(err as Error).message}`);
  }
  if (!bytes) throw new Error(`the frame inflates to more than the ${want} bytes its attributes require`);
  if (bytes.length !== want && bytes.length !== want + 1) throw new Error(`the frame inflates to ${bytes.length} bytes; its attributes require ${want}`);
  if (!packed) return { bytes: bytes.subarray(0, want), photometric: l.photometric, planar: l.planarConfiguration };
  const unpacked = new Uint8Array(frameBytes);
  for (let i = 0; i < frameBytes; i++) unpacked[i] = (bytes[i >> 3] >> (i & 7)) & 1;
  return { bytes: unpacked, photometric: l.photometric, planar: 0 };
}

/** What a decoded frame of `ts` is (PS3.3 C.7.6.3.1.2): subsampled and irreversible/reversible colour transforms
 * are undone by the decoders, so they become RGB (lossy JPEG, converted) or YBR_FULL. */
export function decodedPhotometric(pi: string, ts: string, samples: number): string {
  if (samples !== 3) return pi;
  if (pi === 'YBR_ICT' || pi === 'YBR_RCT') return 'RGB';
  if (pi === 'YBR_FULL_422' || pi === 'YBR_PARTIAL_422' || pi === 'YBR_PARTIAL_420') return codecFor(ts) === 'jpeg' && transferSyntaxInfo(ts).lossy ? 'RGB' : 'YBR_FULL';
  return pi;
}
