/**
 * One compressed frame through shared/dicom/frameCodec.ts — the decoder export and send use, with
 * the same WebAssembly codecs — and the layout its native bytes then have: colour transforms and
 * subsampling undone, samples plane by plane or not, 1-bit pixels one a byte. Pure given the loaded
 * codecs: the decode workers run it, and so do the tests in Node.
 */
import { decodeFrame as decodeCompressed, type FrameCodecs } from '../../../../shared/dicom/frameCodec.ts';
import type { PixelLayout } from './attributes.ts';
import type { NativeFrame } from './frames.ts';

/** A decoded frame and the layout its bytes now have. */
export interface DecodedFrame {
  frame: NativeFrame;
  layout: PixelLayout;
}

/** Decodes `encoded`, one frame of transfer syntax `ts`. */
export function decodeFrame(codecs: FrameCodecs, ts: string, encoded: Uint8Array, layout: PixelLayout): DecodedFrame {
  const { rows, columns, samplesPerPixel: samples, bitsAllocated, bitsStored, pixelRepresentation, planarConfiguration, photometric } = layout;
  const f = decodeCompressed(codecs, ts, encoded, { rows, columns, samples, bitsAllocated, bitsStored, pixelRepresentation, planarConfiguration, photometric });
  const decoded = { ...layout, photometric: f.photometric, planarConfiguration: f.planar };
  // A codec's unsigned samples fill their container with nothing else in it: a lossy overshoot past Bits Stored
  // (GDCM's JPEG 2000 of a 12-bit image decodes a 4105) is kept as the reference decoders keep it, not masked
  // to a dark 9. Signed samples are still sign-extended from High Bit.
  if (!pixelRepresentation && bitsAllocated > 8) Object.assign(decoded, { bitsStored: bitsAllocated, highBit: bitsAllocated - 1 });
  return {
    frame: { bytes: f.bytes, bitOffset: 0, littleEndian: true },
    layout: bitsAllocated === 1 ? { ...decoded, bitsAllocated: 8, bitsStored: 1, highBit: 0 } : decoded,
  };
}
