/**
 * The deletion guard is taken when the bytes are read for sending: a file overwritten
 * after it was sent — same size, same SOP Instance UID, its mtime put back as `cp -p` keeps one — is
 * kept with the reason "changed since it was sent", although the PACS committed the instance. Once
 * through the app's send job with commitment, once through `courier send --commit`. (Before, the
 * app hashed the file when commitment was requested, after the overwrite, and would have deleted it.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PYDICOM_TEST_FILES, python, tempDir } from '../../helpers.ts';
import { startPacs } from '../../../electron/pacs/pacs.ts';
import { makeStudy } from '../commit/study.ts';
import { appWithPacs } from './app.ts';
import { runCliAsync } from '../commit/net.ts';

/** Overwrites `path` with other bytes of the same length and puts its mtime back to the nanosecond. */
function overwriteKeepingSizeAndMtime(path: string, scratch: string): void {
  const before = statSync(path);
  copyFileSync(path, scratch);
  execFileSync('touch', ['-m', '-r', path, scratch]);
  const bytes = readFileSync(path);
  bytes[bytes.length - 2] ^= 0xff; // a pixel: the SOP Instance UID and the size stay
  writeFileSync(path, bytes);
  execFileSync('touch', ['-m', '-r', scratch, path]);
  const after = statSync(path);
  assert.equal(after.size, before.size);
  assert.equal(after.mtimeMs, before.mtimeMs);
}

/** The app with a PACS; `queue` makes a send job with commitment and deletion for it. */
async function appQueueing(t: { after(fn: () => unknown): void }) {
  const { dir, services, dest } = await appWithPacs(t);
  const queue = (paths: string[]) =>
    services.send.queueFiles(dest, 'COURIER', 'changed', paths.map((path) => ({ path })), { request: true, deleteAfterCommit: true, timeoutMs: 10_000, attempts: 1 });
  return { dir, services, queue };
}

test('AppSendJob_FileOverwrittenAfterItWasSent_IsKeptAsChangedSinceSent_TheOthersDeleted', async (t) => {
  const { dir, services, queue } = await appQueueing(t);
  const files = makeStudy(join(dir, 'study'), 3);
  const jobId = queue(files.map((f) => f.path));
  // Right after its store is answered, before commitment is requested, the first file is overwritten.
  services.send.start(jobId, { onResult: (r) => r.path === files[0].path && overwriteKeepingSizeAndMtime(files[0].path, join(dir, 'scratch')) });
  await services.send.wait(jobId);
  await services.workflow.settled(jobId);
  const rows = services.send.store.instances(jobId);
  assert.deepEqual(rows.map((r) => [r.commit?.state, r.commit?.deleted]), [['committed', false], ['committed', true], ['committed', true]]);
  assert.match(rows[0].commit!.keptReason!, /^changed since it was sent/);
  assert.ok(existsSync(files[0].path));
  assert.ok(!existsSync(files[1].path) && !existsSync(files[2].path));
  assert.deepEqual(services.send.store.job(jobId)!.commit!.counts, { total: 3, pending: 0, committed: 3, failed: 0, timedOut: 0, deleted: 2, kept: 1 });
});

test('CliSendCommit_FileOverwrittenAfterItWasSent_IsKeptAsChangedSinceSent', async (t) => {
  const dir = tempDir();
  const home = join(dir.path, 'home');
  const studyDir = join(dir.path, 'study');
  const files = makeStudy(studyDir, 3);
  // The PACS holds the first file's bytes: that file is overwritten as its store completes.
  const pacs = await startPacs({
    port: 0, aeTitle: 'PACS', dir: join(dir.path, 'pacs'), delivery: 'same', delayMs: 0, fail: new Map(),
    log: (line) => line === `stored ${files[0].sopInstanceUid} from COURIER` && overwriteKeepingSizeAndMtime(files[0].path, join(dir.path, 'scratch')),
  });
  t.after(async () => {
    await pacs.close();
    dir.cleanup();
  });
  const r = await runCliAsync(
    ['send', studyDir, '--to', `PACS@127.0.0.1:${pacs.port}`, '--ae', 'COURIER', '--commit', '--commit-timeout', '10', '--delete-after-commit', '--json'],
    home,
  );
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { instances: { path: string; commit: string; deleted: boolean; kept?: string }[] };
  const byPath = new Map(out.instances.map((i) => [i.path, i]));
  assert.equal(byPath.get(files[0].path)?.commit, 'committed');
  assert.equal(byPath.get(files[0].path)?.deleted, false);
  assert.match(byPath.get(files[0].path)!.kept!, /^changed since it was sent/);
  assert.ok(existsSync(files[0].path));
  assert.ok(files.slice(1).every((f) => byPath.get(f.path)?.deleted && !existsSync(f.path)));
});

test('LargeFileStreamedAsItIsSent_OverwrittenAfterwards_IsKeptAsChangedSinceSent', async (t) => {
  const { dir, services, queue } = await appQueueing(t);
  // A 3 MB image (pydicom writes it): larger than what is read ahead, so its bytes are read as the store goes out.
  const big = join(dir, 'big', 'IM_BIG.dcm');
  python([
    '-c',
    `
import sys, os, pydicom
ds = pydicom.dcmread(os.path.join(sys.argv[1], 'CT_small.dcm'))
ds.Rows, ds.Columns = 1500, 1000
ds.PixelData = bytes(1500 * 1000 * 2)
ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = '1.2.826.0.1.3680043.8.498.78.1'
os.makedirs(os.path.dirname(sys.argv[2]), exist_ok=True)
ds.save_as(sys.argv[2])
print('null')
`,
    PYDICOM_TEST_FILES,
    big,
  ]);
  assert.ok(statSync(big).size > 3_000_000);
  const jobId = queue([big]);
  services.send.start(jobId, { onResult: () => overwriteKeepingSizeAndMtime(big, join(dir, 'scratch')) });
  await services.send.wait(jobId);
  await services.workflow.settled(jobId);
  const [row] = services.send.store.instances(jobId);
  assert.equal(row.state, 'success', row.message ?? '');
  assert.equal(row.commit?.state, 'committed');
  assert.match(row.commit!.keptReason ?? '', /^changed since it was sent/);
  assert.ok(existsSync(big));
});
