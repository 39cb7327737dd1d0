/**
 * What an image's attributes say about its pixels and their display, read from a dicom-parser
 * dataset: the pixel layout (Image Pixel Module, PS3.3 C.7.6.3), and for each frame the modality
 * transformation (rescale or Modality LUT, C.11.1), the VOI transformations (windows with their
 * function, or VOI LUTs, C.11.2), pixel spacing, a palette (C.7.6.3.1.5) or supplemental palette
 * (C.8.16.2.1.1.1). Enhanced multi-frame objects carry the per-frame values in functional groups
 * (C.7.6.16): the Per-frame item of a frame wins over the Shared one, which wins over the top level.
 */
import type { DataSet } from 'dicom-parser';

/** How the stored pixels of every frame are laid out. */
export interface PixelLayout {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  /** 1 for two's complement samples. */
  pixelRepresentation: number;
  photometric: string;
  planarConfiguration: number;
  frames: number;
  /** 32 or 64 for Float / Double Float Pixel Data (7FE0,0008 / 0009), else 0. */
  float: 0 | 32 | 64;
}

/** A lookup table (LUT Descriptor and Data, PS3.3 C.11.1.1.1): input `firstValueMapped` → data[0]. */
export interface Lut {
  firstValueMapped: number;
  /** Bits of each entry (the descriptor's third value). */
  bits: number;
  data: Uint16Array;
  explanation?: string;
}

/** A window from the file (Window Center and Width, PS3.3 C.11.2.1.2). */
export interface FileWindow {
  center: number;
  width: number;
  explanation?: string;
}

/** The VOI LUT Function (0028,1056), PS3.3 C.11.2.1.3. */
export type VoiFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';

/** The display attributes of one frame. */
export interface FrameDisplay {
  /** Rescale slope and intercept, or a Modality LUT (which replaces them). */
  modality: { slope: number; intercept: number; lut?: undefined } | { lut: Lut; slope?: undefined; intercept?: undefined };
  windows: FileWindow[];
  voiFunction: VoiFunction;
  voiLuts: Lut[];
  /** Row and column spacing in mm. */
  pixelSpacing?: [number, number];
}

/** Red, green and blue lookup tables, each entry scaled to 0–255 for the display. */
export interface Palette {
  firstValueMapped: number;
  red: Uint8Array;
  green: Uint8Array;
  blue: Uint8Array;
}

const SHARED_GROUPS = 'x52009229';
const PER_FRAME_GROUPS = 'x52009230';

