/**
 * The commitment service against the built-in test PACS in all three delivery modes: the report
 * on the same association, on a new association to our accepter (possibly before the
 * N-ACTION-RSP), and on our next association. One instance is refused with --fail: the others are
 * deleted, the refused one is kept with its failure reason.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, tempDir } from '../../helpers.ts';
import { openDatabase } from '../../../electron/store/db.ts';
import type { CommitService } from '../../../electron/commit/service.ts';
import { NodeService } from '../../../electron/nodes/nodeService.ts';
import { commitServiceFor, saveNode } from './fixtures.ts';
import { startPacs, type Delivery } from '../../../electron/pacs/pacs.ts';
import { Association } from '../../../electron/dimse/association.ts';
import { AssociationRejected } from '../../../electron/dimse/errors.ts';
import { STORAGE_COMMITMENT_SOP_CLASS } from '../../../electron/dimse/commitMessages.ts';
import { IMPLICIT_LE } from '../../../electron/dicom/transferSyntax.ts';
import { makeStudy, commitInstancesOf } from './study.ts';
import { storeFiles } from './net.ts';
import { statSync } from 'node:fs';
import net from 'node:net';
import { echo } from '../../../electron/dimse/echo.ts';

/** After the test: the PACS (if any) stops first, then the service, the database and the folder. */
function cleanUpAfter(
  t: import('node:test').TestContext,
  parts: { pacs?: { close(): Promise<unknown> }; service: CommitService; db: { close(): void }; dir: { cleanup(): void } },
) {
  t.after(async () => {
    await parts.pacs?.close();
    await parts.service.close();
    parts.db.close();
    parts.dir.cleanup();
  });
}

async function scenario(t: import('node:test').TestContext, delivery: Delivery, opts: { delayMs?: number; collectAfterMs?: number; nodeTimeoutMs?: number } = {}) {
  const dir = tempDir();
  const db = openDatabase(join(dir.path, 'courier.db'));
  const service = commitServiceFor(db, {
    aeTitle: 'COURIER', lingerMs: 1500, collectAfterMs: opts.collectAfterMs ?? 300, collectMs: 1500, timeoutMs: 8000, maxAttempts: 1,
  });
  const accepter = await service.startAccepter(0, '127.0.0.1');
  const files = makeStudy(join(dir.path, 'study'), 4);
  const pacs = await startPacs({
    port: 0, aeTitle: 'PACS', dir: join(dir.path, 'pacs'), delivery, delayMs: opts.delayMs ?? 0,
    replyTo: { aeTitle: 'COURIER', host: '127.0.0.1', port: accepter.port },
    fail: new Map([[files[2].sopInstanceUid, 0x0110]]),
  });
  cleanUpAfter(t, { pacs, service, db, dir });
  await storeFiles(files, pacs.port);
  const instances = await commitInstancesOf(files);
  const started = Date.now();
  const txns = await service.request({
    node: { aeTitle: 'PACS', host: '127.0.0.1', port: pacs.port }, instances, deleteAfterCommit: true, roots: [join(dir.path, 'study')],
    timeoutMs: opts.nodeTimeoutMs,
  });
  const ids = await service.settle(txns.map((x) => x.id));
  const rows = ids.flatMap((id) => service.store.instanceRows(id));
  return { files, rows, service, ms: Date.now() - started, log: service.store.reportLog() };
}

for (const delivery of ['same', 'new', 'next'] as const) {
  test(`Pacs_${delivery}Delivery_CommittedDeleted_RefusedKeptWithReason`, async (t) => {
    const { files, rows, log } = await scenario(t, delivery);
    assert.deepEqual(rows.map((r) => r.state), ['committed', 'committed', 'failed', 'committed']);
    assert.equal(rows[2].failureReason, '0x0110');
    assert.match(rows[2].failureMeaning!, /Processing failure/);
    assert.deepEqual(rows.map((r) => r.deleted), [true, true, false, true]);
    assert.deepEqual(files.map((f) => existsSync(f.path)), [false, false, true, false]);
    assert.equal(log[0].delivery, delivery);
    assert.equal(log[0].status, 0);
  });
}

