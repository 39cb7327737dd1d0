/**
 * "Retry failed" and "Remove" on jobs that ask for storage commitment, through the app's handlers:
 * a retry asks the PACS about what it stored (and deletes it once committed), never again about
 * what was asked before; a removed job leaves the list but not the database, so its id is never
 * given to a new job (whose screen then showed the old job's commitment) and what it stored still
 * keeps a later file of the same SOP Instance UID from being deleted; a job whose commitment is
 * being asked for is neither removed nor retried.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../helpers.ts';
import { startPacs } from '../../../electron/pacs/pacs.ts';
import { sendHandlers } from '../../../electron/api/send.ts';
import { makeStudy, settle } from '../commit/study.ts';
import { appWithPacs } from './app.ts';
import type { JobCommitment, SendDestination } from '../../../electron/store/send.ts';

const WITH_DELETION: JobCommitment = { request: true, deleteAfterCommit: true, timeoutMs: 10_000, attempts: 1 };

/** The app with a PACS, a study of `n` files, and `send` (queue, start, wait until the commitment settled). */
async function setup(t: import('node:test').TestContext, n: number, pacsOptions: { delayMs?: number } = {}) {
  const app = await appWithPacs(t);
  const { services } = app;
  let { dest } = app;
  if (pacsOptions.delayMs) {
    const slow = await startPacs({ port: 0, aeTitle: 'PACS', dir: join(app.dir, 'slow'), delivery: 'same', delayMs: pacsOptions.delayMs, fail: new Map() });
    t.after(() => slow.close());
    dest = { ...dest, port: slow.port };
  }
  const files = makeStudy(join(app.dir, 'study'), n);
  const settled = async (jobId: number) => {
    await services.send.wait(jobId);
    await services.workflow.settled(jobId);
  };
  const send = async (paths: string[], commit: JobCommitment | undefined, to: SendDestination = dest) => {
    const jobId = services.send.queueFiles(to, 'COURIER', 'test', paths.map((path) => ({ path })), commit);
    services.send.start(jobId);
    await settled(jobId);
    return jobId;
  };
  return { ...app, dest, files, send, settled, api: sendHandlers(services) };
}

test('RetryFailed_WithCommitmentAndDeletion_AsksOnlyAboutWhatTheRetryStored_AndDeletesIt', async (t) => {
  const { services, files, send, settled } = await setup(t, 3);
  // The second file is missing while the job sends: its store fails; the other two are committed and deleted.
  renameSync(files[1].path, `${files[1].path}.away`);
  const jobId = await send(
    files.map((f) => f.path),
    WITH_DELETION,
  );
  const first = services.send.store.job(jobId)!;
  assert.deepEqual([first.success, first.failed, first.commit?.state, first.commit?.counts.deleted], [2, 1, 'done', 2]);
  // Back, and retried: the retry's store is asked about in a transaction of its own, then deleted.
  renameSync(`${files[1].path}.away`, files[1].path);
  settle([files[1].path]);
  assert.equal(services.send.retryFailed(jobId), 1);
  await settled(jobId);
  const job = services.send.store.job(jobId)!;
  assert.deepEqual([job.success, job.failed, job.commit?.state, job.commit?.counts.committed, job.commit?.counts.deleted], [3, 0, 'done', 3, 3]);
  const [before, after] = job.commit!.transactionIds.map((id) => services.commit.store.refs(id).map((r) => r.SOPInstanceUID).sort());
  assert.deepEqual(before, [files[0].sopInstanceUid, files[2].sopInstanceUid].sort());
  assert.deepEqual(after, [files[1].sopInstanceUid], 'nothing asked twice');
  assert.ok(files.every((f) => !existsSync(f.path)));
});

test('RetryFailed_AfterTheNodeWasDown_NothingStoredFirst_ThenCommittedAndDeleted', async (t) => {
  const { dir, services, files, send, settled, dest } = await setup(t, 2);
  const port = await freePort();
  const jobId = await send(
    files.map((f) => f.path),
    WITH_DELETION,
    { ...dest, port },
  );
  assert.match(services.send.store.job(jobId)!.commit!.message!, /^nothing was stored, so nothing can be committed: could not connect/);
  const pacs = await startPacs({ port, aeTitle: 'PACS', dir: join(dir, 'late'), delivery: 'same', delayMs: 0, fail: new Map() });
  t.after(() => pacs.close());
  assert.equal(services.send.retryFailed(jobId), 2);
  await settled(jobId);
  const job = services.send.store.job(jobId)!;
  assert.deepEqual([job.state, job.error, job.commit?.state, job.commit?.message, job.commit?.counts.committed, job.commit?.counts.deleted], ['done', null, 'done', null, 2, 2]);
  assert.ok(files.every((f) => !existsSync(f.path)));
});

test('Remove_HidesTheJob_ItsIdIsNeverReused_AndWhatItStoredStillKeepsALaterCopy; NotWhileCommitmentIsAskedFor', async (t) => {
  const { services, files, send, api } = await setup(t, 2, { delayMs: 1500 });
  // Sent without commitment, then removed from the list.
  const first = await send([files[0].path], undefined);
  assert.deepEqual(await api['send.remove']({ sendJobId: first }), { removed: true });
  assert.deepEqual(
    (await api['send.jobs']({})).map((j) => j.id),
    [],
  );
  // A new job gets a new id, and shows only its own commitment.
  const [path] = [files[0].path];
  execFileSync('dcmodify', ['-nb', '-i', '(0008,103e)=REWRITTEN', path]);
  settle([path]);
  const jobId = services.send.queueFiles(
    { nodeId: null, aeTitle: 'PACS', host: '127.0.0.1', port: services.send.store.job(first)!.port, maxAssociations: 1 },
    'COURIER',
    'again',
    [{ path }],
    WITH_DELETION,
  );
  assert.ok(jobId > first, `job ${jobId} after removed job ${first}`);
  services.send.start(jobId);
  await services.send.wait(jobId);
  // While the (delayed) report is awaited, the job can be neither removed nor retried.
  await assert.rejects(Promise.resolve().then(() => api['send.remove']({ sendJobId: jobId })), /still being asked for/);
  assert.throws(() => services.send.retryFailed(jobId), /still being asked for/);
  await services.workflow.settled(jobId);
  // The removed job stored other content under this UID at that PACS: the rewritten file is committed, and kept.
  const [row] = services.send.store.instances(jobId);
  assert.deepEqual([row.commit?.state, row.commit?.deleted], ['committed', false]);
  assert.match(row.commit!.keptReason!, /^PACS was sent this file before, and the bytes sent then cannot be proved to be these \(it has changed since\)/);
  assert.ok(existsSync(path));
  assert.deepEqual(
    (await api['send.jobs']({})).map((j) => j.id),
    [jobId],
  );
  assert.deepEqual(await api['send.remove']({ sendJobId: jobId }), { removed: true });
});

test('Remove_AQueuedJobNeverStarted_IsNotStartedAtTheNextStart', async (t) => {
  const { services, files, dest, api } = await setup(t, 1);
  const jobId = services.send.queueFiles(dest, 'COURIER', 'queued', [{ path: files[0].path }], WITH_DELETION);
  assert.deepEqual(services.send.store.unfinished(), [jobId]);
  assert.deepEqual(await api['send.remove']({ sendJobId: jobId }), { removed: true });
  // What the app does at start: resume what was queued or running, and ask for what is due.
  assert.deepEqual(services.send.resumeInterrupted(), []);
  assert.deepEqual(services.send.store.commitDue(), []);
  assert.equal(services.send.store.job(jobId)!.state, 'queued');
  assert.ok(existsSync(files[0].path));
});