/** Reads the pixel layout; throws when an attribute the pixels cannot be read without is missing. */
export function pixelLayout(ds: DataSet): PixelLayout {
  const float = ds.elements.x7fe00008 ? 32 : ds.elements.x7fe00009 ? 64 : 0;
  const samplesPerPixel = ds.uint16('x00280002') ?? 1;
  const bitsAllocated = ds.uint16('x00280100') ?? float;
  const bitsStored = ds.uint16('x00280101') ?? bitsAllocated;
  const layout: PixelLayout = {
    rows: ds.uint16('x00280010') ?? 0,
    columns: ds.uint16('x00280011') ?? 0,
    samplesPerPixel,
    bitsAllocated,
    bitsStored,
    highBit: ds.uint16('x00280102') ?? bitsStored - 1,
    pixelRepresentation: ds.uint16('x00280103') ?? 0,
    photometric: text(ds, 'x00280004') || (samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2'),
    planarConfiguration: ds.uint16('x00280006') ?? 0,
    frames: Math.max(1, ds.intString('x00280008') || 1),
    float,
  };
  const missing = [!layout.rows && 'Rows', !layout.columns && 'Columns', !layout.bitsAllocated && 'Bits Allocated'].filter(Boolean);
  if (missing.length) throw new Error(`The image has no ${missing.join(', ')}`);
  return layout;
}

/** The display attributes of frame `frame` (from 0). */
export function frameDisplay(ds: DataSet, layout: PixelLayout, frame: number): FrameDisplay {
  const transform = macro(ds, frame, 'x00289145') ?? ds; // Pixel Value Transformation (C.7.6.16.2.9)
  const voi = macro(ds, frame, 'x00289132') ?? ds; // Frame VOI LUT (C.7.6.16.2.10)
  const measures = macro(ds, frame, 'x00289110') ?? ds; // Pixel Measures (C.7.6.16.2.1)
  const signed = layout.pixelRepresentation === 1;
  const modalityLut = lutsOf(transform, 'x00283000', signed)[0] ?? lutsOf(ds, 'x00283000', signed)[0];
  const slope = number(transform, 'x00281053') ?? 1;
  const centers = numbers(voi, 'x00281050');
  const widths = numbers(voi, 'x00281051');
  const explanations = (voi.string('x00281055') ?? '').split('\\');
  const windows: FileWindow[] = [];
  for (let i = 0; i < Math.min(centers.length, widths.length); i++) {
    if (Number.isFinite(centers[i]) && Number.isFinite(widths[i]) && widths[i] > 0) windows.push({ center: centers[i], width: widths[i], explanation: explanations[i]?.trim() || undefined });
  }
  const fn = text(voi, 'x00281056');
  const spacing = numbers(measures, 'x00280030');
  return {
    modality: modalityLut ? { lut: modalityLut } : { slope: slope === 0 ? 1 : slope, intercept: number(transform, 'x00281052') ?? 0 },
    windows,
    // Float pixel data are measurements, not counts: their default window maps them exactly (C.11.2.1.3.2).
    voiFunction: fn === 'SIGMOID' || fn === 'LINEAR_EXACT' ? fn : fn === 'LINEAR' || !layout.float ? 'LINEAR' : 'LINEAR_EXACT',
    // A VOI LUT's input is the modality output, signed when rescaled values or a signed modality LUT can be negative.
    voiLuts: lutsOf(voi, 'x00283010', signed || (number(transform, 'x00281052') ?? 0) < 0).concat(voi === ds ? [] : lutsOf(ds, 'x00283010', signed)),
    pixelSpacing: spacing.length === 2 && spacing[0] > 0 && spacing[1] > 0 ? [spacing[0], spacing[1]] : undefined,
  };
}

/** The palette of a PALETTE COLOR image, or the Supplemental Palette Color LUT of a greyscale image whose
 * Pixel Presentation (0008,9205) is COLOR or MIXED (PS3.3 C.8.16.2.1.1.1); null when there is none. */
export function paletteOf(ds: DataSet, layout: PixelLayout): Palette | null {
  if (layout.samplesPerPixel !== 1) return null;
  if (layout.photometric !== 'PALETTE COLOR' && !/^(COLOR|MIXED)$/.test(text(ds, 'x00089205'))) return null;
  const channels = ['1', '2', '3'].map((c) => paletteChannel(ds, c, layout.pixelRepresentation === 1));
  if (channels.some((c) => !c)) {
    if (layout.photometric === 'PALETTE COLOR') throw new Error('The PALETTE COLOR image has no usable red, green and blue lookup tables');
    return null;
  }
  const [red, green, blue] = channels as { first: number; values: Uint8Array }[];
  return { firstValueMapped: red.first, red: red.values, green: green.values, blue: blue.values };
}

function paletteChannel(ds: DataSet, c: string, signed: boolean): { first: number; values: Uint8Array } | null {
  const descriptor = descriptorOf(ds, `x0028110${c}`, signed);
  if (!descriptor) return null;
  let data = lutData(ds, `x0028120${c}`, descriptor.entries, descriptor.bits);
  if (!data && ds.elements[`x0028122${c}`]) data = segmented(words(ds, `x0028122${c}`), descriptor.entries);
  if (!data) return null;
  // 16-bit entries span the full range (C.7.6.3.1.6): the display takes the high byte.
  const shift = Math.max(0, descriptor.bits - 8);
  const values = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) values[i] = data[i] >> shift;
  return { first: descriptor.first, values };
}

