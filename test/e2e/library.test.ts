/**
 * The library panel in Chromium, driven as a person drives it: open a folder by path, then read what
 * indexing could not take (each file with its reason), open the Unfiled group of files without a
 * Study Instance UID and see its image, and see that a study and an instance are claimed twice
 * (another patient; another content), with which file holds which. A selected patient whose files
 * are all gone (deleted after a commitment, say) leaves the selection, not a "hidden by the filter" notice.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PYDICOM_TEST_FILES, python, tempDir } from '../helpers.ts';
import { openApp } from './harness.ts';

const CT = join(PYDICOM_TEST_FILES, 'CT_small.dcm');

test('index errors are a list with reasons; Unfiled files are viewable; conflicts are shown with their files', async (t) => {
  const folder = tempDir();
  t.after(folder.cleanup);
  const dir = join(folder.path, 'mixed');
  mkdirSync(join(dir, 'anon'), { recursive: true });
  copyFileSync(CT, join(dir, 'ct.dcm'));
  python([
    '-c',
    `import pydicom
ds = pydicom.dcmread(${JSON.stringify(CT)})
del ds.StudyInstanceUID
del ds.SeriesInstanceUID
ds.SOPInstanceUID = '1.2.826.0.1.3680043.8.498.77'
ds.save_as(${JSON.stringify(join(dir, 'unfiled.dcm'))})
ds = pydicom.dcmread(${JSON.stringify(CT)})
ds.PatientID = 'ANON-1'
ds.save_as(${JSON.stringify(join(dir, 'anon', 'ct.dcm'))})
print('null')`,
  ]);
  // A file cut in the middle of its header: listed with the reason, the rest indexed.
  writeFileSync(join(dir, 'cut.dcm'), readFileSync(CT).subarray(0, 700));

  const app = await openApp();
  t.after(() => app.close());
  const { page } = app;
  await page.getByTestId('open-path').fill(dir);
  await page.getByTestId('open-button').click();
  const result = page.getByTestId('index-result').filter({ hasText: 'Indexed' });
  await result.waitFor();
  assert.match((await result.textContent())!, /1 unfiled \(no Study or Series Instance UID\), 1 file with errors/);

  // The errors: a list of files with their reasons, not only a count.
  await page.getByTestId('index-errors-toggle').click();
  const errors = page.getByTestId('index-error');
  assert.equal(await errors.count(), 1);
  assert.match((await errors.first().textContent())!, /cut\.dcm.*truncated/);
  await page.getByTestId('index-errors-toggle').click();

  // The Unfiled group: shown as such, and its image opens in the viewer.
  const unfiled = page.getByTestId('unfiled-study');
  await unfiled.waitFor();
  const unfiledSeries = page.locator('.node.study', { has: unfiled }).getByTestId('series-row');
  await unfiledSeries.locator('.series-open').click();
  const shown = await app.waitForImage();
  assert.equal(shown.state, 'shown');
  assert.equal(shown.seriesId, Number(await unfiledSeries.getAttribute('data-series-id')));

  // The conflicts: badges on the rows, and the list naming each file.
  assert.match((await page.getByTestId('study-conflict').textContent())!, /also named by another patient/);
  assert.match((await page.getByTestId('study-content-conflict').textContent())!, /1 image differ/);
  await page.getByTestId('conflicts').locator('summary').click();
  const items = page.getByTestId('conflict');
  assert.equal(await items.count(), 2);
  const claimed = (await page.locator('[data-testid="conflict"][data-kind="patients"]').textContent())!;
  assert.match(claimed, /named by 2 patients/);
  assert.match(claimed, /ANON-1/);
  assert.match(claimed, /1CT1/);
  const files = page.locator('[data-testid="conflict"][data-kind="content"] [data-testid="conflict-file"]');
  const byVersion = Object.fromEntries(
    await Promise.all((await files.all()).map(async (f) => [(await f.textContent())!.match(/: (\S+)/)![1], await f.getAttribute('data-version')])),
  );
  assert.deepEqual(Object.keys(byVersion).sort(), [join(dir, 'anon', 'ct.dcm'), join(dir, 'ct.dcm')]);
  assert.deepEqual(Object.values(byVersion).sort(), ['1', '2'], 'two contents, told apart');
  assert.deepEqual(app.pageErrors, []);
  assert.deepEqual(app.consoleErrors, []);
});

test('a selected patient whose files are all gone leaves the selection; one the filter hides stays', async (t) => {
  const folder = tempDir();
  t.after(folder.cleanup);
  mkdirSync(join(folder.path, 'gone'));
  copyFileSync(CT, join(folder.path, 'ct.dcm'));
  python([
    '-c',
    `import pydicom
ds = pydicom.dcmread(${JSON.stringify(CT)})
ds.PatientID, ds.PatientName = 'GONE-1', 'Gone^Patient'
ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID = '1.2.826.0.1.3680043.8.498.91', '1.2.826.0.1.3680043.8.498.92', '1.2.826.0.1.3680043.8.498.93'
ds.save_as(${JSON.stringify(join(folder.path, 'gone', 'ct.dcm'))})
print('null')`,
  ]);
  const app = await openApp({ open: folder.path });
  t.after(() => app.close());
  const { page } = app;
  const summary = page.getByTestId('selection-summary');
  await page.getByRole('checkbox', { name: /^Select patient Gone, Patient/ }).check();
  await page.getByRole('checkbox', { name: /^Select patient CompressedSamples/ }).check();
  await summary.filter({ hasText: /^Selected: 2 patients · 2 studies · 2 images/ }).waitFor();
  // Hidden by the filter: still selected, and said so.
  await page.getByTestId('library-filter').fill('CompressedSamples');
  await page.getByTestId('selection-hidden').filter({ hasText: '1 selected patient is hidden by the filter' }).waitFor();
  await page.getByTestId('library-filter').fill('');
  await page.getByTestId('selection-hidden').waitFor({ state: 'detached' });
  // Its files deleted, and the folder read again: the patient leaves the library and the selection.
  rmSync(join(folder.path, 'gone'), { recursive: true });
  await page.getByTestId('open-path').fill(folder.path);
  await page.getByTestId('open-button').click();
  await page.getByRole('checkbox', { name: /^Select patient Gone, Patient/ }).waitFor({ state: 'detached' });
  await summary.filter({ hasText: /^Selected: 1 patient · 1 study · 1 image/ }).waitFor();
  assert.equal(await page.getByTestId('selection-hidden').count(), 0);
  assert.deepEqual(app.pageErrors, []);
});
