/**
 * The export panel end to end: the real `courier serve` and Chromium; select a patient, export it
 * to a folder, see the report; a non-empty folder is refused with a clear message.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openApp } from '../../../e2e/harness.ts';
import { generateSmallCorpus } from '../../../fixtures/generate.ts';
import { tempDir } from '../../../helpers.ts';
import { missingPeers } from '../../../peers.ts';

test('export a selected patient from the UI, then a non-empty folder is refused', { skip: missingPeers('chromium') }, async (t) => {
  const tmp = tempDir('courier-export-ui-');
  t.after(() => tmp.cleanup());
  const corpus = join(tmp.path, 'corpus');
  generateSmallCorpus(corpus, 20);
  const app = await openApp({ open: corpus });
  t.after(() => app.close());
  const { page } = app;

  await page.getByRole('checkbox', { name: /^Select patient/ }).first().check();
  await page.getByRole('tab', { name: 'Export' }).click();
  const out = join(tmp.path, 'media');
  await page.getByTestId('export-out').fill(out);
  await page.getByTestId('export-start').click();
  const result = page.getByTestId('export-result');
  await result.waitFor({ timeout: 60_000 });
  assert.match(await result.innerText(), /20 instances written/);
  assert.ok(existsSync(join(out, 'DICOMDIR')));

  const taken = join(tmp.path, 'taken');
  mkdirSync(taken);
  writeFileSync(join(taken, 'mine.txt'), 'keep');
  await page.getByTestId('export-out').fill(taken);
  await page.getByTestId('export-start').click();
  const error = page.getByTestId('export-error');
  await error.waitFor({ timeout: 30_000 });
  assert.match(await error.innerText(), /not empty/);
  assert.deepEqual(readdirSync(taken), ['mine.txt']);
  assert.deepEqual(app.pageErrors, []);
});
