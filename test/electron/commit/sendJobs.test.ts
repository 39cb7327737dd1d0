/**
 * The app's paths through the send queue: request commitment of a finished send job, and re-send
 * then re-request an instance the PACS refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers.ts';
import { createServices } from '../../../electron/services.ts';
import { requestForSendJob, resendTransaction } from '../../../electron/commit/sendJobs.ts';
import { startPacs } from '../../../electron/pacs/pacs.ts';
import { makeStudy } from './study.ts';

test('SendJob_ThenRequestCommitment_ThenResendRefused_AllCommittedAndDeleted', async (t) => {
  const dir = tempDir();
  const services = createServices(join(dir.path, 'home'));
  Object.assign(services.commit.options, { lingerMs: 1500, timeoutMs: 8000, maxAttempts: 1 });
  const files = makeStudy(join(dir.path, 'study'), 3);
  const fail = new Map([[files[1].sopInstanceUid, 0x0213]]);
  const pacs = await startPacs({ port: 0, aeTitle: 'PACS', dir: join(dir.path, 'pacs'), delivery: 'same', delayMs: 0, fail });
  t.after(async () => {
    await pacs.close();
    await services.close();
    dir.cleanup();
  });
  const dest = { nodeId: null, aeTitle: 'PACS', host: '127.0.0.1', port: pacs.port, maxAssociations: 1 };
  const jobId = services.send.queueFiles(dest, 'COURIER', 'test', files.map((f) => ({ path: f.path })));
  services.send.start(jobId);
  await services.send.wait(jobId);
  const [txnId] = await requestForSendJob(services, jobId, true);
  await services.commit.settle([txnId]);
  assert.deepEqual(services.commit.store.instanceRows(txnId).map((r) => [r.state, r.deleted]), [['committed', true], ['failed', false], ['committed', true]]);
  assert.ok(existsSync(files[1].path));

  // The PACS has room again: re-send the refused instance and ask again.
  fail.clear();
  const resendJob = resendTransaction(services, txnId);
  await services.send.wait(resendJob);
  const deadline = Date.now() + 15_000;
  while (existsSync(files[1].path) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.ok(!existsSync(files[1].path), 'the re-sent instance is committed and deleted');
  const history = services.commit.store.transactions();
  assert.equal(history.length, 2);
  assert.equal(history[0].counts.committed, 1);
  assert.equal(history[0].counts.deleted, 1);
});
