/**
 * The viewer driven like a user would: open a folder by path, pick series, scroll by wheel, keys
 * and scrollbar, drag window/level, presets and view tools, cine, layouts with a dragged series,
 * a length measurement, the tag browser (search, sequences, a non-image object). No page errors.
 * A library file replaced after indexing (nested too deeply, a symbolic link that loops) says why;
 * files deleted while their series is open leave its stack.
 */
import assert from 'node:assert/strict';
import { copyFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateCtSeries } from '../fixtures/generate.ts';
import { encodePart10, nestedSequences } from '../fixtures/dicomWriter.ts';
import { PYDICOM_TEST_FILES, python, ROOT, tempDir } from '../helpers.ts';
import { EXPLICIT_LE } from '../../shared/dicom/transferSyntax.ts';
import { openApp } from './harness.ts';

test('browse, scroll, window, measure and read tags', async (t) => {
  const folder = tempDir();
  t.after(folder.cleanup);
  generateCtSeries(join(folder.path, 'ct'), 40, 128);
  for (const f of ['test-SR.dcm', 'CT_small.dcm', 'SC_rgb_rle_2frame.dcm']) copyFileSync(join(PYDICOM_TEST_FILES, f), join(folder.path, f));

  const app = await openApp(); // empty library: open the folder through the UI
  t.after(() => app.close());
  const { page } = app;
  await page.getByTestId('open-path').fill(folder.path);
  await page.getByTestId('open-button').click();
  await page.getByTestId('index-result').filter({ hasText: 'Indexed' }).waitFor();
  assert.match((await page.getByTestId('index-result').textContent())!, /4 patients, 4 studies, 4 series, 43 instances/);

  // Pick the generated CT series (40 slices).
  const ctRow = page.locator('[data-testid="series-row"]').filter({ hasText: '40 objects' });
  await ctRow.locator('.series-open').click();
  let vp = await app.waitForImage();
  assert.equal(vp.count, 40);
  assert.equal(vp.index, 0);

  // Wheel, keys, scrollbar.
  const pane = page.getByTestId('viewport').first();
  await pane.hover();
  for (let i = 0; i < 3; i++) await page.mouse.wheel(0, 120);
  await page.waitForFunction(() => (document.querySelector('[data-testid="viewport"]') as HTMLElement).dataset.index === '3');
  await pane.focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('PageDown');
  assert.equal((await app.viewport()).index, 14);
  await page.keyboard.press('End');
  assert.equal((await app.viewport()).index, 39);
  await page.keyboard.press('Home');
  await page.getByTestId('stack-scrollbar').focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  vp = await app.viewport();
  assert.equal(vp.index, 2);
  await page.waitForFunction(() => (document.querySelector('[data-testid="viewport"]') as HTMLElement).dataset.state === 'shown');
  assert.match((await page.getByTestId('image-position').textContent())!, /Im 3\/40/);

  // W/L by dragging with the left button.
  const before = await app.viewport();
  const box = (await pane.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 60, box.y + box.height / 2 + 40, { steps: 5 });
  await page.mouse.up();
  await page.waitForFunction((ww) => (document.querySelector('[data-testid="viewport"]') as HTMLElement).dataset.ww !== ww, before.ww.toFixed(2));
  const after = await app.viewport();
  assert.notEqual(after.ww, before.ww);
  assert.notEqual(after.wc, before.wc);
  // The window stays while scrolling.
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => (document.querySelector('[data-testid="viewport"]') as HTMLElement).dataset.index === '3');
  assert.equal((await app.viewport()).ww, after.ww);

  // Presets, invert, rotate, flip, zoom tool, reset.
  await page.getByTestId('preset').selectOption('lung');
  await page.waitForFunction(() => (document.querySelector('[data-testid="viewport"]') as HTMLElement).dataset.ww === '1500.00');
  assert.equal((await app.viewport()).wc, -600);
  const centre = () =>
    page.evaluate(() => {
      const c = document.querySelector('[data-testid="viewport"] canvas') as HTMLCanvasElement;
      return Array.from(c.getContext('2d')!.getImageData(c.width / 2 - 20, c.height / 2, 40, 1).data.filter((_, i) => i % 4 === 0));
    });
  const plain = await centre();
  await page.getByTestId('invert').click();
  await page.waitForFunction(
    (p) => {
      const c = document.querySelector('[data-testid="viewport"] canvas') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(c.width / 2 - 20, c.height / 2, 40, 1).data;
      return Math.abs(d[0] + p[0] - 255) <= 2;
    },
    plain,
  );
  for (const label of ['Rotate', 'Flip H', 'Flip V', 'Fit']) await page.getByRole('button', { name: label, exact: true }).click();
  await page.getByTestId('tool-Zoom').click();
  const scale = (await app.viewport()).scale;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2 - 80, { steps: 5 });
  await page.mouse.up();
  await page.waitForFunction((s) => (document.querySelector('[data-testid="viewport"]') as HTMLElement).dataset.scale !== s, scale.toFixed(4));
  await page.getByTestId('reset').click();
  await page.waitForFunction((s) => (document.querySelector('[data-testid="viewport"]') as HTMLElement).dataset.scale === s, scale.toFixed(4));

  // A length measurement.
  await page.getByTestId('tool-Length').click();
  await page.mouse.move(box.x + box.width / 2 - 50, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 50, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await page.getByTestId('tool-Wwwc').click();

  // Cine runs and stops.
  await page.getByTestId('cine').click();
  const start = (await app.viewport()).index;
  await page.waitForFunction((s) => Number((document.querySelector('[data-testid="viewport"]') as HTMLElement).dataset.index) !== s, start);
  await page.getByTestId('cine').click();

  // 1×2 layout: drag the colour series (two frames) onto the second viewport.
  await page.getByTestId('layout-1x2').click();
  assert.equal(await page.getByTestId('viewport').count(), 2);
  const rgbRow = page.locator('[data-testid="series-row"][data-modality="OT"]');
  await rgbRow.dragTo(page.getByTestId('viewport').nth(1));
  const second = await app.waitForImage(1);
  assert.equal(second.count, 2, 'a two-frame image is a stack of two');
  await page.getByTestId('layout-2x2').click();
  assert.equal(await page.getByTestId('viewport').count(), 4);
  await page.getByTestId('layout-1x1').click();

  // Tag browser on the CT image: search, private elements.
  await page.getByTestId('viewport').first().click();
  await page.locator('[data-testid="series-row"][data-modality="CT"]').filter({ hasText: '1 object' }).locator('.series-open').click();
  await page.waitForFunction(() => (document.querySelector('[data-testid="viewport"]') as HTMLElement).dataset.count === '1');
  await page.getByTestId('tags-toggle').click();
  await page.locator('[data-testid="tag-row"][data-tag="(0010,0010)"]').waitFor();
  assert.ok((await page.getByTestId('tag-row').count()) > 100);
  assert.ok((await page.locator('.tag-row.private').count()) > 0, 'private elements are listed');
  await page.getByTestId('tag-search').fill('RescaleIntercept');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="tag-row"]').length === 1);
  assert.match((await page.getByTestId('tag-row').first().textContent())!, /\(0028,1052\).*-1024/);
  await page.getByTestId('tag-search').fill('');

  // A non-image object (SR): listed in its series, opened in the tag browser, sequences expand.
  await page.locator('[data-testid="series-row"][data-modality="SR"] .series-open').click();
  await page.locator('[data-testid="viewport"][data-state="no-images"]').waitFor();
  await page.getByTestId('show-object-tags').first().click();
  const content = page.locator('[data-testid="tag-row"][data-tag="(0040,A730)"]');
  await content.waitFor();
  const rowsBefore = await page.getByTestId('tag-row').count();
  await content.getByRole('button', { name: 'Expand sequence' }).click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="tag-row"]').length > n, rowsBefore);

  assert.deepEqual(app.pageErrors, []);
  assert.deepEqual(app.consoleErrors, []);
});

