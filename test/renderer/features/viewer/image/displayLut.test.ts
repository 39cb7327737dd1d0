/**
 * The greyscale display pipeline against the formulas of PS3.3 C.11: LINEAR (with its W = 1
 * threshold), LINEAR_EXACT, SIGMOID, VOI LUTs and Modality LUTs clamped at both ends, invert, and a
 * supplemental palette taking over from its first value mapped. (test/e2e/pixels.test.ts compares
 * the same pipeline, drawn in Chromium, with pydicom's implementation.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FrameDisplay, Lut } from '../../../../../renderer/features/viewer/image/attributes.ts';
import { defaultVoi, displayLut, modalityFunction, modalityRange, rgba, voiFunction } from '../../../../../renderer/features/viewer/image/displayLut.ts';

const display = (over: Partial<FrameDisplay> = {}): FrameDisplay => ({ modality: { slope: 1, intercept: 0 }, windows: [], voiFunction: 'LINEAR', voiLuts: [], ...over });
const lut = (first: number, bits: number, data: number[]): Lut => ({ firstValueMapped: first, bits, data: Uint16Array.from(data) });

test('LINEAR windows as C.11.2.1.2.1 says, W 1 being a threshold at C − 0.5', () => {
  const f = voiFunction({ center: 40, width: 80, fn: 'LINEAR' });
  assert.equal(f(0), 0); // ≤ c − 0.5 − (w − 1)/2 = 0
  assert.equal(f(79.5), 1); // > c − 0.5 + (w − 1)/2 = 79
  assert.equal(f(40), (40 - 39.5) / 79 + 0.5);
  const threshold = voiFunction({ center: 0.5, width: 1, fn: 'LINEAR' });
  assert.deepEqual([threshold(0), threshold(1)], [0, 1]);
});

test('LINEAR_EXACT and SIGMOID (C.11.2.1.3)', () => {
  const exact = voiFunction({ center: 0, width: 10, fn: 'LINEAR_EXACT' });
  assert.deepEqual([exact(-5), exact(0), exact(5), exact(5.01)], [0, 0.5, 1, 1]);
  const sigmoid = voiFunction({ center: 100, width: 40, fn: 'SIGMOID' });
  assert.equal(sigmoid(100), 0.5);
  assert.equal(sigmoid(110), 1 / (1 + Math.exp(-1)));
});

test('VOI and Modality LUTs clamp below the first value mapped and past the last entry', () => {
  const voi = voiFunction({ lut: lut(10, 12, [0, 4095, 2048]) });
  assert.deepEqual([voi(0), voi(10), voi(11), voi(12), voi(99)], [0, 0, 1, 2048 / 4095, 2048 / 4095]);
  const modality = modalityFunction(display({ modality: { lut: lut(-2, 16, [7, 9, 100]) } }));
  assert.deepEqual([modality(-10), modality(-1), modality(0), modality(50)], [7, 9, 100, 100]);
  assert.deepEqual(modalityRange(display({ modality: { lut: lut(0, 16, [50, 3, 70]) } }), 0, 2, 1, 0), [3, 70]);
  assert.deepEqual(modalityRange(display({ modality: { slope: -2, intercept: 10 } }), 0, 5, 1, 0), [0, 10]);
});

test('the display LUT covers min…max, inverts, and colours the supplemental palette range', () => {
  const words = displayLut({ min: -1, max: 3, scale: 1, offset: 0, display: display(), voi: { center: 1, width: 2, fn: 'LINEAR_EXACT' }, invert: false });
  assert.deepEqual(Array.from(words), [0, 0, 128, 255, 255].map((g) => rgba(g, g, g)));
  const inverted = displayLut({ min: 0, max: 2, scale: 1, offset: 0, display: display(), voi: { center: 1, width: 2, fn: 'LINEAR_EXACT' }, invert: true });
  assert.deepEqual(Array.from(inverted), [255, 128, 0].map((g) => rgba(g, g, g)));
  const palette = { firstValueMapped: 2, red: Uint8Array.of(10, 20), green: Uint8Array.of(30, 40), blue: Uint8Array.of(50, 60) };
  const mixed = displayLut({ min: 0, max: 4, scale: 1, offset: 0, display: display(), voi: { center: 1, width: 2, fn: 'LINEAR_EXACT' }, invert: false, supplemental: palette });
  assert.deepEqual(Array.from(mixed), [rgba(0, 0, 0), rgba(128, 128, 128), rgba(10, 30, 50), rgba(20, 40, 60), rgba(20, 40, 60)]);
});

test('the first window shown: the file\'s, else its VOI LUT, else the full range of modality values', () => {
  const grey = { kind: 'grey' as const, pixels: new Uint16Array(0), min: 0, max: 4095, scale: 1, offset: 0 };
  assert.deepEqual(defaultVoi(grey, display({ windows: [{ center: 40, width: 400 }] })), { center: 40, width: 400 });
  const l = lut(0, 8, [0, 255]);
  assert.equal(defaultVoi(grey, display({ voiLuts: [l] })).lut, l);
  // LINEAR: −1024 black, 3071 white.
  assert.deepEqual(defaultVoi(grey, display({ modality: { slope: 1, intercept: -1024 } })), { center: 1024, width: 4096 });
  // A float map quantized to 16 bits: its values −0.5…2.5, exactly (LINEAR_EXACT).
  const float = { ...grey, max: 65535, scale: 3 / 65535, offset: -0.5 };
  const exact = defaultVoi(float, display({ voiFunction: 'LINEAR_EXACT' }));
  assert.ok(Math.abs(exact.center - 1) < 1e-9 && Math.abs(exact.width - 3) < 1e-9);
  assert.deepEqual(defaultVoi({ kind: 'color', pixels: new Uint8ClampedArray(0) }, display()), { center: 128, width: 256 });
});
