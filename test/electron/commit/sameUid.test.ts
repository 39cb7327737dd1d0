/**
 * Files sharing a SOP Instance UID (never delete one because the other was committed):
 * in one job, identical copies are each committed (in transactions of their own: an N-ACTION lists
 * a UID once) and deleted, copies with different content are committed and all kept with the
 * reason; across jobs, a file is kept when the node was sent other content under its UID.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, tempDir } from '../../helpers.ts';
import { runCliAsync } from './net.ts';
import { spawnPacs } from '../pacs/cli.ts';
import { makeStudy, settle } from './study.ts';
import { createServices } from '../../../electron/services.ts';
import { appWithPacs } from '../workflow/app.ts';
import { startPacs } from '../../../electron/pacs/pacs.ts';
import type { SendDestination } from '../../../electron/store/send.ts';

interface SendJson {
  instances: { path: string; sopInstanceUid: string; commit: string; deleted: boolean; kept?: string; transactionUid?: string }[];
}

/** Rewrites one attribute of `path` with DCMTK (same SOP Instance UID, other content). */
const changeDescription = (path: string, text: string) => execFileSync('dcmodify', ['-nb', '-i', `(0008,103e)=${text}`, path]);

test('CourierSend_SameUidTwiceInOneJob_IdenticalCopiesDeleted_DifferingCopiesKeptWithReason', async (t) => {
  const dir = tempDir();
  const study = join(dir.path, 'study');
  const [same, differs, alone] = makeStudy(study, 3);
  const sameCopy = join(study, 'copy-of-1.dcm');
  const otherCopy = join(study, 'changed-2.dcm');
  copyFileSync(same.path, sameCopy);
  copyFileSync(differs.path, otherCopy);
  changeDescription(otherCopy, 'CHANGED');
  const pacsDir = join(dir.path, 'pacs');
  const listen = await freePort();
  const pacs = await spawnPacs(['--port', '0', '--ae', 'PACS', '--dir', pacsDir, '--commit-delivery', 'new', '--reply-to', `COURIER@127.0.0.1:${listen}`], join(dir.path, 'pacs-home'));
  t.after(async () => {
    await pacs.stop();
    dir.cleanup();
  });
  const home = join(dir.path, 'home');
  const r = await runCliAsync(
    ['send', study, '--to', `PACS@127.0.0.1:${pacs.port}`, '--ae', 'COURIER', '--commit', '--listen', String(listen), '--commit-timeout', '20', '--delete-after-commit', '--json'],
    home,
  );
  assert.equal(r.status, 0, r.stderr);
  const out = (JSON.parse(r.stdout) as SendJson).instances;
  const by = (path: string) => out.find((i) => i.path === path)!;
  assert.equal(out.length, 5);
  assert.ok(out.every((i) => i.commit === 'committed'), JSON.stringify(out));
  // Identical copies: both deleted, each asked about in a transaction of its own.
  assert.deepEqual([by(same.path).deleted, by(sameCopy).deleted, by(alone.path).deleted], [true, true, true]);
  assert.notEqual(by(same.path).transactionUid, by(sameCopy).transactionUid);
  assert.ok(!existsSync(same.path) && !existsSync(sameCopy) && !existsSync(alone.path));
  // Different contents: the PACS holds one of them, so neither is deleted, each says why.
  for (const [path, other] of [[differs.path, otherCopy], [otherCopy, differs.path]]) {
    assert.equal(by(path).deleted, false);
    assert.equal(by(path).kept, `another file with the same SOP Instance UID but different content (${other}) was sent; the PACS holds only one of them`);
    assert.ok(existsSync(path));
  }
  assert.ok(existsSync(join(pacsDir, `${differs.sopInstanceUid}.dcm`)), 'the PACS holds the UID');

  const services = createServices(home);
  t.after(() => services.close());
  const job = services.send.store.jobs(1)[0];
  assert.equal(job.commit?.state, 'done');
  assert.equal(job.commit?.transactionIds.length, 2);
  for (const id of job.commit!.transactionIds) {
    const uids = services.commit.store.refs(id).map((x) => x.SOPInstanceUID);
    assert.equal(new Set(uids).size, uids.length, 'an N-ACTION lists each SOP Instance once');
  }
  assert.equal(services.commit.store.deletionCount(), 3);
});

