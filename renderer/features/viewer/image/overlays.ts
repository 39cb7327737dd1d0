/**
 * Overlay planes (groups 6000–601E, PS3.3 C.9.2): one bit a pixel, packed like 1-bit pixel data
 * (PS3.5 §8.1.2), placed at Overlay Origin, for one frame or a run of frames of a multi-frame image
 * (Number of Frames in Overlay, Image Frame Origin). Overlays kept in unused high bits of the pixel
 * data (retired) are read from those bits.
 */
import type { DataSet } from 'dicom-parser';
import type { PixelLayout } from './attributes.ts';
import type { NativeFrame } from './frames.ts';

/** One overlay plane of an image. */
export interface OverlayPlane {
  group: number;
  rows: number;
  columns: number;
  /** 1-based row and column of the overlay's top-left pixel in the image. */
  origin: [number, number];
  type: string;
  label: string;
  /** Frames 'first … first + frames − 1' (0-based) carry this overlay. */
  firstFrame: number;
  frames: number;
  /** Packed overlay bits (all frames), or null when the bits are in the pixel data at `bitPosition`. */
  data: Uint8Array | null;
  bitPosition: number;
}

/** The overlay planes of a dataset (top level). */
export function overlayPlanes(ds: DataSet, layout: PixelLayout, littleEndian: boolean): OverlayPlane[] {
  const out: OverlayPlane[] = [];
  for (let g = 0x6000; g <= 0x601e; g += 2) {
    const group = g.toString(16);
    const tag = (e: string) => `x${group}${e}`;
    const rows = ds.uint16(tag('0010'));
    const columns = ds.uint16(tag('0011'));
    if (!rows || !columns) continue;
    const dataEl = ds.elements[tag('3000')];
    const bitsAllocated = ds.uint16(tag('0100')) ?? 1;
    const bitPosition = ds.uint16(tag('0102')) ?? 0;
    let data: Uint8Array | null = null;
    if (dataEl && dataEl.length) {
      data = ds.byteArray.subarray(dataEl.dataOffset, dataEl.dataOffset + dataEl.length);
      // Overlay Data is OW: in Explicit VR Big Endian its bytes come swapped in words.
      if (!littleEndian && dataEl.vr !== 'OB') {
        data = data.slice();
        for (let i = 0; i + 1 < data.length; i += 2) [data[i], data[i + 1]] = [data[i + 1], data[i]];
      }
    } else if (bitsAllocated <= 1 || bitsAllocated !== layout.bitsAllocated || bitPosition < layout.bitsStored) {
      continue; // no data and no spare bit of the pixel data to hold it
    }
    // Overlay Origin is SS: row, then column, 1-based.
    const hasOrigin = (ds.elements[tag('0050')]?.length ?? 0) >= 4;
    out.push({
      group: g,
      rows,
      columns,
      origin: hasOrigin ? [ds.int16(tag('0050'), 0)!, ds.int16(tag('0050'), 1)!] : [1, 1],
      type: (ds.string(tag('0040')) ?? 'G').trim(),
      label: (ds.string(tag('1500')) ?? ds.string(tag('0022')) ?? '').trim(),
      firstFrame: Math.max(0, (ds.uint16(tag('0051')) ?? 1) - 1),
      frames: Math.max(1, ds.intString(tag('0015')) ?? 1),
      data,
      bitPosition,
    });
  }
  return out;
}

/** The bits of `plane` for image frame `frame` (0-based) as one byte a pixel (0 or 1); null when the
 * overlay does not cover that frame. `pixels` is the frame's native data, for overlays in the pixel data. */
export function overlayBits(plane: OverlayPlane, frame: number, pixels: NativeFrame | null): Uint8Array | null {
  const n = plane.rows * plane.columns;
  const out = new Uint8Array(n);
  if (plane.data) {
    const index = plane.frames > 1 ? frame - plane.firstFrame : 0;
    if (index < 0 || index >= plane.frames) return null;
    const start = index * n;
    if (Math.ceil((start + n) / 8) > plane.data.length) return null;
    for (let i = 0, bit = start; i < n; i++, bit++) out[i] = (plane.data[bit >> 3] >> (bit & 7)) & 1;
    return out;
  }
  if (!pixels) return null;
  const view = new DataView(pixels.bytes.buffer, pixels.bytes.byteOffset, pixels.bytes.byteLength);
  for (let i = 0; i < n && (i + 1) * 2 <= pixels.bytes.length; i++) out[i] = (view.getUint16(i * 2, pixels.littleEndian) >> plane.bitPosition) & 1;
  return out;
}