/** Expands Segmented Palette Color LUT Data (PS3.3 C.7.9.2): discrete, linear and indirect segments. */
export function segmented(words: Uint16Array, entries: number): Uint16Array {
  const out: number[] = [];
  const expand = (from: number, to: number) => {
    for (let i = from; i < to && out.length < entries; ) {
      const op = words[i];
      const length = words[i + 1];
      if (op === 0) {
        for (let k = 0; k < length; k++) out.push(words[i + 2 + k]);
        i += 2 + length;
      } else if (op === 1) {
        const start = out.length ? out[out.length - 1] : 0;
        const end = words[i + 2];
        for (let k = 1; k <= length; k++) out.push(Math.round(start + ((end - start) * k) / length));
        i += 3;
      } else if (op === 2) {
        const offset = words[i + 2] | (words[i + 3] << 16);
        // An indirect segment repeats `length` segments starting at a byte offset into the data.
        let j = offset / 2;
        for (let k = 0; k < length && j < words.length; k++) {
          const next = j + (words[j] === 0 ? 2 + words[j + 1] : words[j] === 1 ? 3 : 4);
          expand(j, next);
          j = next;
        }
        i += 4;
      } else {
        break;
      }
    }
  };
  expand(0, words.length);
  return Uint16Array.from(out.slice(0, entries));
}

/** The item of a functional group macro (`tag`) that applies to frame `frame`, if the object has functional groups. */
function macro(ds: DataSet, frame: number, tag: string): DataSet | undefined {
  const perFrame = ds.elements[PER_FRAME_GROUPS]?.items?.[frame]?.dataSet?.elements[tag]?.items?.[0]?.dataSet;
  return perFrame ?? ds.elements[SHARED_GROUPS]?.items?.[0]?.dataSet?.elements[tag]?.items?.[0]?.dataSet;
}

function lutsOf(ds: DataSet, sequenceTag: string, signed: boolean): Lut[] {
  const out: Lut[] = [];
  for (const item of ds.elements[sequenceTag]?.items ?? []) {
    const it = item.dataSet;
    if (!it) continue;
    const descriptor = descriptorOf(it, 'x00283002', signed);
    const data = descriptor && lutData(it, 'x00283006', descriptor.entries, descriptor.bits);
    if (descriptor && data) out.push({ firstValueMapped: descriptor.first, bits: descriptor.bits, data, explanation: it.string('x00283003')?.trim() || undefined });
  }
  return out;
}

/** A LUT Descriptor: entries (0 means 65536), first value mapped (signed when `signed` or the VR is SS), bits. */
function descriptorOf(ds: DataSet, tag: string, signed: boolean): { entries: number; first: number; bits: number } | null {
  const el = ds.elements[tag];
  if (!el || el.length < 6) return null;
  const entries = ds.uint16(tag, 0) || 65536;
  const first = el.vr === 'SS' || (el.vr !== 'US' && signed) ? ds.int16(tag, 1)! : ds.uint16(tag, 1)!;
  const bits = ds.uint16(tag, 2) || 16;
  return { entries, first, bits };
}

/** LUT Data: 16-bit words, or one byte an entry when 8-bit entries were written as bytes. */
function lutData(ds: DataSet, tag: string, entries: number, bits: number): Uint16Array | null {
  const el = ds.elements[tag];
  if (!el || !el.length) return null;
  if (bits <= 8 && el.length === entries + (entries & 1) && el.length < entries * 2) {
    return Uint16Array.from(ds.byteArray.subarray(el.dataOffset, el.dataOffset + entries));
  }
  const w = words(ds, tag);
  return w.length >= entries ? w.subarray(0, entries) : w.length ? w : null;
}

function words(ds: DataSet, tag: string): Uint16Array {
  const el = ds.elements[tag];
  const n = Math.floor((el?.length ?? 0) / 2);
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) out[i] = ds.uint16(tag, i) ?? 0;
  return out;
}

function text(ds: DataSet, tag: string): string {
  return (ds.string(tag) ?? '').trim().toUpperCase();
}

function number(ds: DataSet, tag: string): number | undefined {
  const v = ds.floatString(tag);
  return v === undefined || !Number.isFinite(v) ? undefined : v;
}

function numbers(ds: DataSet, tag: string): number[] {
  const s = ds.string(tag);
  return s ? s.split('\\').map((x) => Number.parseFloat(x)) : [];
}
