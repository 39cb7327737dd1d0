/**
 * The library panel in Chromium, driven as a person drives it: open a folder by path, then read what
 * indexing could not take (each file with its reason), open the Unfiled group of files without a
 * Study Instance UID and see its image, and see that a study and an instance are claimed twice
 * (another patient; another content), with which file holds which.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
