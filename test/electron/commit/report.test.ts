/**
 * Report processing: only a report for our transaction, from the node asked (AE title and
 * address), naming only instances of that transaction, changes anything (docs/data-safety.md, invariant 1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../../helpers.ts';
import { processReport, ReportStatus, decideReport } from '../../../electron/commit/report.ts';
import { newTransactionUid } from '../../../electron/commit/uid.ts';
import { CT, MR, createTxn, fakeInstances, openStore, report } from './fixtures.ts';
import { EventHub } from '../../../electron/events.ts';
import { uidProblem } from '../../../shared/dicomValues.ts';

function setup(t: import('node:test').TestContext, n = 4) {
  const dir = tempDir();
  const { db, store } = openStore(dir.path);
  t.after(() => {
    db.close();
    dir.cleanup();
  });
  const instances = fakeInstances(n);
  const txn = createTxn(store, instances);
  const states = () => [...store.instances(txn.id).values()].map((i) => i.state);
  return { store, db, instances, txn, states };
}

const refs = (list: { SOPClassUID: string; SOPInstanceUID: string }[]) => list.map(({ SOPClassUID, SOPInstanceUID }) => ({ SOPClassUID, SOPInstanceUID }));

test('TransactionUid_Is2_25FormAndValid', () => {
  const uid = newTransactionUid();
  assert.match(uid, /^2\.25\.[1-9][0-9]*$/);
  assert.equal(uidProblem(uid), null);
  assert.notEqual(uid, newTransactionUid());
});

test('ValidReport_CommitsAndFailsTheNamedInstances', (t) => {
  const { store, instances, txn, states } = setup(t);
  const events = new EventHub();
  const seen: unknown[] = [];
  events.on('commit.changed', (e) => seen.push(e));
  const d = processReport(store, events, report({
    TransactionUID: txn.transactionUid,
    referenced: refs(instances.slice(0, 3)),
    failed: [{ ...refs(instances.slice(3))[0], FailureReason: 0x0112 }],
  }));
  assert.equal(d.status, ReportStatus.Success);
  assert.deepEqual(states(), ['committed', 'committed', 'committed', 'failed']);
  assert.equal(store.instanceRows(txn.id)[3].failureReason, '0x0112');
  assert.match(store.instanceRows(txn.id)[3].failureMeaning!, /No such object instance/);
  assert.equal(store.byId(txn.id)!.state, 'reported');
  assert.equal(seen.length, 1);
});

test('ForgedReport_FromAnotherAe_ChangesNothing', (t) => {
  const { store, instances, txn, states } = setup(t);
  const d = processReport(store, null, report({ TransactionUID: txn.transactionUid, referenced: refs(instances), failed: [] }, { peerAeTitle: 'EVIL' }));
  assert.equal(d.status, ReportStatus.InvalidArgumentValue);
  assert.deepEqual(states(), ['pending', 'pending', 'pending', 'pending']);
  assert.equal(store.byId(txn.id)!.state, 'requested');
  assert.match(store.reportLog(1)[0].outcome, /forged or stray.*EVIL/);
});

test('ForgedReport_FromAnotherAddress_ChangesNothing', (t) => {
  const { store, instances, txn, states } = setup(t);
  const d = processReport(store, null, report({ TransactionUID: txn.transactionUid, referenced: refs(instances), failed: [] }, { peerAddress: '127.0.0.2' }));
  assert.equal(d.status, ReportStatus.InvalidArgumentValue);
  assert.deepEqual(states(), ['pending', 'pending', 'pending', 'pending']);
});

test('StrayReport_UnknownTransaction_ChangesNothing', (t) => {
  const { store, instances, states } = setup(t);
  const d = processReport(store, null, report({ TransactionUID: newTransactionUid(), referenced: refs(instances), failed: [] }));
  assert.equal(d.status, ReportStatus.InvalidArgumentValue);
  assert.deepEqual(states(), ['pending', 'pending', 'pending', 'pending']);
});

test('Report_NamingAnInstanceNeverAskedAbout_ChangesNothing', (t) => {
  const { store, instances, txn, states } = setup(t);
  const stranger = { SOPClassUID: CT, SOPInstanceUID: '1.2.3.999' };
  const d = processReport(store, null, report({ TransactionUID: txn.transactionUid, referenced: [...refs(instances), stranger], failed: [] }));
  assert.equal(d.status, ReportStatus.InvalidArgumentValue);
  assert.deepEqual(states(), ['pending', 'pending', 'pending', 'pending']);
});

test('Report_WithAnotherSopClass_IsAClassInstanceConflict', (t) => {
  const { store, instances, txn, states } = setup(t);
  const d = processReport(store, null, report({ TransactionUID: txn.transactionUid, referenced: [{ ...refs(instances)[0], SOPClassUID: MR }], failed: [] }));
  assert.equal(d.status, ReportStatus.ClassInstanceConflict);
  assert.deepEqual(states(), ['pending', 'pending', 'pending', 'pending']);
});

test('Report_OfAnotherNodesTransaction_ChangesNothing', (t) => {
  const { store, instances, txn, states } = setup(t);
  // A second transaction to another node: that node's report cannot touch the first one.
  const other = store.createTransaction({
    transactionUid: newTransactionUid(),
    node: { aeTitle: 'OTHER', host: '127.0.0.3', port: 104, addresses: ['127.0.0.3'] },
    callingAe: 'COURIER', timeoutMs: 1000, maxAttempts: 1, deleteAfterCommit: true, roots: [], instances: fakeInstances(1),
  });
  assert.ok(other > txn.id);
  const d = processReport(store, null, report({ TransactionUID: txn.transactionUid, referenced: refs(instances), failed: [] }, { peerAeTitle: 'OTHER', peerAddress: '127.0.0.3' }));
  assert.equal(d.status, ReportStatus.InvalidArgumentValue);
  assert.deepEqual(states(), ['pending', 'pending', 'pending', 'pending']);
});

test('Report_WithWrongHeaders_GetsTheMatchingStatus', (t) => {
  const { instances, txn } = setup(t);
  const ds = { TransactionUID: txn.transactionUid, referenced: refs(instances), failed: [] };
  const look = () => null;
  assert.equal(decideReport(report(ds, { AffectedSOPClassUID: '1.2.3' }), look).status, ReportStatus.NoSuchSopClass);
  assert.equal(decideReport(report(ds, { AffectedSOPInstanceUID: '1.2.3' }), look).status, ReportStatus.NoSuchSopInstance);
  assert.equal(decideReport(report(ds, { EventTypeID: 3 }), look).status, ReportStatus.NoSuchEventType);
  assert.equal(decideReport(report(ds, { dataset: { error: 'truncated' } }), look).status, ReportStatus.InvalidArgumentValue);
  assert.equal(decideReport(report({ ...ds, TransactionUID: null }), look).status, ReportStatus.InvalidArgumentValue);
});

test('CommittedInstance_StaysCommitted_WhenALaterReportSaysFailed', (t) => {
  const { store, instances, txn, states } = setup(t, 2);
  processReport(store, null, report({ TransactionUID: txn.transactionUid, referenced: refs(instances), failed: [] }));
  const d = processReport(store, null, report({ TransactionUID: txn.transactionUid, referenced: [], failed: refs(instances).map((r) => ({ ...r, FailureReason: 0x0110 })) }));
  assert.equal(d.status, ReportStatus.Success);
  assert.deepEqual(states(), ['committed', 'committed']);
});

test('LateReport_AfterTimeout_StillCommits', (t) => {
  const { store, instances, txn, states } = setup(t, 2);
  store.timeOut(txn.id, 'no report');
  assert.deepEqual(states(), ['timed-out', 'timed-out']);
  processReport(store, null, report({ TransactionUID: txn.transactionUid, referenced: refs(instances), failed: [] }));
  assert.deepEqual(states(), ['committed', 'committed']);
});

test('RejectedReportFlood_IsLoggedInBatches_NotASyncedRowEach_AnAppliedOneAtOnce', (t) => {
  const { store, db, instances, txn } = setup(t);
  const rows = () => (db.prepare('SELECT count(*) AS n FROM commit_report_log').get() as { n: number }).n;
  for (let i = 0; i < 1000; i++) {
    const d = processReport(store, null, report({ TransactionUID: txn.transactionUid, referenced: refs(instances), failed: [] }, { peerAeTitle: 'EVIL' }));
    assert.equal(d.status, ReportStatus.InvalidArgumentValue);
  }
  assert.equal(rows(), 0, 'rejected reports wait for their batch: no row (and no synced commit) each');
  processReport(store, null, report({ TransactionUID: txn.transactionUid, referenced: refs(instances), failed: [] }));
  assert.equal(rows(), 1, 'an applied report is logged at once');
  const log = store.reportLog(300); // (writes the batch first)
  assert.equal(rows(), 1 + 200 + 1, 'the first 200 rejected ones one by one, the rest as one line');
  assert.ok(log.some((e) => /800 more rejected reports/.test(e.outcome)));
  assert.equal(log.filter((e) => /EVIL/.test(e.outcome)).length, 200);
});