test('PacsNextDelivery_NodeTimeoutShorterThanCollectAfter_CollectsHalfwayAndCommits', async (t) => {
  // A node's own timeout (here 4 s) below collectAfterMs (60 s): the report held for our next association is still collected in time.
  const { rows, ms } = await scenario(t, 'next', { collectAfterMs: 60_000, nodeTimeoutMs: 4000 });
  assert.deepEqual(rows.map((r) => r.state), ['committed', 'committed', 'failed', 'committed']);
  assert.ok(ms < 4000, `collected after ${ms} ms`);
});

/**
 * A commit service with its accepter on 127.0.0.1 (cleaned up after `t`), and `callAs(ae)`: an
 * association to it as `ae`, proposing Storage Commitment with the SCP role (as a PACS reporting does).
 */
async function accepterFixture(t: TestContext, options: Parameters<typeof commitServiceFor>[1] = { aeTitle: 'COURIER' }) {
  const dir = tempDir();
  const db = openDatabase(join(dir.path, 'courier.db'));
  const service = commitServiceFor(db, options);
  const accepter = await service.startAccepter(0, '127.0.0.1');
  cleanUpAfter(t, { service, db, dir });
  const callAs = (callingAe: string) =>
    Association.connect({
      host: '127.0.0.1', port: accepter.port, callingAe, calledAe: 'COURIER',
      contexts: [{ abstractSyntax: STORAGE_COMMITMENT_SOP_CLASS, transferSyntaxes: [IMPLICIT_LE], role: { scu: false, scp: true } }],
    });
  return { dir, db, service, callAs };
}

test('Accepter_RejectsUnknownCallingAe_WithReason3', async (t) => {
  const { db, callAs } = await accepterFixture(t);
  await assert.rejects(callAs('STRANGER'), (err: unknown) => err instanceof AssociationRejected && err.result === 1 && err.source === 1 && err.reason === 3);
  saveNode(db, { aeTitle: 'FRIEND', host: '127.0.0.1' });
  const assoc = await callAs('FRIEND');
  // Role selection: we grant the caller the SCP role of Storage Commitment it asked for.
  assert.deepEqual(assoc.contextFor(STORAGE_COMMITMENT_SOP_CLASS)!.role, { scu: false, scp: true });
  await assoc.release();
});

test('Accepter_AdmitsAConfiguredNode_OnlyFromItsHost_AndATlsNodeOnlyOverTls', async (t) => {
  const { db, callAs } = await accepterFixture(t);
  const notRecognized = (err: unknown) => err instanceof AssociationRejected && err.reason === 3;
  // FAR's node is on another host: its AE title from 127.0.0.1 is someone else's.
  saveNode(db, { aeTitle: 'FAR', host: '127.0.0.2' });
  await assert.rejects(callAs('FAR'), notRecognized);
  // Set up by name: the name is resolved, and 127.0.0.1 is localhost.
  saveNode(db, { aeTitle: 'NAMED', host: 'localhost' });
  await (await callAs('NAMED')).release();
  // A TLS node's AE title over plain TCP, from the right host: refused.
  saveNode(db, { aeTitle: 'SECURE', host: '127.0.0.1', tls: true });
  await assert.rejects(callAs('SECURE'), notRecognized);
});

test('ForgedReport_OverTheNetwork_FromAnotherKnownAe_IsRefusedAndChangesNothing', async (t) => {
  const { dir, db, service, callAs } = await accepterFixture(t, { aeTitle: 'COURIER', lingerMs: 0, timeoutMs: 60_000 });
  // A transaction to PACS (the N-ACTION itself fails: nobody listens there; the record stays).
  const id = service.store.createTransaction({
    transactionUid: '2.25.1234', node: { aeTitle: 'PACS', host: '127.0.0.1', port: 1, addresses: ['127.0.0.1'] }, callingAe: 'COURIER',
    timeoutMs: 60_000, maxAttempts: 1, deleteAfterCommit: true, roots: [dir.path],
    instances: [{ SOPClassUID: '1.2.840.10008.5.1.4.1.1.2', SOPInstanceUID: '1.2.3.4', path: join(dir.path, 'x.dcm'), size: 1, sha256: 'x' }],
  });
  saveNode(db, { aeTitle: 'FRIEND', host: '127.0.0.1' });
  const assoc = await callAs('FRIEND');
  const { encodeCommitReport, STORAGE_COMMITMENT_SOP_INSTANCE } = await import('../../../electron/dimse/commitMessages.ts');
  const { CommandField } = await import('../../../electron/dimse/command.ts');
  const rsp = await assoc.request(
    { CommandField: CommandField.NEventReportRq, AffectedSOPClassUID: STORAGE_COMMITMENT_SOP_CLASS, AffectedSOPInstanceUID: STORAGE_COMMITMENT_SOP_INSTANCE, EventTypeID: 1, CommandDataSetType: 0 },
    assoc.contextFor(STORAGE_COMMITMENT_SOP_CLASS)!.id,
    encodeCommitReport({ TransactionUID: '2.25.1234', referenced: [{ SOPClassUID: '1.2.840.10008.5.1.4.1.1.2', SOPInstanceUID: '1.2.3.4' }], failed: [] }),
  );
  await assoc.release();
  assert.equal(rsp.status.hex, '0x0115');
  assert.equal(service.store.instanceRows(id)[0].state, 'pending');
  assert.match(service.store.reportLog(1)[0].outcome, /FRIEND/);
});

