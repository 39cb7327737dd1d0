/**
 * The plan of a send (`send.plan`) and the file each instance's job takes, when a copy of a study is
 * indexed beside the original (with deletion on, only the chosen copy's committed files go); a job
 * that stores nothing ends failed with its reason in words.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, tempDir } from '../../helpers.ts';
import { createServices } from '../../../electron/services.ts';
import { createDispatcher, createHandlers } from '../../../electron/api/handlers.ts';
import { indexPath } from '../../../electron/library/indexer.ts';
import type { HostEnvironment } from '../../../electron/api/app.ts';
import { makeStudy } from '../commit/study.ts';
import { startPacs } from '../../../electron/pacs/pacs.ts';

const host: HostEnvironment = { kind: 'browser', version: 'test' };

async function setup(t: { after(fn: () => unknown): void }) {
  const dir = tempDir();
  const services = createServices(join(dir.path, 'home'));
  t.after(async () => {
    await services.close();
    dir.cleanup();
  });
  const original = join(dir.path, 'original');
  const copy = join(dir.path, 'copy');
  const files = makeStudy(original, 3);
  cpSync(original, copy, { recursive: true });
  await indexPath(services.db, services.library, original);
  await indexPath(services.db, services.library, copy);
  const invoke = createDispatcher(createHandlers(services, host));
  const call = async <T>(channel: string, req: unknown): Promise<T> => {
    const r = await invoke(channel, req);
    if (!r.ok) throw new Error(`${channel}: ${r.error.message}`);
    return r.value as T;
  };
  return { dir: dir.path, services, original, copy, files, call };
}

test('Plan_CopyIndexedBesideOriginal_ShowsEachInstanceOnce_WithTheChosenFileAndTheOther', async (t) => {
  const { services, original, copy, files, call } = await setup(t);
  const [study] = services.library.studies(services.library.patients()[0].id);
  const size = statSync(files[0].path).size;

  const byDefault = await call<import('../../../shared/contract/send.ts').SendPlan>('send.plan', { studyIds: [study.id] });
  assert.equal(byDefault.instances, 3);
  assert.equal(byDefault.bytes, 3 * size);
  assert.deepEqual(byDefault.folders, [{ folder: original, files: 3, bytes: 3 * size }]);
  assert.equal(byDefault.duplicateCount, 3);
  assert.deepEqual(byDefault.duplicates[0].chosen, { path: files[0].path, size });
  assert.deepEqual(byDefault.duplicates[0].alternatives, [{ path: join(copy, 'IM00001.dcm'), size }]);

  const fromCopy = await call<import('../../../shared/contract/send.ts').SendPlan>('send.plan', { studyIds: [study.id], choice: { preferFolders: [copy] } });
  assert.deepEqual(fromCopy.folders, [{ folder: copy, files: 3, bytes: 3 * size }]);
  assert.deepEqual(fromCopy.duplicates.map((d) => d.chosen.path), files.map((f) => f.path.replace(original, copy)));

  // One instance chosen by hand wins over the preferred folder.
  const instanceId = fromCopy.duplicates[1].instanceId;
  const mixed = await call<import('../../../shared/contract/send.ts').SendPlan>('send.plan', {
    studyIds: [study.id],
    choice: { preferFolders: [copy], files: [{ instanceId, path: files[1].path }] },
  });
  assert.deepEqual(mixed.folders.map((f) => [f.folder, f.files]), [[copy, 2], [original, 1]]);
  await assert.rejects(call('send.plan', { studyIds: [study.id], choice: { files: [{ instanceId, path: '/elsewhere/x.dcm' }] } }), /not a file of the selected instance/);
});

test('SendJob_NothingListensOnThePort_EndsFailed_WithTheReasonInWords', async (t) => {
  const { services, copy, call } = await setup(t);
  const port = await freePort();
  const node = services.nodes.save({ aeTitle: 'PACS', host: '127.0.0.1', port, requestCommitment: true, commitTimeoutS: 5, commitRetries: 0 });
  assert.deepEqual([node.requestCommitment, node.deleteAfterCommit, node.commitTimeoutS, node.commitRetries], [true, false, 5, 0]);
  const [study] = services.library.studies(services.library.patients()[0].id);
  const { sendJobId } = await call<{ sendJobId: number }>('send.start', { nodeId: node.id, studyIds: [study.id], choice: { preferFolders: [copy] } });
  await services.send.wait(sendJobId);
  await services.workflow.settled(sendJobId);
  const job = services.send.store.job(sendJobId)!;
  assert.equal(job.state, 'failed');
  // What was sent, in words, as the Send queue shows it.
  assert.equal(job.description, '1 patient, 1 study → PACS');
  assert.equal(job.error, `could not connect to PACS at 127.0.0.1:${port} — connection refused (is the PACS running, and listening on that port?)`);
  assert.ok(job.finishedAt);
  // The node asks for commitment by default; with nothing stored, there is nothing to ask about, and it says so.
  assert.equal(job.commit?.state, 'failed');
  assert.match(job.commit!.message!, /nothing was stored/);
  const rows = services.send.store.instances(sendJobId);
  assert.ok(rows.every((r) => r.path.startsWith(copy) && r.state === 'failed' && r.message === job.error), JSON.stringify(rows[0]));
  const studies = await call<import('../../../shared/contract/send.ts').SendJobStudy[]>('send.studies', { sendJobId });
  assert.equal(studies.length, 1);
  assert.deepEqual([studies[0].total, studies[0].failed, studies[0].stored], [3, 3, 0]);
});

test('SendWithDeletion_FromTheCopy_DeletesOnlyTheCopysCommittedFiles_TheOriginalsUntouched', async (t) => {
  const { dir, services, original, copy, files, call } = await setup(t);
  const pacs = await startPacs({ port: 0, aeTitle: 'PACS', dir: join(dir, 'pacs'), delivery: 'same', delayMs: 0, fail: new Map() });
  t.after(() => pacs.close());
  const before = files.map((f) => readFileSync(f.path));
  const node = services.nodes.save({ aeTitle: 'PACS', host: '127.0.0.1', port: pacs.port, commitTimeoutS: 10, commitRetries: 0 });
  const [study] = services.library.studies(services.library.patients()[0].id);
  const { sendJobId } = await call<{ sendJobId: number }>('send.start', {
    nodeId: node.id,
    studyIds: [study.id],
    choice: { preferFolders: [copy] },
    commit: { request: true, deleteAfterCommit: true },
  });
  await services.send.wait(sendJobId);
  await services.workflow.settled(sendJobId);
  const job = services.send.store.job(sendJobId)!;
  assert.deepEqual([job.state, job.commit?.state, job.commit?.counts.committed, job.commit?.counts.deleted], ['done', 'done', 3, 3]);
  assert.ok(files.every((f) => !existsSync(f.path.replace(original, copy))), "the copy's committed files are gone");
  assert.deepEqual(files.map((f) => readFileSync(f.path)), before, 'the originals are untouched');
  assert.deepEqual(services.commit.store.deletions().map((d) => d.path.startsWith(copy + '/')), [true, true, true]);
  // Per study, as the Send queue and the Commitment tab show it.
  const [sent] = await call<import('../../../shared/contract/send.ts').SendJobStudy[]>('send.studies', { sendJobId });
  assert.deepEqual([sent.StudyInstanceUID, sent.total, sent.stored, sent.commit?.committed, sent.commit?.deleted], [study.StudyInstanceUID, 3, 3, 3, 3]);
  // What it stored, by folder (what "Request storage commitment…" names before deleting anything).
  const stored = await call<import('../../../shared/contract/send.ts').SendJobStored>('send.stored', { sendJobId });
  const bytes = before.reduce((n, b) => n + b.length, 0);
  assert.deepEqual(stored, { files: 3, bytes, folders: [{ folder: copy, files: 3, bytes }] });
  const [committed] = await call<import('../../../shared/contract/commit.ts').CommitStudySummary[]>('commit.studies', { transactionId: job.commit!.transactionIds[0] });
  assert.deepEqual([committed.StudyInstanceUID, committed.counts.total, committed.counts.committed, committed.counts.deleted], [study.StudyInstanceUID, 3, 3, 3]);
  // The library still holds the study, now in the originals only.
  const plan = await call<import('../../../shared/contract/send.ts').SendPlan>('send.plan', { studyIds: [study.id] });
  assert.deepEqual([plan.instances, plan.duplicateCount, plan.folders.map((f) => f.folder)], [3, 0, [original]]);
});
