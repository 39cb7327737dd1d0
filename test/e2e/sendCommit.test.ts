/**
 * The product's central workflow, end to end in Chromium through `courier serve`, driving only the
 * UI: open a folder holding a copy of a study (the original is indexed too, so every SOP Instance is
 * in two files), tick it in the library (partial states and the filter checked on the way), add the
 * node in Settings with commitment on, C-ECHO it, and send with storage commitment and deletion on,
 * choosing the copy's files in the Send dialog — against the built-in `courier pacs` in each report
 * delivery (`same`, `next`, `new` with a delayed report, `same` with `--fail <uid>`) and against
 * Orthanc. Each run checks the screen (per-instance committed / failed with the reason, the kept
 * file's path, the deletion audit list growing live) and the disk (the committed copies gone, the
 * refused one and the originals untouched, the PACS holding every instance). On the way: one file
 * picked by hand from another copy (only it is sent and deleted there); a node saved with "delete
 * after commit" starts the dialog with deletion on; the refused instance, re-sent from the
 * Commitment tab once the PACS accepts it, ends committed and deleted. A last run sends to a node
 * that is not listening: the job ends "failed" with the reason in words; once the node is up,
 * "Retry failed" stores everything, and "Request storage commitment…" on the finished job, with
 * deletion ticked and the files and folder it names confirmed, ends committed with the originals
 * deleted and logged. The page must log no error and throw no exception throughout.
 *
 * COURIER_SCREENSHOTS=1 also writes docs/screenshots/send-dialog.png and commitment-tab.png (the
 * README's pictures); CI leaves them alone.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { openApp } from './harness.ts';
import { missingPeers } from '../peers.ts';
import { freePort, PYDICOM_TEST_FILES, python, ROOT, tempDir } from '../helpers.ts';
import { spawnPacs, type PacsProcess } from '../electron/pacs/cli.ts';
import { startOrthanc, type Orthanc } from '../electron/commit/orthanc.ts';

const SCREENSHOTS = process.env.COURIER_SCREENSHOTS === '1';
if (SCREENSHOTS) mkdirSync(join(ROOT, 'docs', 'screenshots'), { recursive: true });
const TIMEOUT = 90_000;

/** A study of two series (3 + 1 CT images from pydicom's CT_small.dcm), written by pydicom. */
const STUDY_SCRIPT = `
import sys, json, os, pydicom
src, out, seed = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(out, exist_ok=True)
root = '1.2.826.0.1.3680043.8.498.79.' + seed
files = []
for i, series in enumerate([1, 1, 1, 2]):
    ds = pydicom.dcmread(src)
    uid = '%s.%d.%d' % (root, series, i + 1)
    ds.SOPInstanceUID = uid
    ds.file_meta.MediaStorageSOPInstanceUID = uid
    ds.StudyInstanceUID = root
    ds.SeriesInstanceUID = '%s.%d' % (root, series)
    ds.SeriesNumber = series
    ds.SeriesDescription = 'Axial' if series == 1 else 'Scout'
    ds.StudyDescription = 'Courier e2e'
    ds.PatientName = 'Commit^Workflow'
    ds.PatientID = 'E2E-' + seed
    ds.InstanceNumber = i + 1
    name = 'IM%05d.dcm' % (i + 1)
    ds.save_as(os.path.join(out, name), write_like_original=True)
    files.append({'name': name, 'sopInstanceUid': uid})
print(json.dumps(files))
`;

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const list = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.dcm')).sort() : []);

/** A PACS of one run. */
interface Node {
  aeTitle: string;
  port: number;
  holds(): Promise<string[]>;
  stop(): Promise<void>;
  /** Starts it again on the same port and folder, refusing nothing. */
  heal?(): Promise<void>;
}

interface Peer {
  /** Run name, also the copy's folder (copy-<name>) and the node's name. */
  name: string;
  start(accepterPort: number, tmp: string, failUid: string): Promise<Node>;
  /** The SOP Instance refused by the PACS: its file stays, until it is re-sent to the healed PACS. */
  fails?: boolean;
  /** The report comes late: the Commitment tab is open before it and must update by itself. */
  watchCommitmentTab?: boolean;
  /** The node is saved with "Delete local files once committed": the dialog starts with deletion on. */
  deleteByDefault?: boolean;
  /** One instance's file is picked by hand from copy-pick instead of the copy's. */
  pick?: boolean;
}