test('LargeRequest_IsSplitAtChunkSize_IntoSeveralTransactions', async (t) => {
  const dir = tempDir();
  const db = openDatabase(join(dir.path, 'courier.db'));
  const service = commitServiceFor(db, { aeTitle: 'COURIER', lingerMs: 1000, chunkSize: 2, timeoutMs: 8000, maxAttempts: 1 });
  const files = makeStudy(join(dir.path, 'study'), 5);
  const pacs = await startPacs({ port: 0, aeTitle: 'PACS', dir: join(dir.path, 'pacs'), delivery: 'same', delayMs: 0, fail: new Map() });
  cleanUpAfter(t, { pacs, service, db, dir });
  await storeFiles(files, pacs.port);
  const instances = await commitInstancesOf(files);
  const txns = await service.request({ node: { aeTitle: 'PACS', host: '127.0.0.1', port: pacs.port }, instances, deleteAfterCommit: false, roots: [] });
  assert.deepEqual(txns.map((x) => service.store.counts(x.id).total), [2, 2, 1]);
  await service.settle(txns.map((x) => x.id));
  assert.deepEqual(txns.map((x) => service.store.byId(x.id)!.state), ['reported', 'reported', 'reported']);
  assert.equal(new Set(txns.map((x) => x.transactionUid)).size, 3);
  assert.ok(files.every((f) => existsSync(f.path)), 'nothing deleted without --delete-after-commit');
});

test('LostReport_TimesOut_ThenUserReRequest_Commits', async (t) => {
  const dir = tempDir();
  const db = openDatabase(join(dir.path, 'courier.db'));
  // No accepter: the PACS's report on a new association is lost, as Orthanc's would be.
  const service = commitServiceFor(db, { aeTitle: 'COURIER', lingerMs: 200, collectAfterMs: 60_000, timeoutMs: 600, maxAttempts: 1 });
  const files = makeStudy(join(dir.path, 'study'), 2);
  const listen = await freePort();
  const pacs = await startPacs({
    port: 0, aeTitle: 'PACS', dir: join(dir.path, 'pacs'), delivery: 'new', delayMs: 0, fail: new Map(),
    replyTo: { aeTitle: 'COURIER', host: '127.0.0.1', port: listen },
  });
  cleanUpAfter(t, { pacs, service, db, dir });
  await storeFiles(files, pacs.port);
  const instances = files.map((f) => ({ SOPClassUID: f.sopClassUid, SOPInstanceUID: f.sopInstanceUid, path: f.path, size: statSync(f.path).size, sha256: 'x' }));
  const [first] = await service.request({ node: { aeTitle: 'PACS', host: '127.0.0.1', port: pacs.port }, instances, deleteAfterCommit: false, roots: [] });
  await service.settle([first.id]);
  assert.equal(service.store.byId(first.id)!.state, 'timed-out');
  assert.deepEqual(service.store.instanceRows(first.id).map((r) => r.state), ['timed-out', 'timed-out']);
  // The user starts the accepter and asks again.
  await service.startAccepter(listen, '127.0.0.1');
  const again = await service.rerequest(first.id);
  await service.settle([again.id]);
  assert.equal(again.retryOf, first.id);
  assert.deepEqual(service.store.instanceRows(again.id).map((r) => r.state), ['committed', 'committed']);
});

