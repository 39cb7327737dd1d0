/**
 * Finding the bytes of one frame in a parsed file: native Pixel Data (frames follow each other,
 * not byte aligned for 1-bit images, PS3.5 §8.1.1) or encapsulated fragments (PS3.5 A.4), split by
 * the Extended Offset Table, the Basic Offset Table, one fragment a frame, or where a codestream
 * starts. A file cut short says so: "truncated", with how many bytes are missing.
 */
import type { DataSet, Element } from 'dicom-parser';
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
export function encapsulatedFrame(ds: DataSet, px: Element, frames: number, frame: number, codec: string): Uint8Array {
  const fragments = px.fragments ?? [];
  const end = ds.byteArray.length;
  for (const f of fragments) {
    if (f.position + f.length > end) throw new Error(`The file is truncated: a fragment of its pixel data needs ${f.position + f.length - end} more bytes than the file holds`);
  }
  if (!fragments.length) throw new Error('The encapsulated pixel data holds no fragments');
  const groups = fragmentGroups(ds, px, frames, codec);
  if (frame >= groups.length) throw new Error(`The pixel data holds ${groups.length} frames, the header says ${frames}`);
  const group = groups[frame];
  if (group.length === 1) return ds.byteArray.subarray(fragments[group[0]].position, fragments[group[0]].position + fragments[group[0]].length);
  const out = new Uint8Array(group.reduce((n, i) => n + fragments[i].length, 0));
  let at = 0;
  for (const i of group) {
    out.set(ds.byteArray.subarray(fragments[i].position, fragments[i].position + fragments[i].length), at);
    at += fragments[i].length;
  }
  return out;
}

/** Which fragments (by index) make up each frame (PS3.5 A.4). */
function fragmentGroups(ds: DataSet, px: Element, frames: number, codec: string): number[][] {
  const fragments = px.fragments!;
  if (frames <= 1) return [fragments.map((_, i) => i)];
  const offsets = extendedOffsets(ds) ?? (px.basicOffsetTable?.length ? px.basicOffsetTable : null);
  if (offsets) {
    // Offsets count from the first fragment's item tag; fragment.offset does too.
    const groups: number[][] = offsets.map(() => []);
    fragments.forEach((f, i) => {
      let k = offsets.length - 1;
      while (k > 0 && offsets[k] > f.offset) k--;
      groups[k].push(i);
    });
    return groups;
  }
  if (fragments.length === frames) return fragments.map((_, i) => [i]);
  // No offset table and more fragments than frames: a frame starts where a codestream starts.
  const groups: number[][] = [];
  fragments.forEach((f, i) => {
    const b = ds.byteArray;
    const soi = b[f.position] === 0xff && b[f.position + 1] === (codec === 'j2k' || codec === 'htj2k' ? 0x4f : 0xd8);
    const starts = codec === 'rle' || codec === 'deflate' ? true : soi;
    if (!groups.length || starts) groups.push([i]);
    else groups[groups.length - 1].push(i);
  });
  return groups;
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
