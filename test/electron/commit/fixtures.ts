/**
 * Shared set-up for the commit tests: a fresh database with one transaction, and report builders.
 */
import { join } from 'node:path';
import { openDatabase, type Db } from '../../../electron/store/db.ts';
import { CommitStore, type NewCommitInstance } from '../../../electron/store/commit.ts';
import { newTransactionUid } from '../../../electron/commit/uid.ts';
import type { IncomingReport } from '../../../electron/commit/report.ts';
import { CommitService, type CommitDeps, type CommitOptions } from '../../../electron/commit/service.ts';
import { NodeService } from '../../../electron/nodes/nodeService.ts';
import { STORAGE_COMMITMENT_SOP_CLASS, STORAGE_COMMITMENT_SOP_INSTANCE, type CommitReportDataset } from '../../../electron/dimse/commitMessages.ts';

export const CT = '1.2.840.10008.5.1.4.1.1.2';
export const MR = '1.2.840.10008.5.1.4.1.1.4';
export const NODE = { aeTitle: 'PACS', host: '127.0.0.1', port: 11112, addresses: ['127.0.0.1'] };

/** A store over a fresh database in `dir`. */
export function openStore(dir: string): { db: Db; store: CommitStore } {
  const db = openDatabase(join(dir, 'courier.db'));
  return { db, store: new CommitStore(db) };
}

/** `n` fake instances (paths need not exist unless the test deletes). */
export function fakeInstances(n: number, dir = '/nonexistent'): NewCommitInstance[] {
  return Array.from({ length: n }, (_, i) => ({
    SOPClassUID: CT,
    SOPInstanceUID: `1.2.826.0.1.3680043.8.498.${i + 1}`,
    path: join(dir, `f${i}.dcm`),
    size: 100,
    sha256: '0'.repeat(64),
  }));
}

/** Records a transaction to NODE with the given instances; returns its id and UID. */
export function createTxn(store: CommitStore, instances: NewCommitInstance[], roots: string[] = ['/nonexistent']) {
  const transactionUid = newTransactionUid();
  const id = store.createTransaction({
    transactionUid,
    node: NODE,
    callingAe: 'COURIER',
    timeoutMs: 60_000,
    maxAttempts: 2,
    deleteAfterCommit: true,
    roots,
    instances,
  });
  store.markRequested(id);
  return { id, transactionUid };
}

/** A well-formed report from NODE. */
export function report(ds: CommitReportDataset, over: Partial<IncomingReport> = {}): IncomingReport {
  return {
    peerAeTitle: 'PACS',
    peerAddress: '::ffff:127.0.0.1',
    delivery: 'new',
    AffectedSOPClassUID: STORAGE_COMMITMENT_SOP_CLASS,
    AffectedSOPInstanceUID: STORAGE_COMMITMENT_SOP_INSTANCE,
    EventTypeID: ds.failed.length ? 2 : 1,
    dataset: ds,
    ...over,
  };
}

/** A commitment service over `db` whose own AE title is `aeTitle` (saved as Settings would), with these options. */
export function commitServiceFor(db: Db, opts: Partial<CommitOptions> & { aeTitle?: string } = {}, deps: Pick<CommitDeps, 'deleteHooks'> = {}): CommitService {
  const nodes = new NodeService(db);
  const { aeTitle, ...options } = opts;
  nodes.setLocal({ aeTitle: aeTitle ?? 'COURIER', port: 11113 });
  return new CommitService({ db, nodes, options, ...deps });
}

/** Saves a node as Settings would, so the accepter admits its AE title. */
export function saveNode(db: Db, node: { aeTitle: string; host: string; port?: number; tls?: boolean }): void {
  new NodeService(db).save({ aeTitle: node.aeTitle, host: node.host, port: node.port ?? 104, tls: node.tls });
}
