/**
 * Finding the bytes of one frame in a parsed file: native Pixel Data (frames follow each other,
 * not byte aligned for 1-bit images, PS3.5 §8.1.1) or encapsulated fragments (PS3.5 A.4), split as
 * export splits them (shared/dicom/fragments.ts), by the Extended Offset Table first when there is
 * one. A file cut short says so: "truncated", with how many bytes are missing.
 */
import type { DataSet, Element } from 'dicom-parser';
import { frameFragments, joinFragments } from '../../../../shared/dicom/fragments.ts';
import type { CodecFamily } from '../../../../shared/dicom/transferSyntax.ts';
import type { PixelLayout } from './attributes.ts';

/** A frame's native bytes: `bitOffset` bits into `bytes` (only 1-bit frames start inside a byte), its
 * samples little or big endian. */
export interface NativeFrame {
  bytes: Uint8Array;
  bitOffset: number;
  littleEndian: boolean;
}

/** The Pixel Data element (or Float / Double Float Pixel Data) of a dataset. */
export function pixelElement(ds: DataSet): Element | undefined {
  return ds.elements.x7fe00010 ?? ds.elements.x7fe00008 ?? ds.elements.x7fe00009;
}

/** Bits one native frame takes; YBR_FULL_422 keeps two samples a pixel (PS3.3 C.7.6.3.1.2). */
export function frameBits(layout: PixelLayout): number {
  const samples = layout.samplesPerPixel === 3 && layout.photometric.endsWith('_422') ? 2 : layout.samplesPerPixel;
  return layout.rows * layout.columns * samples * layout.bitsAllocated;
}

/** The native bytes of frame `frame`. In Explicit VR Big Endian, OW Pixel Data is a stream of 16-bit words, each
 * byte-swapped (PS3.5 Annex A.3): its words are swapped back, which makes 8- and 1-bit samples what they were and
 * 16- and 32-bit samples little endian (as DCMTK and GDCM read 32-bit OW; OB, OL, OF and OD keep their own order).
 * Throws "truncated" when the file ends early. */
export function nativeFrame(ds: DataSet, px: Element, layout: PixelLayout, frame: number, littleEndian: boolean): NativeFrame {
  const bits = frameBits(layout);
  const startBit = frame * bits;
  let start = Math.floor(startBit / 8);
  let end = Math.ceil((startBit + bits) / 8);
  const swapWords = !littleEndian && px.vr === 'OW';
  if (swapWords) {
    start &= ~1;
    end += end & 1;
  }
  const available = Math.max(0, Math.min(px.length, ds.byteArray.length - px.dataOffset));
  const needed = Math.ceil((layout.frames * bits) / 8);
  if (end > available) throw truncated(needed, available, layout.frames > 1 ? `frame ${frame + 1}` : 'the image');
  let bytes = ds.byteArray.subarray(px.dataOffset + start, px.dataOffset + end);
  if (swapWords) {
    bytes = bytes.slice();
    for (let i = 0; i + 1 < bytes.length; i += 2) [bytes[i], bytes[i + 1]] = [bytes[i + 1], bytes[i]];
  }
  return { bytes, bitOffset: startBit - start * 8, littleEndian: littleEndian || swapWords };
}

/** The "truncated" error of a file whose pixel data ends early. */
export function truncated(needed: number, available: number, what: string): Error {
  return new Error(`The file is truncated: ${what} needs ${needed} bytes of pixel data, the file holds ${available}`);
}

/** The compressed bytes of frame `frame` of encapsulated Pixel Data. */
export function encapsulatedFrame(ds: DataSet, px: Element, frames: number, frame: number, codec: CodecFamily): Uint8Array {
  const end = ds.byteArray.length;
  const fragments = (px.fragments ?? []).map((f) => {
    if (f.position + f.length > end) throw new Error(`The file is truncated: a fragment of its pixel data needs ${f.position + f.length - end} more bytes than the file holds`);
    return ds.byteArray.subarray(f.position, f.position + f.length);
  });
  const offsets = extendedOffsets(ds) ?? (px.basicOffsetTable?.length ? px.basicOffsetTable : null);
  const groups = frameFragments(fragments, offsets, frames, codec);
  return joinFragments(fragments, groups[frame]);
}

/** The Extended Offset Table (7FE0,0001), 64-bit offsets (PS3.5 A.4 Table A.4-1). */
function extendedOffsets(ds: DataSet): number[] | null {
  const el = ds.elements.x7fe00001;
  if (!el || el.length < 8) return null;
  const view = new DataView(ds.byteArray.buffer, ds.byteArray.byteOffset + el.dataOffset, el.length);
  const out: number[] = [];
  for (let i = 0; i + 8 <= el.length; i += 8) out.push(Number(view.getBigUint64(i, true)));
  return out;
}