const pacsPeer = (name: string, delivery: 'same' | 'next' | 'new', extra: Pick<Peer, 'fails' | 'deleteByDefault' | 'pick'> & { delayMs?: number } = {}): Peer => ({
  name,
  ...extra,
  watchCommitmentTab: Boolean(extra.delayMs),
  async start(accepterPort, tmp, failUid) {
    const aeTitle = `PACS_${name.toUpperCase()}`;
    const dir = join(tmp, `pacs-${name}`);
    const home = join(tmp, `pacs-home-${name}`);
    const args = ['--ae', aeTitle, '--dir', dir, '--commit-delivery', delivery];
    if (delivery === 'new') args.push('--reply-to', `COURIER@127.0.0.1:${accepterPort}`);
    if (extra.delayMs) args.push('--commit-delay', String(extra.delayMs));
    let p: PacsProcess = await spawnPacs(['--port', '0', ...args, ...(extra.fails ? ['--fail', failUid] : [])], home);
    const port = p.port;
    return {
      aeTitle,
      port,
      holds: async () => list(dir).map((n) => n.replace(/\.dcm$/, '')),
      stop: () => p.stop(),
      async heal() {
        await p.stop();
        p = await spawnPacs(['--port', String(port), ...args], home);
      },
    };
  },
});

const orthancPeer: Peer = {
  name: 'orthanc',
  async start(accepterPort, tmp) {
    const o: Orthanc = await startOrthanc(join(tmp, 'orthanc'), { aeTitle: 'COURIER', host: '127.0.0.1', port: accepterPort });
    return {
      aeTitle: o.aeTitle,
      port: o.dicomPort,
      async holds() {
        const ids = await o.get<string[]>('/instances');
        return Promise.all(ids.map(async (id) => (await o.get<{ MainDicomTags: { SOPInstanceUID: string } }>(`/instances/${id}`)).MainDicomTags.SOPInstanceUID));
      },
      stop: () => o.stop(),
    };
  },
};

/**
 * Adds a node in Settings (commitment asked by default, deletion too when `deleteByDefault`; a
 * report wait long enough for a loaded machine), tests it, saves it, and checks the nodes table.
 */
async function addNode(page: Page, name: string, aeTitle: string, port: number, expectEcho: RegExp, deleteByDefault = false) {
  await page.getByRole('tab', { name: 'Settings' }).click();
  await page.getByRole('button', { name: 'Add node…' }).click();
  const form = page.getByRole('form', { name: 'Add node' });
  await form.getByLabel('Name', { exact: true }).fill(name);
  await form.getByLabel('AE title', { exact: true }).fill(aeTitle);
  await form.getByLabel('Host', { exact: true }).fill('127.0.0.1');
  await form.getByLabel('Port', { exact: true }).fill(String(port));
  await form.getByLabel('Request storage commitment').check();
  if (deleteByDefault) await form.getByLabel('Delete local files once committed').check();
  await form.getByLabel('Wait for a report (seconds)').fill('30');
  await form.getByLabel('Then ask again (times)').fill('1');
  await form.getByRole('button', { name: 'Test connection' }).click();
  await form.getByText(expectEcho).waitFor({ timeout: 20_000 });
  await form.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByTestId('settings-saved').filter({ hasText: `Saved node ${name}` }).waitFor();
  await page.locator('table.nodes tr', { hasText: aeTitle }).filter({ hasText: deleteByDefault ? 'asked, then deletes · 30 s × 2 tries' : 'asked · 30 s × 2 tries' }).waitFor();
}

/**
 * Opens the Send dialog on the ticked patient, for node `name`, sending the files under `folder`
 * (and, with `pick`, that instance's file from another folder, chosen in the per-file list).
 */
