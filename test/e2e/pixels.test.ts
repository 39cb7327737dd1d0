/**
 * What the viewport draws against values computed independently with pydicom + numpy
 * (test/e2e/pixels.py expected): the modality and VOI transformations with the window the viewport
 * reports, compared as block means of the canvas. Files come from pydicom's test set and from
 * pixels.py make (Modality LUT, VOI LUT, SIGMOID, an enhanced CT with functional groups, a
 * supplemental palette, 8- and 16-bit PALETTE COLOR, Float and Double Float Pixel Data, an overlay
 * plane, a file without meta header, files without Study or Series Instance UID), and from the codec corpus (all of it: every file, encoding and image kind,
 * against the reference decode of test/fixtures/codecCorpus.ts). All expected values of a test come
 * from one Python run.
 */
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { codecCorpus } from '../fixtures/codecCorpus.ts';
import { PYDICOM_TEST_FILES, python, ROOT, tempDir } from '../helpers.ts';
import { openApp, type App } from './harness.ts';

interface Expected {
  rows: number;
  columns: number;
  color: boolean;
  blocks: (number | number[])[][];
}

/** What pixels.py computes one expectation from. */
interface Spec {
  path: string;
  frame: number;
  wc: number;
  ww: number;
  voiLut: boolean;
  overlays: boolean;
  block: number;
}

/** One image on screen: its canvas blocks and what to compare them with. */
interface Shot {
  label: string;
  spec: Spec;
  got: number[][][];
  tolerance: { mean: number; max: number };
}

/** The viewport's data-* attributes. */
async function paneData(page: Page): Promise<Record<string, string>> {
  return page.getByTestId('viewport').first().evaluate((e: Element) => ({ ...(e as HTMLElement).dataset }) as Record<string, string>);
}

/** For each block×block square of image pixels, the mean of the canvas at those pixels' centres (where the
 * canvas's interpolation gives the pixel's own value; a block mean of every canvas pixel would weigh the
 * edge pixels less, which matters on noisy images). */
async function renderedBlocks(page: Page, rows: number, cols: number, block: number, scale: number) {
  return page.evaluate(
    ({ rows, cols, block, scale }) => {
      const canvas = document.querySelector('[data-testid="viewport"] canvas') as HTMLCanvasElement;
      const { width: cw, height: ch } = canvas;
      const data = canvas.getContext('2d')!.getImageData(0, 0, cw, ch).data;
      const toCanvasX = (x: number) => Math.floor(cw / 2 + (x - cols / 2) * scale);
      const toCanvasY = (y: number) => Math.floor(ch / 2 + (y - rows / 2) * scale);
      const out: number[][][] = [];
      for (let by = 0; by + block <= rows; by += block) {
        const row: number[][] = [];
        for (let bx = 0; bx + block <= cols; bx += block) {
          const sum = [0, 0, 0];
          for (let y = by; y < by + block; y++)
            for (let x = bx; x < bx + block; x++) {
              const i = (toCanvasY(y + 0.5) * cw + toCanvasX(x + 0.5)) * 4;
              sum[0] += data[i];
              sum[1] += data[i + 1];
              sum[2] += data[i + 2];
            }
          row.push(sum.map((v) => v / (block * block)));
        }
        out.push(row);
      }
      return out;
    },
    { rows, cols, block, scale },
  );
}

/** Shows the series named `name` (its Series Description) unless `open` is false, waits for its image
 * (frame `frame`, from 0), and takes the canvas. */
async function shoot(app: App, name: string, path: string, opts: { block: number; frame?: number; open?: boolean; exact?: boolean; tolerance?: { mean: number; max: number } }): Promise<Shot> {
  const rows = app.page.getByTestId('series-row');
  const row = opts.exact ? rows.filter({ has: app.page.locator('.series-text .title', { hasText: new RegExp(`\\b${name.replace(/[.+]/g, '\\$&')}$`) }) }) : rows.filter({ hasText: name });
  const seriesId = await row.getAttribute('data-series-id');
  if (opts.open !== false) await row.locator('.series-open').click();
  await app.page.waitForFunction(
    ({ id, frame }) => {
      const v = document.querySelector('[data-testid="viewport"]') as HTMLElement;
      return v.dataset.state === 'shown' && v.dataset.ww !== '' && v.dataset.seriesId === id && v.dataset.shownIndex === String(frame);
    },
    { id: seriesId, frame: opts.frame ?? 0 },
  );
  // cornerstone draws in its animation-frame loop: let a redraw asked for just now (a toggle, a window) happen first.
  await app.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null)))));
  const d = await paneData(app.page);
  const overlays = (await app.page.getByTestId('overlays-toggle').getAttribute('aria-pressed')) === 'true';
  const spec: Spec = { path, frame: opts.frame ?? 0, wc: Number(d.wc), ww: Number(d.ww), voiLut: d.voiLut !== '', overlays, block: opts.block };
  const got = await renderedBlocks(app.page, Number(d.rows), Number(d.columns), opts.block, Number(d.scale));
  return { label: `${name}${opts.frame ? ` frame ${opts.frame + 1}` : ''}${overlays ? '' : ' (overlays off)'}`, spec, got, tolerance: opts.tolerance ?? { mean: 2, max: 8 } };
}

