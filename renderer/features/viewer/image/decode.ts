/**
 * Decompressing one encapsulated frame into native little-endian bytes with dcmjs-codecs — the
 * same WebAssembly codecs the export and send paths use (DCMTK's IJG for every JPEG process,
 * CharLS, OpenJPEG, OpenJPH, RLE) — or with raw inflate for Deflated Image Frame Compression.
 * Pure given the loaded codecs: the decode workers run it, and so do the tests in Node.
 */
import type codecsModule from 'dcmjs-codecs';
import type { CodecFamily } from '../../../../shared/dicom/transferSyntax.ts';
import type { PixelLayout } from './attributes.ts';
import type { NativeFrame } from './frames.ts';

/** The dcmjs-codecs module, loaded. */
export type Codecs = typeof codecsModule;

/** A decoded frame and the layout its bytes now have (colour transforms undone, 1-bit samples one a byte). */
export interface DecodedFrame {
  frame: NativeFrame;
  layout: PixelLayout;
}

/** Decodes `encoded` (one frame) of codec family `codec`; `inflateRaw` serves the deflate family. */
export function decodeFrame(codecs: Codecs, codec: CodecFamily, encoded: Uint8Array, layout: PixelLayout, inflateRaw: (b: Uint8Array) => Uint8Array): DecodedFrame {
  const n = layout.rows * layout.columns;
  if (codec === 'deflate') return { frame: { bytes: inflateRaw(encoded), bitOffset: 0, littleEndian: true }, layout };
  const bit1 = layout.bitsAllocated === 1;
  // 1-bit frames are coded one sample a byte (RLE as pydicom and highdicom write it, JPEG 2000 of bit depth 1).
  const geometry = { width: layout.columns, height: layout.rows, bitsAllocated: bit1 ? 8 : layout.bitsAllocated, bitsStored: bit1 ? 8 : layout.bitsStored };
  const { NativeCodecs, Context } = codecs;
  const ctx = new Context({
    ...geometry,
    samplesPerPixel: layout.samplesPerPixel,
    pixelRepresentation: layout.pixelRepresentation,
    planarConfiguration: layout.planarConfiguration,
    photometricInterpretation: layout.photometric,
    encodedBuffer: encoded,
  });
  let result;
  switch (codec) {
    case 'rle':
      result = NativeCodecs.decodeRle(ctx);
      break;
    case 'jpeg':
      // YBR JPEG data is decoded to RGB; data declared RGB is taken as stored (PS3.5 §8.2.1), as DCMTK's dcmdjpeg does.
      result = NativeCodecs.decodeJpeg(ctx, { convertColorspaceToRgb: layout.photometric.startsWith('YBR') });
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
  const bytes = result.getDecodedBuffer();
  const expected = (n * layout.samplesPerPixel * geometry.bitsAllocated) / 8;
  if (!bytes || bytes.length < expected) throw new Error(`the frame decoded to ${bytes?.length ?? 0} bytes, ${expected} expected`);
  if (bit1) return { frame: { bytes, bitOffset: 0, littleEndian: true }, layout: { ...layout, bitsAllocated: 8, bitsStored: 1, highBit: 0 } };
  return {
    frame: { bytes, bitOffset: 0, littleEndian: true },
    layout: { ...layout, photometric: decodedPhotometric(result.getPhotometricInterpretation() ?? layout.photometric, codec, layout.samplesPerPixel), planarConfiguration: result.getPlanarConfiguration() ?? layout.planarConfiguration },
  };
}

/** What decoded colour samples are (PS3.5 §8.2, PS3.3 C.7.6.3.1.2): the decoders undo the reversible and
 * irreversible colour transforms and JPEG's subsampling; JPEG-LS and JPEG 2000 keep YBR_FULL samples. */
function decodedPhotometric(pi: string, codec: CodecFamily, samples: number): string {
  if (samples !== 3) return pi;
  if (pi === 'YBR_ICT' || pi === 'YBR_RCT') return 'RGB';
  if (pi === 'YBR_FULL_422' || pi === 'YBR_PARTIAL_422' || pi === 'YBR_PARTIAL_420') return codec === 'jpeg' ? 'RGB' : 'YBR_FULL';
  return pi;
}