async function openSendDialog(page: Page, name: string, folder: string | null, pick: { uid: string; path: string } | null = null) {
  await page.getByTestId('selection-bar').getByRole('button', { name: 'Send…' }).click();
  const dialog = page.getByTestId('send-dialog');
  await dialog.getByTestId('send-plan').filter({ hasText: /1 patient · 1 study · 4 images/ }).waitFor();
  await dialog.getByLabel('Destination').selectOption({ label: await optionLabel(page, name) });
  if (folder) {
    // Every instance is in two files: the copy's are chosen, and the plan then reads from the copy only.
    await dialog.getByTestId('send-duplicates').filter({ hasText: '4 images are in more than one file' }).waitFor();
    await dialog.getByLabel('Send the files under').selectOption(folder);
    await dialog.getByTestId('send-folders').filter({ hasText: folder }).waitFor();
    assert.equal(await dialog.getByTestId('send-folders').locator('li').count(), 1);
    if (pick) {
      // The list shows the file each instance is sent from: all from the folder chosen, until one is picked elsewhere.
      await dialog.getByRole('button', { name: 'Choose each file…' }).click();
      const choices = dialog.getByTestId('send-duplicate-files').locator('select');
      assert.equal(await choices.count(), 4);
      for (const value of await choices.evaluateAll((els) => els.map((e) => (e as HTMLSelectElement).value))) assert.ok(value.startsWith(folder + sep), value);
      await dialog.getByLabel(`File for ${pick.uid}`).selectOption(pick.path);
      await dialog.getByTestId('send-folders').locator('li').nth(1).waitFor();
      const lines = (await dialog.getByTestId('send-folders').locator('li').allInnerTexts()).map((l) => l.replace(/\d+ kB$/, 'N kB'));
      assert.deepEqual(lines, [`${folder} — 3 files, N kB`, `${dirname(pick.path)} — 1 file, N kB`].sort());
    }
  }
  return dialog;
}

/** The Destination option of node `name` ("name (AE@host:port)"). */
async function optionLabel(page: Page, name: string): Promise<string> {
  await page.getByTestId('send-dialog').getByLabel('Destination').locator('option', { hasText: `${name} (` }).waitFor({ state: 'attached' });
  const labels = await page.getByTestId('send-dialog').getByLabel('Destination').locator('option').allTextContents();
  const label = labels.find((l) => l.startsWith(`${name} (`));
  assert.ok(label, `node ${name} is offered (${labels.join(', ')})`);
  return label;
}

/** Console errors the test provokes on purpose (none: a failure shows on the screen, never in the console). */
const EXPECTED_CONSOLE_ERRORS: RegExp[] = [];