/** Compares every shot with pixels.py's expectation (one Python run) and fails with all the mismatches. */
function verify(shots: Shot[], dir: string): void {
  const specFile = join(dir, 'spec.json');
  writeFileSync(specFile, JSON.stringify(shots.map((s) => s.spec)));
  const expected = python<Expected[]>([join(ROOT, 'test/e2e/pixels.py'), 'expected', specFile]);
  const failures: string[] = [];
  shots.forEach((shot, k) => {
    const e = expected[k];
    let total = 0;
    let worst = 0;
    let n = 0;
    let worstAt = '';
    e.blocks.forEach((row, y) =>
      row.forEach((want, x) => {
        const w = e.color ? (want as number[]) : [want as number, want as number, want as number];
        w.forEach((v, c) => {
          const d = Math.abs(shot.got[y][x][c] - v);
          total += d;
          n++;
          if (d > worst) {
            worst = d;
            worstAt = `block (${x},${y}) channel ${c}: drawn ${shot.got[y][x][c].toFixed(1)}, pydicom ${v}`;
          }
        });
      }),
    );
    const line = `${shot.label}: W ${shot.spec.ww} L ${shot.spec.wc}${shot.spec.voiLut ? ' (VOI LUT)' : ''}, mean difference ${(total / n).toFixed(2)}, worst ${worst.toFixed(1)}`;
    console.log(line);
    if (!n || total / n > shot.tolerance.mean || worst > shot.tolerance.max) failures.push(`${line} at ${worstAt}`);
  });
  assert.deepEqual(failures, []);
}

test('rendered pixels match pydicom + numpy for a CT, an MR and a colour image', async (t) => {
  const folder = tempDir();
  t.after(folder.cleanup);
  // Copies with their own UIDs (the MR_small variants share theirs), named in their Series Description.
  const files = ['CT_small.dcm', 'MR_small.dcm', 'SC_rgb_rle.dcm', 'MR_small_RLE.dcm', 'MR_small_bigendian.dcm'];
  python([join(ROOT, 'test/e2e/pixels.py'), 'uniquify', folder.path, ...files.map((f) => join(PYDICOM_TEST_FILES, f))]);
  const app = await openApp({ open: folder.path, viewport: { width: 1200, height: 800 } });
  t.after(() => app.close());
  await app.waitForImage();
  const shots: Shot[] = [];
  const source = (f: string) => join(PYDICOM_TEST_FILES, f);

  // CT: rescale intercept −1024, no window in the file, so the default comes from the pixel range.
  const ct = await shoot(app, 'CT_small.dcm', source('CT_small.dcm'), { block: 16 });
  shots.push(ct);
  // The CT brain preset, then the same comparison under the new window.
  await app.page.getByTestId('preset').selectOption('brain');
  await app.page.waitForFunction(() => (document.querySelector('[data-testid="viewport"]') as HTMLElement).dataset.ww === '80.00');
  const brain = await shoot(app, 'CT_small.dcm', source('CT_small.dcm'), { block: 16, open: false, tolerance: { mean: 2, max: 10 } });
  shots.push(brain);
  assert.deepEqual([brain.spec.ww, brain.spec.wc], [80, 40]);
  assert.notEqual(ct.spec.ww, 80);
  // MR: the file's Window Center/Width (600/1600).
  const mr = await shoot(app, 'MR_small.dcm', source('MR_small.dcm'), { block: 8 });
  shots.push(mr);
  assert.deepEqual([mr.spec.wc, mr.spec.ww], [600, 1600]);
  // The same MR decoded by a worker (RLE) and byte-swapped (big endian).
  shots.push(await shoot(app, 'MR_small_RLE.dcm', source('MR_small_RLE.dcm'), { block: 8 }));
  shots.push(await shoot(app, 'MR_small_bigendian.dcm', source('MR_small_bigendian.dcm'), { block: 8 }));
  // Colour (RLE, RGB): the colour bars.
  shots.push(await shoot(app, 'SC_rgb_rle.dcm', source('SC_rgb_rle.dcm'), { block: 10 }));
  verify(shots, folder.path);
  assert.deepEqual(app.pageErrors, []);
});

