/**
 * `npm run bench:commit`: processing a Storage Commitment report of 10,000 references — decoding
 * the Event Information, checking it against the transaction, updating the database durably and
 * publishing the event. Target: under one second.
 */
import { tempDir } from '../helpers.ts';
import { openDatabase } from '../../electron/store/db.ts';
import { CommitStore } from '../../electron/store/commit.ts';
import { newTransactionUid } from '../../electron/commit/uid.ts';
import { processReport } from '../../electron/commit/report.ts';
import { EventHub } from '../../electron/events.ts';
import { decodeCommitReport, encodeCommitReport, STORAGE_COMMITMENT_SOP_CLASS, STORAGE_COMMITMENT_SOP_INSTANCE } from '../../electron/dimse/commitMessages.ts';
import { join } from 'node:path';

const N = Number(process.env.COMMIT_BENCH_N ?? 10_000);
const runs = 5;
const times: number[] = [];
let datasetBytes = 0;
for (let run = 0; run < runs; run++) {
  const dir = tempDir('courier-bench-commit-');
  const db = openDatabase(join(dir.path, 'courier.db'));
  const store = new CommitStore(db);
  const instances = Array.from({ length: N }, (_, i) => ({
    SOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
    SOPInstanceUID: `1.2.826.0.1.3680043.8.498.${run}.${i + 1}`,
    path: `/data/study/f${i}.dcm`,
    size: 500_000,
    sha256: 'a'.repeat(64),
  }));
  const transactionUid = newTransactionUid();
  const id = store.createTransaction({
    transactionUid,
    node: { aeTitle: 'PACS', host: '127.0.0.1', port: 104, addresses: ['127.0.0.1'] },
    callingAe: 'COURIER', timeoutMs: 60_000, maxAttempts: 1, deleteAfterCommit: false, roots: ['/data'], instances,
  });
  store.markRequested(id);
  const failed = instances.slice(0, 10).map((i) => ({ SOPClassUID: i.SOPClassUID, SOPInstanceUID: i.SOPInstanceUID, FailureReason: 0x0112 }));
  const bytes = encodeCommitReport({
    TransactionUID: transactionUid,
    referenced: instances.slice(10).map((i) => ({ SOPClassUID: i.SOPClassUID, SOPInstanceUID: i.SOPInstanceUID })),
    failed,
  });
  datasetBytes = bytes.length;
  const events = new EventHub();
  let received = 0;
  events.on('commit.changed', () => received++);
  const t0 = performance.now();
  const decision = processReport(store, events, {
    peerAeTitle: 'PACS', peerAddress: '127.0.0.1', delivery: 'new',
    AffectedSOPClassUID: STORAGE_COMMITMENT_SOP_CLASS, AffectedSOPInstanceUID: STORAGE_COMMITMENT_SOP_INSTANCE, EventTypeID: 2,
    dataset: decodeCommitReport(bytes),
  });
  const ms = performance.now() - t0;
  const counts = store.counts(id);
  if (!decision.accepted || counts.committed !== N - 10 || counts.failed !== 10 || received !== 1) {
    throw new Error(`bench: unexpected result ${JSON.stringify({ decision: decision.outcome, counts, received })}`);
  }
  times.push(ms);
  db.close();
  dir.cleanup();
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
console.log(`commit report of ${N} references (${(datasetBytes / 1024).toFixed(0)} KiB dataset): decode + check + durable update + event`);
console.log(`  median ${median.toFixed(1)} ms, min ${times[0].toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms over ${runs} runs (target < 1000 ms)`);
if (median >= 1000) process.exitCode = 1;