test('the pydicom test folder opens by path: errors counted, filter, a series on screen', async (t) => {
  const app = await openApp();
  t.after(() => app.close());
  const { page } = app;
  await page.getByTestId('open-path').fill(PYDICOM_TEST_FILES);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  const result = page.getByTestId('index-result').filter({ hasText: 'Indexed' });
  await result.waitFor();
  assert.match((await result.textContent())!, /files with errors/, 'broken test files are counted, not fatal');
  assert.ok((await page.getByTestId('patient-row').count()) > 5);
  await page.getByTestId('library-filter').fill('CT1');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="patient-row"]').length === 1);
  await page.locator('[data-testid="series-row"][data-modality="CT"] .series-open').first().click();
  const vp = await app.waitForImage();
  assert.equal(vp.state, 'shown');
  assert.deepEqual(app.pageErrors, []);
});

test('a library file replaced after indexing says why in the viewer: sequences nested too deeply, a symbolic link that loops', async (t) => {
  const folder = tempDir();
  const scratch = tempDir();
  t.after(() => {
    folder.cleanup();
    scratch.cleanup();
  });
  // Three instances of their own (pydicom writes them, each series described by its file name).
  const names = ['sound.dcm', 'nested.dcm', 'loop.dcm'];
  for (const name of names) copyFileSync(join(PYDICOM_TEST_FILES, 'CT_small.dcm'), join(scratch.path, name));
  python([join(ROOT, 'test/e2e/pixels.py'), 'uniquify', folder.path, ...names.map((n) => join(scratch.path, n))]);
  const nested = join(folder.path, 'nested.dcm');
  const loop = join(folder.path, 'loop.dcm');
  const app = await openApp({
    open: folder.path,
    // Indexed as sound files; then, before the page reads anything, replaced: 20,000 nested sequences (dicom-parser's
    // recursive reader would overflow the stack), and a symbolic link that loops.
    beforePage: () => {
      writeFileSync(nested, Buffer.concat([encodePart10('1.2.840.10008.5.1.4.1.1.2', '1.2.3.4', [], EXPLICIT_LE), nestedSequences(20_000, true)]));
      rmSync(loop);
      symlinkSync(`${loop}2`, loop);
      symlinkSync(loop, `${loop}2`);
    },
  });
  t.after(() => app.close());
  const { page } = app;
  const open = (name: string) => page.getByTestId('series-row').filter({ hasText: name }).locator('.series-open').click();
  const error = page.getByTestId('viewport-error');
  const canvas = page.locator('[data-testid="viewport"] canvas');

  await open('sound.dcm');
  assert.equal((await app.waitForImage()).state, 'shown');
  await open('nested.dcm');
  await error.filter({ hasText: /Sequences in the file are nested more than 64 levels deep: it is not read/ }).waitFor();
  assert.equal(await canvas.isVisible(), false, 'no image stays on screen under the error');
  await open('loop.dcm');
  await error.filter({ hasText: /is no longer readable: it is a symbolic link that loops/ }).waitFor();
  assert.equal(await canvas.isVisible(), false);
  // And back to a sound one: the error goes, the image comes.
  await open('sound.dcm');
  assert.equal((await app.waitForImage()).state, 'shown');
  assert.equal(await error.count(), 0);
  assert.deepEqual(app.pageErrors, []);
});