test('LUTs, VOI functions, functional groups, palettes, float pixels and overlays are drawn as pydicom computes them', async (t) => {
  const folder = tempDir();
  t.after(folder.cleanup);
  const { files } = python<{ files: string[] }>([join(ROOT, 'test/e2e/pixels.py'), 'make', folder.path]);
  python([join(ROOT, 'test/e2e/pixels.py'), 'uniquify', folder.path, join(PYDICOM_TEST_FILES, 'MR_truncated.dcm')]);
  const app = await openApp({ open: folder.path, viewport: { width: 1200, height: 800 } });
  t.after(() => app.close());
  await app.page.getByTestId('series-row').filter({ hasText: 'no_meta.dcm' }).waitFor();
  const path = (name: string) => files.find((f) => f.endsWith(`/${name}`))!;
  const shots: Shot[] = [];
  const { page } = app;

  // Files without a Study or Series Instance UID are in Unfiled groups, and show like any other.
  for (const name of ['modality_lut.dcm', 'sigmoid.dcm', 'supplemental_palette.dcm', 'palette8.dcm', 'palette16.dcm', 'float.dcm', 'double.dcm', 'no_meta.dcm', 'unfiled.dcm', 'unfiled_series.dcm']) {
    shots.push(await shoot(app, name, path(name), { block: 8 }));
  }
  // A VOI LUT and no window: the LUT is applied, and named in the overlay.
  shots.push(await shoot(app, 'voi_lut.dcm', path('voi_lut.dcm'), { block: 8 }));
  assert.equal((await paneData(page)).voiLut, 'SQRT');
  assert.match((await page.locator('[data-testid="viewport"] .overlay .bl').textContent())!, /VOI LUT: SQRT/);
  // Float pixels: the full range of values, drawn exactly (LINEAR_EXACT), shown with the digits they need.
  const float = shots.find((s) => s.label === 'float.dcm')!;
  assert.ok(Math.abs(float.spec.wc - 1) < 0.01 && Math.abs(float.spec.ww - 3) < 0.01, `float window ${float.spec.wc}/${float.spec.ww}`);

  // Enhanced CT: each frame is rescaled by the shared group and windowed by its own Frame VOI LUT.
  shots.push(await shoot(app, 'enhanced_ct.dcm', path('enhanced_ct.dcm'), { block: 8 }));
  assert.deepEqual([shots.at(-1)!.spec.wc, shots.at(-1)!.spec.ww], [40, 400]);
  await page.getByTestId('viewport').first().focus();
  await page.keyboard.press('End');
  shots.push(await shoot(app, 'enhanced_ct.dcm', path('enhanced_ct.dcm'), { block: 8, frame: 2, open: false }));
  assert.deepEqual([shots.at(-1)!.spec.wc, shots.at(-1)!.spec.ww], [-600, 1500]);

  // The overlay plane, drawn and then hidden with the toolbar's toggle.
  shots.push(await shoot(app, 'overlay.dcm', path('overlay.dcm'), { block: 4 }));
  assert.equal((await paneData(page)).overlays, '1');
  await page.getByTestId('overlays-toggle').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="overlays-toggle"]')!.getAttribute('aria-pressed') === 'false');
  shots.push(await shoot(app, 'overlay.dcm', path('overlay.dcm'), { block: 4, open: false }));
  assert.notDeepEqual(shots.at(-1)!.got, shots.at(-2)!.got, 'the toggle changes the picture');
  await page.getByTestId('overlays-toggle').click();

  // A truncated file after an image: it says so, and the image before it is gone from the screen.
  await page.getByTestId('series-row').filter({ hasText: 'MR_truncated.dcm' }).locator('.series-open').click();
  const error = page.getByTestId('viewport-error');
  await error.waitFor();
  assert.match((await error.textContent())!, /The file is truncated/);
  assert.equal(await page.locator('[data-testid="viewport"] canvas').isVisible(), false, 'no image stays on screen under the error');

  verify(shots, folder.path);
  assert.deepEqual(app.pageErrors, []);
});

test('the whole codec corpus is drawn as its independent decodes say: every file, every frame 2 of a multi-frame', async (t) => {
  const folder = tempDir();
  t.after(folder.cleanup);
  // Every file (338; about a minute), not a sample: the corpus is what other toolkits write.
  const files = codecCorpus().files;
  for (const f of files) copyFileSync(f.file, join(folder.path, `${f.name}.dcm`));
  const app = await openApp({ open: folder.path, viewport: { width: 1200, height: 800 } });
  t.after(() => app.close());
  await app.page.getByTestId('series-row').first().waitFor();
  const shots: Shot[] = [];
  for (const f of files) {
    // 1-bit images are all 0 or 255: the canvas's interpolation between neighbours shows most there (the decode
    // itself is exact, test/renderer/features/viewer/image/decode.test.ts).
    const tolerance = f.bitsAllocated === 1 ? { mean: 3, max: 8 } : undefined;
    // Series Descriptions are the names; a longer name may contain a shorter one, so match the row's whole title.
    shots.push(await shoot(app, f.name, f.reference, { block: 3, exact: true, tolerance }));
    if (f.frames > 1) {
      // The second frame (a 1-bit image's starts inside a byte).
      await app.page.getByTestId('viewport').first().focus();
      await app.page.keyboard.press('ArrowDown');
      shots.push(await shoot(app, f.name, f.reference, { block: 3, frame: 1, open: false, exact: true, tolerance }));
    }
  }
  console.log(`${files.length} corpus files, ${new Set(files.map((f) => f.transferSyntax)).size} transfer syntaxes, ${new Set(files.map((f) => f.image)).size} image kinds`);
  verify(shots, folder.path);
  assert.deepEqual(app.pageErrors, []);
});
