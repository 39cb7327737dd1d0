/**
 * The Settings and Send panels end to end: the real `courier serve` and Chromium (test/e2e's
 * harness), our own SCP as the node. Add a node with validation, test the connection (C-ECHO),
 * select a patient, send it, and see the job finish with per-instance statuses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PYDICOM_TEST_FILES, tempDir } from '../../helpers.ts';
import { openApp } from '../../e2e/harness.ts';
import { missingPeers } from '../../peers.ts';
import { startServer } from '../../../electron/dimse/server.ts';

test('settings: add a node, test connection; send: a patient to it, statuses shown', { skip: missingPeers('chromium') }, async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const dir = join(tmp.path, 'data');
  mkdirSync(dir);
  for (const n of ['CT_small.dcm', 'MR_small.dcm']) copyFileSync(join(PYDICOM_TEST_FILES, n), join(dir, n));
  const stored: string[] = [];
  const server = await startServer({
    aeTitle: 'UIPACS',
    abstractSyntaxes: () => true,
    handlers: { store: (req) => (stored.push(req.command.AffectedSOPInstanceUID ?? ''), req.command.AffectedSOPClassUID?.endsWith('.4') ? { status: 0xa700 } : { status: 0 }) },
  });
  t.after(() => server.close());
  const app = await openApp({ open: dir });
  t.after(() => app.close());
  const { page } = app;

  await page.getByRole('tab', { name: 'Settings' }).click();
  // The form fills in once the saved settings arrive (typing before that would be overwritten).
  const loaded = () => page.waitForFunction(() => (document.querySelector('input[aria-label="Our AE title"]') as HTMLInputElement | null)?.value !== '');
  await loaded();
  // Our TLS files: certificate and key go together; saved, they are there after a reload.
  const saveStation = page.getByRole('region', { name: 'This station' }).getByRole('button', { name: 'Save', exact: true });
  await page.getByLabel('Our certificate', { exact: true }).fill('/etc/courier/station.pem');
  await page.getByText('Our certificate and its private key go together').waitFor();
  assert.equal(await saveStation.isDisabled(), true);
  await page.getByLabel('Our private key', { exact: true }).fill('/etc/courier/station.key');
  await saveStation.click();
  await page.waitForFunction(() => [...document.querySelectorAll('section[aria-label="This station"] button')].some((b) => b.textContent === 'Save' && (b as HTMLButtonElement).disabled));
  await page.reload();
  await page.getByRole('tab', { name: 'Settings' }).click();
  await loaded();
  assert.equal(await page.getByLabel('Our private key', { exact: true }).inputValue(), '/etc/courier/station.key');
  assert.equal(await page.getByLabel('Trusted CA certificates', { exact: true }).inputValue(), '');

  await page.getByRole('button', { name: 'Add node…' }).click();
  await page.getByLabel('AE title', { exact: true }).fill('BAD\\AE');
  await page.getByText('AE title may not contain a backslash').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Save', exact: true }).last().isDisabled(), true);
  await page.getByLabel('AE title', { exact: true }).fill('UIPACS');
  await page.getByLabel('Name', { exact: true }).fill('Test PACS');
  await page.getByLabel('Host', { exact: true }).fill('127.0.0.1');
  await page.getByLabel('Port', { exact: true }).fill(String(server.port));
  await page.getByRole('button', { name: 'Test connection' }).click();
  await page.getByText(/✔ 0x0000 Success/).waitFor();
  await page.getByRole('button', { name: 'Save', exact: true }).last().click();
  await page.getByRole('cell', { name: 'Test PACS' }).waitFor();

  await page.getByRole('tab', { name: 'Send queue' }).click();
  const boxes = page.getByRole('checkbox', { name: /Select patient/ });
  await boxes.first().waitFor();
  for (let i = 0; i < (await boxes.count()); i++) await boxes.nth(i).check();
  await page.getByRole('region', { name: 'New send' }).getByRole('button', { name: 'Send…' }).click();
  await page.getByTestId('send-dialog').getByRole('button', { name: 'Send', exact: true }).click();
  await page.locator('.send-job .state-done').waitFor({ timeout: 30_000 });
  await page.getByText(/1 stored · \d+ failed|1 stored/).first().waitFor();
  await page.getByRole('cell', { name: /Refused: out of resources/ }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Retry failed' }).count(), 1);
  assert.ok(stored.length >= 2);
  assert.deepEqual(app.pageErrors, []);
});
