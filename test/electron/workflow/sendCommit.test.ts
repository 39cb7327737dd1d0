/**
 * The send → commit → delete workflow as the app runs it: a job started with commitment asks the
 * node itself once its stores end, and a re-send of what the PACS refused asks again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { appWithPacs } from './app.ts';
import { makeStudy } from '../commit/study.ts';

test('SendJobWithCommitment_RequestsItself_ThenResendRefused_AllCommittedAndDeleted', async (t) => {
  const fail = new Map<string, number>();
  const { dir, services, dest } = await appWithPacs(t, fail);
  const files = makeStudy(join(dir, 'study'), 3);
  fail.set(files[1].sopInstanceUid, 0x0213);
  const commitment = { request: true, deleteAfterCommit: true, timeoutMs: 8000, attempts: 1 };
  const jobId = services.send.queueFiles(dest, 'COURIER', 'test', files.map((f) => ({ path: f.path })), commitment);
  services.send.start(jobId);
  await services.send.wait(jobId);
  await services.workflow.settled(jobId);
  const job = services.send.store.job(jobId)!;
  assert.equal(job.commit?.state, 'done');
  const [txnId] = job.commit!.transactionIds;
  assert.deepEqual(services.commit.store.instanceRows(txnId).map((r) => [r.state, r.deleted]), [['committed', true], ['failed', false], ['committed', true]]);
  assert.deepEqual(job.commit!.counts, { total: 3, pending: 0, committed: 2, failed: 1, timedOut: 0, deleted: 2, kept: 0 });
  assert.deepEqual(
    services.send.store.instances(jobId, { problemsFirst: true }).map((r) => [r.path, r.commit?.state, r.commit?.failureReason, r.commit?.deleted]),
    [[files[1].path, 'failed', '0x0213', false], [files[0].path, 'committed', null, true], [files[2].path, 'committed', null, true]],
  );
  assert.equal(services.commit.store.transactions()[0].sendJobId, jobId);
  assert.ok(existsSync(files[1].path));

  // The PACS has room again: re-send the refused instance and ask again.
  fail.clear();
  const resendJob = services.workflow.resend(txnId);
  await services.send.wait(resendJob);
  await services.workflow.settled(resendJob);
  const deadline = Date.now() + 15_000;
  while (existsSync(files[1].path) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.ok(!existsSync(files[1].path), 'the re-sent instance is committed and deleted');
  const history = services.commit.store.transactions();
  assert.equal(history.length, 2);
  assert.equal(history[0].counts.committed, 1);
  assert.equal(history[0].counts.deleted, 1);
});