/** The app with a PACS and a folder of `n` instances. */
async function appWithStudy(t: import('node:test').TestContext, n: number) {
  const { dir, services, dest } = await appWithPacs(t);
  const study = join(dir, 'study');
  const files = makeStudy(study, n);
  /** Sends `paths` (with commitment and deletion when `commit`) to `to` and waits until it all settled. */
  const send = async (paths: string[], commit: boolean, to: SendDestination = dest) => {
    const jobId = services.send.queueFiles(to, 'COURIER', 'test', paths.map((path) => ({ path })), commit ? { request: true, deleteAfterCommit: true, timeoutMs: 8000, attempts: 1 } : undefined);
    services.send.start(jobId);
    await services.send.wait(jobId);
    await services.workflow.settled(jobId);
    return jobId;
  };
  return { dir, services, study, files, send, dest };
}

test('RequestForJob_IdenticalCopyTouchedAfterTheSend_BothKept_TheSentBytesAreUnknown', async (t) => {
  const { services, study, files, send } = await appWithStudy(t, 1);
  const copy = join(study, 'copy.dcm');
  copyFileSync(files[0].path, copy);
  const jobId = await send([files[0].path, copy], false);
  // Same bytes still, but touched: what was sent from it can no longer be proved.
  utimesSync(copy, new Date(), new Date(Date.now() - 60_000));
  const ids = await services.workflow.requestForJob(jobId, true);
  await services.workflow.settled(jobId);
  assert.equal(ids.length, 2);
  const rows = ids.flatMap((id) => services.commit.store.instanceRows(id));
  assert.deepEqual(rows.map((r) => [r.path, r.state, r.deleted]), [[files[0].path, 'committed', false], [copy, 'committed', false]]);
  assert.equal(rows[0].keptReason, `another file with the same SOP Instance UID (${copy}) was sent and has changed since, so which content the PACS holds is unknown`);
  assert.match(rows[1].keptReason!, /^it has changed since it was sent, and another file with the same SOP Instance UID/);
  assert.ok(existsSync(files[0].path) && existsSync(copy));
});

test('NodeEarlierSentThisFile_ChangedSince_OrReadMomentsAfterAWrite_Kept; SameBytesSentAgain_Deleted', async (t) => {
  const { services, files, send } = await appWithStudy(t, 3);
  // All sent once without commitment; then the first is rewritten (same UID, other content).
  const first = await send(files.map((f) => f.path), false);
  changeDescription(files[0].path, 'REWRITTEN');
  settle([files[0].path]);
  // The third was read by that send moments after a write (fileStamp.ts RACY_MS): what it sent is unproved.
  services.db.prepare(`UPDATE send_instances SET sent_stamp = sent_stamp || ':racy' WHERE job_id = ? AND path = ?`).run(first, files[2].path);
  const jobId = await send(files.map((f) => f.path), true);
  const rows = services.commit.store.instanceRows(services.send.store.job(jobId)!.commit!.transactionIds[0]);
  const unknown = (why: string) => `PACS was sent this file before, and the bytes sent then cannot be proved to be these (${why}), so which content PACS holds is unknown`;
  assert.deepEqual(
    rows.map((r) => [r.path, r.state, r.deleted, r.keptReason]),
    [
      [files[0].path, 'committed', false, unknown('it has changed since')],
      [files[1].path, 'committed', true, null],
      [files[2].path, 'committed', false, unknown('it was written to moments before it was sent')],
    ],
  );
  assert.ok(existsSync(files[0].path) && existsSync(files[2].path));
  assert.ok(!existsSync(files[1].path), 'the file sent twice unchanged is deleted');
});

test('NodeReachedUnderAnotherName_OrItsAeTitleAtAnotherPort_EarlierSendOfOtherContentCounts_FileKept', async (t) => {
  const { dir, services, files, send, dest } = await appWithStudy(t, 2);
  // The same PACS called "localhost" instead of 127.0.0.1; and another port answering as the same AE title.
  await send([files[0].path], false, { ...dest, host: 'localhost' });
  const twin = await startPacs({ port: 0, aeTitle: dest.aeTitle, dir: join(dir, 'twin'), delivery: 'same', delayMs: 0, fail: new Map() });
  t.after(() => twin.close());
  await send([files[1].path], false, { ...dest, port: twin.port });
  for (const f of files) changeDescription(f.path, 'REWRITTEN');
  settle(files.map((f) => f.path));
  const jobId = await send(files.map((f) => f.path), true);
  const rows = services.commit.store.instanceRows(services.send.store.job(jobId)!.commit!.transactionIds[0]);
  const unknown = `PACS was sent this file before, and the bytes sent then cannot be proved to be these (it has changed since), so which content PACS holds is unknown`;
  assert.deepEqual(
    rows.map((r) => [r.state, r.deleted, r.keptReason]),
    [
      ['committed', false, unknown],
      ['committed', false, unknown],
    ],
  );
  assert.ok(files.every((f) => existsSync(f.path)));
});