test('the viewer follows the library: images whose files are gone leave the stack; a series with none left says so', async (t) => {
  const folder = tempDir();
  t.after(folder.cleanup);
  // Series "three" (3 instances) and series "lonely" (1), written by pydicom.
  python([
    '-c',
    `import pydicom, os
from pydicom.uid import generate_uid
for name, n in (('three', 3), ('lonely', 1)):
    series = generate_uid()
    for i in range(n):
        ds = pydicom.dcmread(${JSON.stringify(join(PYDICOM_TEST_FILES, 'CT_small.dcm'))})
        ds.SeriesInstanceUID, ds.SeriesDescription, ds.InstanceNumber = series, name, i + 1
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.save_as(os.path.join(${JSON.stringify(folder.path)}, '%s%d.dcm' % (name, i + 1)))
print('null')`,
  ]);
  const app = await openApp({ open: folder.path });
  t.after(() => app.close());
  const { page } = app;
  const viewport = page.getByTestId('viewport').first();
  const open = (name: string) => page.getByTestId('series-row').filter({ hasText: name }).locator('.series-open').click();
  const reindex = async () => {
    await page.getByTestId('open-path').fill(folder.path);
    await page.getByTestId('open-button').click();
  };
  await open('three');
  await page.waitForFunction(() => document.querySelector('[data-testid="viewport"]')?.getAttribute('data-count') === '3');
  assert.equal((await app.waitForImage()).state, 'shown');
  // Two of its files deleted, and the folder read again: the stack holds the one left, and shows it.
  rmSync(join(folder.path, 'three2.dcm'));
  rmSync(join(folder.path, 'three3.dcm'));
  await reindex();
  await page.waitForFunction(() => document.querySelector('[data-testid="viewport"]')?.getAttribute('data-count') === '1');
  assert.equal(await viewport.getAttribute('data-state'), 'shown');
  // A series whose every file is gone says so, with no image left under the words.
  await open('lonely');
  await page.waitForFunction(() => document.querySelector('[data-testid="viewport"]')?.getAttribute('data-count') === '1' && document.querySelector('[data-testid="viewport"]')?.getAttribute('data-state') === 'shown');
  rmSync(join(folder.path, 'lonely1.dcm'));
  await reindex();
  await page.getByTestId('viewport-error').filter({ hasText: 'the files of this series are no longer in the library (deleted or moved)' }).waitFor();
  assert.equal(await page.locator('[data-testid="viewport"] canvas').isVisible(), false);
  assert.deepEqual(app.pageErrors, []);
});
