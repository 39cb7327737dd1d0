/**
 * Rendered pixels against values computed independently with pydicom + numpy (test/e2e/pixels.py):
 * the modality LUT and the window the viewport reports, compared as block means of the canvas. CT and
 * MR go through the fast path (renderer/features/viewer/rawLoader.ts), RLE, big endian and colour
 * through cornerstone-wado-image-loader.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { PYDICOM_TEST_FILES, python, ROOT, tempDir } from '../helpers.ts';
import { openApp, type App } from './harness.ts';

interface Expected {
  rows: number;
  columns: number;
  color: boolean;
  blocks: (number | number[])[][];
}

/** Means of the canvas over each block×block square of image pixels (inner area: pixel centres to pixel centres). */
async function renderedBlocks(page: Page, pane: number, rows: number, cols: number, block: number, scale: number) {
  return page.evaluate(
    ({ pane, rows, cols, block, scale }) => {
      const canvas = document.querySelectorAll('[data-testid="viewport"]')[pane].querySelector('canvas') as HTMLCanvasElement;
      const { width: cw, height: ch } = canvas;
      const data = canvas.getContext('2d')!.getImageData(0, 0, cw, ch).data;
      const toCanvasX = (x: number) => cw / 2 + (x - cols / 2) * scale;
      const toCanvasY = (y: number) => ch / 2 + (y - rows / 2) * scale;
      const out: number[][][] = [];
      for (let by = 0; by + block <= rows; by += block) {
        const row: number[][] = [];
        for (let bx = 0; bx + block <= cols; bx += block) {
          const x0 = Math.ceil(toCanvasX(bx + 0.5) - 0.5);
          const x1 = Math.floor(toCanvasX(bx + block - 0.5) - 0.5);
          const y0 = Math.ceil(toCanvasY(by + 0.5) - 0.5);
          const y1 = Math.floor(toCanvasY(by + block - 0.5) - 0.5);
          const sum = [0, 0, 0];
          let n = 0;
          for (let y = y0; y <= y1; y++)
            for (let x = x0; x <= x1; x++) {
              const i = (y * cw + x) * 4;
              sum[0] += data[i];
              sum[1] += data[i + 1];
              sum[2] += data[i + 2];
              n++;
            }
          row.push(sum.map((s) => s / n));
        }
        out.push(row);
      }
      return out;
    },
    { pane, rows, cols, block, scale },
  );
}

/** Shows the series of `file` (its copy's Series Description is the file name) and compares it with pydicom. */
async function compare(app: App, file: string, block: number, tolerance: { mean: number; max: number }, open = true, source = join(PYDICOM_TEST_FILES, file)) {
  const row = app.page.getByTestId('series-row').filter({ hasText: file });
  const seriesId = await row.getAttribute('data-series-id');
  if (open) await row.locator('.series-open').click();
  await app.page.waitForFunction((id) => {
    const v = document.querySelector('[data-testid="viewport"]') as HTMLElement;
    return v.dataset.state === 'shown' && v.dataset.ww !== '' && v.dataset.seriesId === id;
  }, seriesId);
  const vp = await app.viewport(0);
  const expected = python<Expected>([join(ROOT, 'test/e2e/pixels.py'), 'expected', source, String(vp.wc), String(vp.ww), String(block)]);
  const got = await renderedBlocks(app.page, 0, expected.rows, expected.columns, block, vp.scale);
  let total = 0;
  let worst = 0;
  let n = 0;
  let worstAt = '';
  expected.blocks.forEach((row, y) =>
    row.forEach((e, x) => {
      const want = expected.color ? (e as number[]) : [e as number, e as number, e as number];
      want.forEach((w, c) => {
        const d = Math.abs(got[y][x][c] - w);
        total += d;
        n++;
        if (d > worst) {
          worst = d;
          worstAt = `block (${x},${y}) channel ${c}: rendered ${got[y][x][c].toFixed(1)}, pydicom ${w}`;
        }
      });
    }),
  );
  const mean = total / n;
  assert.ok(mean <= tolerance.mean && worst <= tolerance.max, `${file}: mean difference ${mean.toFixed(2)}, worst ${worst.toFixed(1)} at ${worstAt} (W ${vp.ww} L ${vp.wc})`);
  console.log(`${file}: W ${vp.ww} L ${vp.wc}, mean difference ${mean.toFixed(2)}, worst ${worst.toFixed(1)}`);
  return { mean, worst, vp };
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

  // CT: rescale intercept −1024, no window in the file, so the default comes from the pixel range.
  const ct = await compare(app, 'CT_small.dcm', 16, { mean: 2, max: 8 });
  // The CT brain preset, then the same comparison under the new window.
  await app.page.getByTestId('preset').selectOption('brain');
  await app.page.waitForFunction(() => (document.querySelector('[data-testid="viewport"]') as HTMLElement).dataset.ww === '80.00');
  const brain = await compare(app, 'CT_small.dcm', 16, { mean: 2, max: 10 }, false);
  assert.equal(brain.vp.ww, 80);
  assert.equal(brain.vp.wc, 40);
  assert.notEqual(ct.vp.ww, 80);
  // MR: the file's Window Center/Width (600/1600).
  const mr = await compare(app, 'MR_small.dcm', 8, { mean: 2, max: 8 });
  assert.equal(mr.vp.wc, 600);
  assert.equal(mr.vp.ww, 1600);
  // The same MR decoded by the loader's workers (RLE) and byte-swapped (big endian).
  await compare(app, 'MR_small_RLE.dcm', 8, { mean: 2, max: 8 });
  await compare(app, 'MR_small_bigendian.dcm', 8, { mean: 2, max: 8 });
  // Colour (RLE, RGB): the colour bars.
  await compare(app, 'SC_rgb_rle.dcm', 10, { mean: 2, max: 8 });
  assert.deepEqual(app.pageErrors, []);
});

test('a PALETTE COLOR image renders as its red, green and blue lookup tables say', async (t) => {
  const folder = tempDir();
  t.after(folder.cleanup);
  const { file } = python<{ file: string }>([join(ROOT, 'test/e2e/pixels.py'), 'palette', folder.path]);
  const app = await openApp({ open: folder.path, viewport: { width: 1200, height: 800 } });
  t.after(() => app.close());
  await app.waitForImage();
  await compare(app, 'PALETTE_COLOR.dcm', 16, { mean: 2, max: 8 }, false, file);
  assert.deepEqual(app.pageErrors, []);
});
