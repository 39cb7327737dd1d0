/**
 * The greyscale display pipeline (PS3.3 C.11, PS3.4 N.2): stored value → modality transformation
 * (rescale, or a Modality LUT, C.11.1) → VOI transformation (a window through its VOI LUT Function —
 * LINEAR, LINEAR_EXACT or SIGMOID, C.11.2.1.2 and C.11.2.1.3 — or a VOI LUT) → presentation
 * (MONOCHROME1 and the user's invert) → an 8-bit grey, as one RGBA word for each stored value the
 * frame holds. Stored values of a supplemental palette's range take their colour instead
 * (C.8.16.2.1.1.1). Pure: unit-tested in Node.
 */
import type { FrameDisplay, Lut, Palette, VoiFunction } from './attributes.ts';
import type { Frame } from './samples.ts';

/** The VOI transformation the viewport applies. */
export type Voi = { lut: Lut; center?: undefined; width?: undefined; fn?: undefined } | { center: number; width: number; fn: VoiFunction; lut?: undefined };

/** What a display LUT is built from. */
export interface DisplayInput {
  /** The frame's range of pixel values (after quantization, see samples.ts). */
  min: number;
  max: number;
  /** Stored value = pixel × scale + offset. */
  scale: number;
  offset: number;
  display: FrameDisplay;
  voi: Voi;
  invert: boolean;
  supplemental?: Palette | null;
}

/** A lookup from a modality value to the display (0–1). */
export function voiFunction(voi: Voi): (m: number) => number {
  if (voi.lut) {
    const { lut } = voi;
    const top = 2 ** lut.bits - 1;
    const last = lut.data.length - 1;
    return (m) => lut.data[Math.min(last, Math.max(0, Math.round(m) - lut.firstValueMapped))] / top;
  }
  const { center: c, width: w } = voi;
  if (voi.fn === 'SIGMOID') return (m) => 1 / (1 + Math.exp((-4 * (m - c)) / w));
  if (voi.fn === 'LINEAR_EXACT') {
    return (m) => (m <= c - w / 2 ? 0 : m > c + w / 2 ? 1 : (m - c) / w + 0.5);
  }
  // LINEAR: c − 0.5 and w − 1, so W 1 is a threshold at c − 0.5 (C.11.2.1.2.1).
  const lo = c - 0.5 - (w - 1) / 2;
  const hi = c - 0.5 + (w - 1) / 2;
  return (m) => (m <= lo ? 0 : m > hi ? 1 : w <= 1 ? 1 : (m - (c - 0.5)) / (w - 1) + 0.5);
}

/** The modality transformation of a frame (stored → modality value). */
export function modalityFunction(display: FrameDisplay): (s: number) => number {
  const { modality } = display;
  if (modality.lut) {
    const { lut } = modality;
    const last = lut.data.length - 1;
    return (s) => lut.data[Math.min(last, Math.max(0, Math.round(s) - lut.firstValueMapped))];
  }
  const { slope, intercept } = modality;
  return (s) => s * slope + intercept;
}

/** RGBA words (little-endian byte order: R, G, B, A) for each pixel value min…max. */
export function displayLut(input: DisplayInput): Uint32Array {
  const { min, max, scale, offset, supplemental } = input;
  const out = new Uint32Array(max - min + 1);
  const modality = modalityFunction(input.display);
  const voi = voiFunction(input.voi);
  for (let v = min; v <= max; v++) {
    const stored = v * scale + offset;
    if (supplemental && stored >= supplemental.firstValueMapped) {
      const i = Math.min(supplemental.red.length - 1, Math.round(stored) - supplemental.firstValueMapped);
      out[v - min] = rgba(supplemental.red[i], supplemental.green[i], supplemental.blue[i]);
      continue;
    }
    let y = voi(modality(stored));
    if (input.invert) y = 1 - y;
    const g = Math.round(y * 255);
    out[v - min] = rgba(g, g, g);
  }
  return out;
}

/** The 8-bit lookup a colour image's channels go through under a window (LINEAR) and invert. */
export function colorLut(voi: Voi, invert: boolean): Uint8ClampedArray {
  const out = new Uint8ClampedArray(256);
  const f = voiFunction(voi.lut ? { center: 128, width: 256, fn: 'LINEAR' } : voi);
  for (let x = 0; x < 256; x++) {
    const y = f(x);
    out[x] = Math.round((invert ? 1 - y : y) * 255);
  }
  return out;
}

/** One opaque RGBA pixel as a little-endian 32-bit word. */
export const rgba = (r: number, g: number, b: number) => ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;

/** The range of modality values of stored values min…max (for the default window). */
export function modalityRange(display: FrameDisplay, min: number, max: number, scale: number, offset: number): [number, number] {
  const f = modalityFunction(display);
  if (!display.modality.lut) {
    const a = f(min * scale + offset);
    const b = f(max * scale + offset);
    return [Math.min(a, b), Math.max(a, b)];
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (let v = min; v <= max; v++) {
    const m = f(v * scale + offset);
    if (m < lo) lo = m;
    if (m > hi) hi = m;
  }
  return [lo, hi];
}

/** The VOI a frame starts with: its first window, else its first VOI LUT, else the range of its modality values
 * (the lowest value black, the highest white: PS3.3 C.11.2.1.2.1 for LINEAR, C.11.2.1.3.2 for LINEAR_EXACT).
 * Colour starts unchanged. */
export function defaultVoi(pixels: Frame, display: FrameDisplay): { center: number; width: number; lut?: Lut } {
  if (pixels.kind === 'color') return { center: 128, width: 256 };
  const [lo, hi] = modalityRange(display, pixels.min, pixels.max, pixels.scale, pixels.offset);
  const exact = display.voiFunction === 'LINEAR_EXACT';
  const range = exact ? { center: (lo + hi) / 2, width: hi > lo ? hi - lo : 1 } : { center: (lo + hi + 1) / 2, width: Math.max(1, hi - lo + 1) };
  if (display.windows[0]) return { center: display.windows[0].center, width: display.windows[0].width };
  if (display.voiLuts[0]) return { ...range, lut: display.voiLuts[0] };
  return range;
}