test(
  'send with storage commitment and deletion from the UI: courier pacs (same, next, new, --fail) and Orthanc; a dead node fails in words, then recovers',
  { skip: missingPeers('chromium', 'python3') },
  async (t) => {
    const tmp = tempDir('courier-e2e-commit-');
    t.after(tmp.cleanup);
    const library = join(tmp.path, 'library');
    const original = join(library, 'original');
    const study = python<{ name: string; sopInstanceUid: string }[]>(['-c', STUDY_SCRIPT, join(PYDICOM_TEST_FILES, 'CT_small.dcm'), original, String(Date.now() % 1e9)]);
    const failUid = study[1].sopInstanceUid;
    const peers: Peer[] = [
      pacsPeer('same', 'same', { pick: true }),
      pacsPeer('next', 'next', { deleteByDefault: true }),
      pacsPeer('new', 'new', { delayMs: 1500 }),
      pacsPeer('fail', 'same', { fails: true }),
    ];
    const withoutOrthanc = missingPeers('Orthanc');
    if (!withoutOrthanc) peers.push(orthancPeer);
    for (const p of peers) cpSync(original, join(library, `copy-${p.name}`), { recursive: true });
    // One more copy, where the 'same' run picks one file by hand.
    const pickDir = join(library, 'copy-pick');
    cpSync(original, pickDir, { recursive: true });
    const originals = new Map(study.map((f) => [f.name, sha256(join(original, f.name))]));

    const accepterPort = await freePort();
    const app = await openApp({ open: original, args: ['--listen', String(accepterPort)] });
    t.after(() => app.close());
    const { page } = app;

    // Open the folder holding the copies through the path field, as a person does in the browser.
    await page.getByTestId('open-path').fill(library);
    await page.getByTestId('open-button').click();
    await page.getByTestId('index-result').filter({ hasText: 'Indexed: 1 patient, 1 study, 2 series, 4 instances' }).waitFor({ timeout: TIMEOUT });

    // Settings tells where the accepter really listens (the --listen port here).
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByTestId('accepter-state').filter({ hasText: `listens now as COURIER on port ${accepterPort}` }).waitFor();

    // Selection: the patient ticks both series; unticking one leaves patient and study partial.
    const patient = page.getByRole('checkbox', { name: /^Select patient Commit, Workflow/ });
    await patient.check();
    await page.getByTestId('selection-summary').filter({ hasText: /1 patient · 1 study · 4 images · \d+ kB/ }).waitFor();
    await page.getByRole('checkbox', { name: /^Select series 2 CT Scout/ }).uncheck();
    await page.getByTestId('selection-summary').filter({ hasText: /3 images/ }).waitFor();
    assert.equal(await patient.evaluate((e) => (e as HTMLInputElement).indeterminate), true);
    assert.equal(await page.getByRole('checkbox', { name: /^Select study/ }).first().evaluate((e) => (e as HTMLInputElement).indeterminate), true);
    await page.getByRole('checkbox', { name: /^Select series 2 CT Scout/ }).check();
    assert.equal(await patient.isChecked(), true);
    // A filter that hides the patient does not silently drop or hide what is selected.
    await page.getByTestId('library-filter').fill('nobody-matches-this');
    await page.getByTestId('selection-hidden').filter({ hasText: '1 selected patient is hidden by the filter' }).waitFor();
    await page.getByTestId('library-filter').fill('');
    await page.getByTestId('selection-hidden').waitFor({ state: 'detached' });

    // Runs share one page: after a failure the rest would only fail in its wake.
    let broken = false;
    let deletedSoFar = 0;
    for (const peer of peers) {
      await t.test(`${peer.name}: committed copies deleted, the rest kept, the PACS holds all`, { skip: broken && 'an earlier run failed' }, async (st) => {
        broken = true;
        const node = await peer.start(accepterPort, tmp.path, failUid);
        try {
          const copy = join(library, `copy-${peer.name}`);
          const picked = peer.pick ? study[0] : null;
          await addNode(page, peer.name, node.aeTitle, node.port, /✔ 0x0000 Success/, peer.deleteByDefault);
          const dialog = await openSendDialog(page, peer.name, copy, picked && { uid: picked.sopInstanceUid, path: join(pickDir, picked.name) });
          const folders = picked ? [copy, pickDir] : [copy];
          // The node's defaults: commitment asked; deletion as saved in Settings.
          assert.equal(await dialog.getByLabel('Request storage commitment').isChecked(), true);
          const del = dialog.getByLabel('Delete local files once the PACS has committed them');
          if (peer.deleteByDefault) {
            // On from the start, and what it deletes named at once; Send asks again below.
            assert.equal(await del.isChecked(), true);
            await dialog.getByTestId('delete-summary').filter({ hasText: /Will delete 4 files \(\d+ kB\) in / }).filter({ hasText: copy }).waitFor();
          } else {
            assert.equal(await del.isChecked(), false);
            // Ticking it asks first: it stays unticked until confirmed.
            await del.click();
            assert.equal(await del.isChecked(), false);
            let confirm = dialog.getByTestId('confirm-delete').filter({ hasText: /Delete 4 files \(\d+ kB\)/ });
            for (const f of folders) confirm = confirm.filter({ hasText: f });
            await confirm.waitFor();
            await confirm.getByRole('button', { name: 'Delete after commit' }).click();
            assert.equal(await del.isChecked(), true);
          }
          if (SCREENSHOTS && peer.name === 'fail') await dialog.screenshot({ path: join(ROOT, 'docs', 'screenshots', 'send-dialog.png') });
          await dialog.getByRole('button', { name: 'Send…' }).click();
          let confirmSend = dialog.getByTestId('confirm-send').filter({ hasText: /Send 4 images \(\d+ kB\)/ });
          for (const f of folders) confirmSend = confirmSend.filter({ hasText: f });
          await confirmSend.waitFor();
          await dialog.getByRole('button', { name: 'Send and delete' }).click();
          await dialog.waitFor({ state: 'detached' });

          if (peer.watchCommitmentTab) {
            // Open before the (delayed) report: the audit list and the instances update by themselves.
            await page.getByRole('tab', { name: 'Commitment' }).click();
            await page.getByTestId('commit-audit').locator('summary').click();
            await page.getByTestId('commit-audit').locator('summary').filter({ hasText: `Deleted files (${deletedSoFar + 4})` }).waitFor({ timeout: TIMEOUT });
            // The detail follows the new transaction by itself, and shows its own instances (never the last
            // one's) committed and deleted.
            const detail = page.getByRole('region', { name: 'Transaction', exact: true });
            await detail.filter({ hasText: `To ${node.aeTitle}@127.0.0.1:${node.port}` }).waitFor({ timeout: TIMEOUT });
            const shown = await detail.getAttribute('data-transaction-id');
            const fates = detail.locator(`[data-testid="commit-instances"][data-transaction-id="${shown}"] [data-testid="file-fate"]`);
            await page.waitForFunction(
              (id) => {
                const fates = [...document.querySelectorAll(`[data-testid="commit-instances"][data-transaction-id="${id}"] [data-testid="file-fate"]`)];
                return fates.length === 4 && fates.every((e) => e.textContent === 'deleted');
              },
              shown,
              { timeout: TIMEOUT },
            );
            assert.equal(await fates.count(), 4);
            await page.getByRole('tab', { name: 'Send queue' }).click();
          }

          // One live view of the job: stored → committed / failed → deleted, per instance.
          const job = page.getByTestId('send-job').first();
          // Described in words: what was sent, and where.
          await job.getByRole('button', { name: `1 patient, 1 study → ${peer.name}` }).waitFor();
          await job.getByTestId('job-commit').and(page.locator('[data-commit-state="done"]')).waitFor({ timeout: TIMEOUT });
          await job.getByTestId('job-commit').filter({ hasText: /^Storage commitment done \(committed files are deleted\): / }).waitFor();
          const jobId = await job.getAttribute('data-job-id');
          const rows = job.locator(`[data-testid="job-instances"][data-job-id="${jobId}"] tbody tr`);
          await page.waitForFunction(
            ([id, n]) => document.querySelectorAll(`[data-testid="job-instances"][data-job-id="${id}"] tbody tr[data-deleted="yes"]`).length === n,
            [jobId, peer.fails ? 3 : 4] as const,
            { timeout: TIMEOUT },
          );
          assert.equal(await rows.count(), 4);
          if (picked) {
            // The file picked by hand is the one sent (and deleted), from its own folder.
            assert.ok((await rows.and(page.locator(`[data-sop-instance-uid="${picked.sopInstanceUid}"]`)).innerText()).includes(join(pickDir, picked.name)));
          }
          if (peer.fails) {
            // The refused instance comes first, in red words, with the path of the file kept.
            const first = rows.first();
            assert.equal(await first.getAttribute('data-sop-instance-uid'), failUid);
            assert.equal(await first.getAttribute('data-commit'), 'failed');
            assert.match(await first.getByTestId('instance-stage').innerText(), /commitment failed 0x0110: Processing failure/);
            assert.ok((await first.innerText()).includes(join(copy, study[1].name)));
            await job.getByTestId('job-commit').filter({ hasText: /3\/4 committed · 1 failed · 3 deleted/ }).waitFor();
            // The job links to its transaction in the Commitment tab: failure first and coloured, reason in
            // words, kept file's path, the audit log.
            await job.getByRole('button', { name: 'Show in the Commitment tab' }).click();
            const detail = page.getByRole('region', { name: 'Transaction', exact: true });
            await detail.filter({ hasText: `PACS_FAIL@127.0.0.1:${node.port}` }).waitFor();
            const first2 = page.getByTestId('commit-instances').locator('tbody tr').first();
            await first2.filter({ hasText: 'Failed 0x0110' }).waitFor();
            assert.equal(await first2.getAttribute('class'), 'row-fail');
            assert.match(await first2.innerText(), /kept: not committed/);
            assert.ok((await first2.innerText()).includes(join(copy, study[1].name)));
            await page.getByTestId('commit-audit').locator('summary').click();
            for (const f of study.filter((s) => s.sopInstanceUid !== failUid)) await page.getByTestId('commit-audit').getByText(join(copy, f.name)).waitFor();
            if (SCREENSHOTS) await page.screenshot({ path: join(ROOT, 'docs', 'screenshots', 'commitment-tab.png') });
            // Re-request: the detail follows the new transaction, and shows its own rows only (the refused
            // instance, refused again), never the four of the transaction before.
            const before = await detail.getAttribute('data-transaction-id');
            await detail.getByRole('button', { name: 'Re-request' }).click();
            await detail.filter({ hasText: `re-request of #${before}` }).waitFor({ timeout: TIMEOUT });
            const again = await detail.getAttribute('data-transaction-id');
            const againRows = detail.locator(`[data-testid="commit-instances"][data-transaction-id="${again}"] tbody tr`);
            await againRows.and(page.locator('[data-state="failed"]')).waitFor({ timeout: TIMEOUT });
            assert.equal(await againRows.count(), 1);
            assert.equal(await againRows.getAttribute('data-sop-instance-uid'), failUid);
            assert.deepEqual(list(copy), [study[1].name]);
            // The PACS accepts it now: Re-send stores it again, the detail follows the re-send's transaction,
            // and the instance ends committed and its file deleted.
            await node.heal!();
            await detail.getByRole('button', { name: 'Re-send failed' }).click();
            await page.getByRole('status').filter({ hasText: /Re-sending as send job \d+/ }).waitFor();
            await page.waitForFunction(
              (old) => {
                const d = document.querySelector('section[aria-label="Transaction"]');
                const id = d?.getAttribute('data-transaction-id');
                const rows = [...(d?.querySelectorAll(`[data-testid="commit-instances"][data-transaction-id="${id}"] tbody tr`) ?? [])];
                return !!id && !old.includes(id) && rows.length === 1 && rows[0].getAttribute('data-state') === 'committed' && rows[0].querySelector('[data-testid="file-fate"]')?.textContent === 'deleted';
              },
              [before, again],
              { timeout: TIMEOUT },
            );
            await page.getByTestId('commit-audit').getByText(join(copy, study[1].name)).waitFor({ timeout: TIMEOUT });
            await page.getByRole('tab', { name: 'Send queue' }).click();
            await page.getByTestId('send-job').first().getByTestId('job-commit').filter({ hasText: /1\/1 committed · 1 deleted/ }).waitFor({ timeout: TIMEOUT });
          } else {
            for (let i = 0; i < 4; i++) assert.match(await rows.nth(i).getByTestId('instance-stage').innerText(), /stored → committed → deleted/);
          }

          // The disk: the chosen files are gone (the refused one too once re-sent), every other copy and
          // every original untouched.
          assert.deepEqual(list(copy), picked ? [picked.name] : []);
          for (const [n, hash] of originals) assert.equal(sha256(join(original, n)), hash, `original ${n} changed`);
          for (const n of list(pickDir)) assert.equal(sha256(join(pickDir, n)), originals.get(n), `copy-pick/${n} changed`);
          assert.equal(list(pickDir).length, 3);
          for (const other of peers.slice(peers.indexOf(peer) + 1)) assert.equal(list(join(library, `copy-${other.name}`)).length, 4);
          // The PACS holds every instance (the refused one too: it was stored, only its commitment was refused).
          assert.deepEqual((await node.holds()).sort(), study.map((f) => f.sopInstanceUid).sort());
          deletedSoFar += 4;
          broken = false;
        } catch (err) {
          // What the screen showed, for whoever reads the failure.
          const shot = join(tmpdir(), `courier-e2e-commit-${peer.name}-failure.png`);
          await page.screenshot({ path: shot, fullPage: true }).then(() => st.diagnostic(`screen at the failure: ${shot}`), () => undefined);
          throw err;
        } finally {
          await node.stop();
        }
      });
    }
    if (withoutOrthanc) await t.test('Orthanc: committed copies deleted, the rest kept, the PACS holds all', { skip: withoutOrthanc }, () => {});

    await t.test('a node that does not listen: the job fails with the reason in words; once it listens, Retry failed and Request storage commitment', { skip: broken && 'an earlier run failed' }, async () => {
      const dead = await freePort();
      await addNode(page, 'dead', 'NOBODY', dead, new RegExp(`✘ could not connect to NOBODY at 127\\.0\\.0\\.1:${dead} — connection refused`));
      const dialog = await openSendDialog(page, 'dead', null);
      // Sent without commitment (the originals: the file indexed first), to ask for it once stored.
      await dialog.getByLabel('Request storage commitment').uncheck();
      await dialog.getByRole('button', { name: 'Send', exact: true }).click();
      const job = page.getByTestId('send-job').first();
      await job.and(page.locator('[data-outcome="failed"]')).waitFor({ timeout: TIMEOUT });
      assert.match(await job.getByTestId('job-error').innerText(), new RegExp(`127\\.0\\.0\\.1:${dead}.*refused`, 'i'));
      assert.equal(await job.getByTestId('job-state').innerText(), 'failed');
      assert.equal(list(original).length, 4);

      const pacsDir = join(tmp.path, 'pacs-dead');
      const pacs = await spawnPacs(['--port', String(dead), '--ae', 'NOBODY', '--dir', pacsDir, '--commit-delivery', 'same'], join(tmp.path, 'pacs-home-dead'));
      try {
        await job.getByRole('button', { name: 'Retry failed' }).click();
        await job.and(page.locator('[data-outcome="done"]')).waitFor({ timeout: TIMEOUT });
        // Asking now opens a panel: deletion off until ticked; Cancel asks nothing.
        const ask = job.getByRole('button', { name: 'Request storage commitment…' });
        await ask.click();
        const panel = job.getByTestId('request-commitment');
        assert.equal(await panel.getByLabel('Delete local files once the PACS has committed them').isChecked(), false);
        await panel.getByRole('button', { name: 'Cancel' }).click();
        await panel.waitFor({ state: 'detached' });
        assert.equal(await job.getByTestId('job-commit').count(), 0);
        // Ticking deletion names what may be deleted before anything is asked: 4 files, in the originals' folder.
        await ask.click();
        await panel.getByLabel('Delete local files once the PACS has committed them').check();
        const bytes = study.reduce((n, f) => n + statSync(join(original, f.name)).size, 0);
        const deletes = panel.getByTestId('request-commitment-deletes');
        await deletes.filter({ hasText: `Delete 4 files (${Math.round(bytes / 1e3)} kB) once NOBODY has committed them? They are in: 4 files (${Math.round(bytes / 1e3)} kB) in ${original}.` }).waitFor();
        await panel.getByRole('button', { name: 'Request, then delete committed files' }).click();
        await panel.waitFor({ state: 'detached' });
        await job.getByTestId('job-commit').and(page.locator('[data-commit-state="done"]')).waitFor({ timeout: TIMEOUT });
        await job.getByTestId('job-commit').filter({ hasText: /^Storage commitment done \(committed files are deleted\): .*4\/4 committed · 4 deleted/ }).waitFor({ timeout: TIMEOUT });
        // The disk: the originals the job sent are gone now, each logged; the PACS holds them all.
        assert.deepEqual(list(original), []);
        await page.getByRole('tab', { name: 'Commitment' }).click();
        const audit = page.getByTestId('commit-audit');
        if (!(await audit.evaluate((d) => (d as HTMLDetailsElement).open))) await audit.locator('summary').click();
        for (const f of study) await audit.getByText(join(original, f.name)).waitFor({ timeout: TIMEOUT });
        assert.deepEqual(list(pacsDir), study.map((f) => `${f.sopInstanceUid}.dcm`).sort());
        // Its commitment settled, the job can be taken off the list (and only then: Remove is not offered while it is asked for).
        await page.getByRole('tab', { name: 'Send queue' }).click();
        const id = await job.getAttribute('data-job-id');
        const jobs = await page.getByTestId('send-job').count();
        await page.locator(`[data-testid="send-job"][data-job-id="${id}"]`).getByRole('button', { name: 'Remove' }).click();
        await page.locator(`[data-testid="send-job"][data-job-id="${id}"]`).waitFor({ state: 'detached' });
        assert.equal(await page.getByTestId('send-job').count(), jobs - 1);
        assert.equal(await page.locator('.panel.send .banner.error').count(), 0);
      } finally {
        await pacs.stop();
      }
    });

    assert.deepEqual(app.pageErrors, []);
    assert.deepEqual(
      app.consoleErrors.filter((e) => !EXPECTED_CONSOLE_ERRORS.some((r) => r.test(e))),
      [],
    );
  },
);