test('LocalAeChanged_AccepterMovesToTheNewPortAndTitle_APortInUseKeepsTheOldOne', async (t) => {
  const dir = tempDir();
  const db = openDatabase(join(dir.path, 'courier.db'));
  const service = commitServiceFor(db, { aeTitle: 'COURIER' });
  saveNode(db, { aeTitle: 'FRIEND', host: '127.0.0.1' });
  const first = await service.startAccepter(await freePort(), '127.0.0.1');
  const taken = net.createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
  t.after(async () => {
    await service.close();
    await new Promise((r) => taken.close(r));
    db.close();
    dir.cleanup();
  });
  const echoTo = (calledAe: string, port: number) => echo({ host: '127.0.0.1', port, calledAe, callingAe: 'FRIEND', timeouts: { connect: 2000, associate: 2000, response: 2000 } });

  const moved = await freePort();
  await service.applyLocalAe(new NodeService(db).setLocal({ aeTitle: 'COURIER2', port: moved }));
  assert.equal(service.listening?.port, moved);
  assert.equal(service.aeTitle, 'COURIER2');
  assert.equal((await echoTo('COURIER2', moved)).status.code, 0);
  await assert.rejects(echoTo('COURIER', first.port), 'the old port is closed');

  // A port someone else holds: the accepter stays where it was, and says why.
  const busy = (taken.address() as net.AddressInfo).port;
  await service.applyLocalAe(new NodeService(db).setLocal({ aeTitle: 'COURIER2', port: busy }));
  assert.equal(service.listening?.port, moved);
  assert.match(service.accepterProblem ?? '', new RegExp(`port ${busy}.*still listening on port ${moved}`));
  assert.equal((await echoTo('COURIER2', moved)).status.code, 0);

  // A process that never started an accepter (courier serve) only takes the new title.
  const quiet = commitServiceFor(db, { aeTitle: 'COURIER' });
  const other = new NodeService(db).setLocal({ aeTitle: 'OTHER', port: await freePort() });
  await quiet.applyLocalAe(other);
  assert.equal(quiet.listening, null);
  assert.equal(quiet.aeTitle, 'OTHER');
});

/**
 * The process stops while the node holds the report for our next association (delivery c), and
 * starts again only after the report deadline: the next start collects the report instead of
 * answering it with a second transaction. `rspRecorded`: the N-ACTION-RSP was written before the
 * stop (state requested), or not (state created: killed between the N-ACTION and its answer).
 */
for (const rspRecorded of [true, false]) {
  test(`StoppedWhileTheNodeHeldTheReport_${rspRecorded ? 'RspRecorded' : 'RspNotYetRecorded'}_DeadlinePassed_NextStartCollectsIt_NoSecondTransaction`, async (t) => {
    const dir = tempDir();
    const db = openDatabase(join(dir.path, 'courier.db'));
    const options = { aeTitle: 'COURIER', lingerMs: 200, collectAfterMs: 60_000, collectMs: 3000, timeoutMs: 1500, maxAttempts: 2 };
    const first = commitServiceFor(db, options);
    const files = makeStudy(join(dir.path, 'study'), 2);
    const pacs = await startPacs({ port: 0, aeTitle: 'PACS', dir: join(dir.path, 'pacs'), delivery: 'next', delayMs: 0, fail: new Map() });
    const again = commitServiceFor(db, options);
    cleanUpAfter(t, { pacs, service: again, db, dir });
    await storeFiles(files, pacs.port);
    const [txn] = await first.request({
      node: { aeTitle: 'PACS', host: '127.0.0.1', port: pacs.port }, instances: await commitInstancesOf(files), deleteAfterCommit: true, roots: [join(dir.path, 'study')],
    });
    assert.equal(txn.state, 'requested');
    await first.close();
    // What the database holds when the process dies after sending the N-ACTION, before writing its answer.
    if (!rspRecorded) db.prepare(`UPDATE commit_transactions SET state = 'created', requested_at = NULL WHERE id = ?`).run(txn.id);
    await new Promise((r) => setTimeout(r, 1600));
    const ids = await again.settle(await again.resume(undefined, { rerequest: true }));
    assert.deepEqual(ids, [txn.id]);
    assert.equal(again.store.transactions().length, 1, 'the held report answered the transaction: none was asked again');
    assert.equal(again.store.byId(txn.id)!.state, 'reported');
    assert.deepEqual(again.store.instanceRows(txn.id).map((r) => [r.state, r.deleted]), [['committed', true], ['committed', true]]);
  });
}
