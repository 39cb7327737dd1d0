/**
 * `courier pacs` as a process: it stores what it receives, answers the N-ACTION and delivers the
 * report as asked; bad options are usage errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, runCli, tempDir } from '../../helpers.ts';
import { openDatabase } from '../../../electron/store/db.ts';
import { commitServiceFor } from '../commit/fixtures.ts';
import { makeStudy, commitInstancesOf } from '../commit/study.ts';
import { storeFiles } from '../commit/net.ts';
import { spawnPacs } from './cli.ts';

test('PacsCli_NewDelivery_StoresAndReportsToReplyTo_WithFailedInstance', async (t) => {
  const dir = tempDir();
  const db = openDatabase(join(dir.path, 'courier.db'));
  const service = commitServiceFor(db, { aeTitle: 'COURIER', lingerMs: 500, collectAfterMs: 60_000, timeoutMs: 15_000, maxAttempts: 1 });
  const listen = await freePort();
  await service.startAccepter(listen, '127.0.0.1');
  const files = makeStudy(join(dir.path, 'study'), 3);
  const pacs = await spawnPacs(
    ['--port', '0', '--ae', 'TESTPACS', '--dir', join(dir.path, 'pacs'), '--commit-delivery', 'new', '--reply-to', `COURIER@127.0.0.1:${listen}`,
      '--commit-delay', '200', '--fail', `${files[1].sopInstanceUid}:0x0213`],
    join(dir.path, 'home'),
  );
  t.after(async () => {
    await pacs.stop();
    await service.close();
    db.close();
    dir.cleanup();
  });
  await storeFiles(files, pacs.port, 'TESTPACS');
  for (const f of files) assert.ok(existsSync(join(dir.path, 'pacs', `${f.sopInstanceUid}.dcm`)));
  const instances = await commitInstancesOf(files);
  const [txn] = await service.request({ node: { aeTitle: 'TESTPACS', host: '127.0.0.1', port: pacs.port }, instances, deleteAfterCommit: false, roots: [] });
  await service.settle([txn.id]);
  const rows = service.store.instanceRows(txn.id);
  assert.deepEqual(rows.map((r) => r.state), ['committed', 'failed', 'committed']);
  assert.equal(rows[1].failureReason, '0x0213');
  assert.match(rows[1].failureMeaning!, /Resource limitation/);
  assert.equal(service.store.reportLog(1)[0].delivery, 'new');
  assert.match(pacs.log(), /N-ACTION/);
});

test('PacsCli_BadOptions_AreUsageErrors', () => {
  const dir = tempDir();
  try {
    const r = runCli(['pacs', '--commit-delivery', 'new'], dir.path, { timeoutMs: 30_000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--reply-to/);
    const r2 = runCli(['pacs', '--commit-delivery', 'sometimes'], dir.path, { timeoutMs: 30_000 });
    assert.equal(r2.status, 2);
  } finally {
    dir.cleanup();
  }
});
