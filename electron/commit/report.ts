/**
 * Deciding what a Storage Commitment report (N-EVENT-REPORT, PS3.4 J.3.3) changes. Pure: it
 * looks the transaction up through a function and returns the changes and the N-EVENT-REPORT-RSP
 * status; `processReport` applies the decision durably and publishes it.
 *
 * A report changes something only when it is for a transaction this app created, was delivered
 * by the AE the request went to (calling AE title AND peer address), and every instance it names
 * belongs to that transaction with the SOP Class we sent (docs/data-safety.md, invariant 1). Anything else
 * is a forged or stray report: nothing changes, and the peer gets a failure status.
 */
import {
  EVENT_ALL_COMMITTED,
  EVENT_SOME_FAILED,
  STORAGE_COMMITMENT_SOP_CLASS,
  STORAGE_COMMITMENT_SOP_INSTANCE,
  type CommitReportDataset,
} from '../dimse/commitMessages.ts';
import type { CommitInstance, CommitStore, CommitTransaction, InstanceChange } from '../store/commit.ts';
import type { EventHub } from '../events.ts';
import { formatFailureReason } from '../../shared/contract/commit.ts';

/**
 * N-EVENT-REPORT-RSP statuses we answer with (PS3.7 §10.1.1.1.8 and Annex C; PS3.4 J.3.3 lets the
 * SCU, us, refuse a report it cannot process).
 */
export const ReportStatus = {
  /** The report was applied (or was a harmless repeat). */
  Success: 0x0000,
  /** "Processing failure" (PS3.7 C.5.5): we failed while processing it (e.g. the database). */
  ProcessingFailure: 0x0110,
  /** "No such SOP instance" (PS3.7 C.5.7): the Affected SOP Instance is not the well-known 1.2.840.10008.1.20.1.1 (PS3.4 J.3.5). */
  NoSuchSopInstance: 0x0112,
  /** "No such event type" (PS3.7 C.5.8): an Event Type ID other than 1 or 2 (PS3.4 J.3.3.1). */
  NoSuchEventType: 0x0113,
  /**
   * "Invalid argument value" (PS3.7 C.5.10): the Event Information is malformed, names no transaction of ours,
   * comes from an AE or address other than the node asked, or names an instance that is not in the
   * transaction. One status for all of these, so a forger learns nothing about our transactions.
   */
  InvalidArgumentValue: 0x0115,
  /** "No such SOP class" (PS3.7 C.5.12): the Affected SOP Class is not Storage Commitment Push Model. */
  NoSuchSopClass: 0x0118,
  /** "Class-instance conflict" (PS3.7 C.5.13): an instance is reported with another SOP Class than we sent. */
  ClassInstanceConflict: 0x0119,
} as const;

/** How a report reached us (PS3.4 J.3.3; all three are handled, docs/architecture.md). */
export type ReportDelivery = 'same' | 'new' | 'next';

/** An N-EVENT-REPORT-RQ as received, before any decision. */
export interface IncomingReport {
  /** The AE title of the peer: the calling AE of an association it opened, or the called AE of ours. */
  peerAeTitle: string;
  /** The peer's IP address as the socket saw it. */
  peerAddress: string;
  delivery: ReportDelivery;
  AffectedSOPClassUID: string;
  AffectedSOPInstanceUID: string;
  EventTypeID: number;
  /** The decoded Event Information, or the reason it could not be decoded. */
  dataset: CommitReportDataset | { error: string };
}

/** What a report does. */
export interface ReportDecision {
  status: number;
  accepted: boolean;
  /** For a person and the report log. */
  outcome: string;
  transactionUid: string | null;
  transaction?: CommitTransaction;
  eventType?: number;
  changes: InstanceChange[];
}

/** A transaction and its instances, as looked up by Transaction UID. */
export interface TransactionLookup {
  transaction: CommitTransaction;
  instances: Map<string, CommitInstance>;
}

/** Normalises a socket address: IPv4-mapped IPv6 becomes plain IPv4. */
export function normaliseAddress(address: string): string {
  const a = address.trim().toLowerCase();
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

/** AE titles compare without their insignificant leading and trailing spaces (PS3.5 §6.2, AE). */
export function sameAeTitle(a: string, b: string): boolean {
  return a.trim() === b.trim();
}

/** Decides what an incoming report changes. Pure apart from `lookup`. */
export function decideReport(report: IncomingReport, lookup: (transactionUid: string) => TransactionLookup | null): ReportDecision {
  const reject = (status: number, outcome: string, transactionUid: string | null = null): ReportDecision => ({
    status,
    accepted: false,
    outcome,
    transactionUid,
    changes: [],
  });
  if (report.AffectedSOPClassUID !== STORAGE_COMMITMENT_SOP_CLASS) {
    return reject(ReportStatus.NoSuchSopClass, `not a Storage Commitment report (SOP Class ${report.AffectedSOPClassUID})`);
  }
  if (report.AffectedSOPInstanceUID !== STORAGE_COMMITMENT_SOP_INSTANCE) {
    return reject(ReportStatus.NoSuchSopInstance, `unexpected Affected SOP Instance ${report.AffectedSOPInstanceUID}`);
  }
  if (report.EventTypeID !== EVENT_ALL_COMMITTED && report.EventTypeID !== EVENT_SOME_FAILED) {
    return reject(ReportStatus.NoSuchEventType, `unknown Event Type ID ${report.EventTypeID}`);
  }
  const ds = report.dataset;
  if ('error' in ds) return reject(ReportStatus.InvalidArgumentValue, `malformed Event Information: ${ds.error}`);
  const uid = ds.TransactionUID;
  if (!uid) return reject(ReportStatus.InvalidArgumentValue, 'the report has no Transaction UID');
  const found = lookup(uid);
  if (!found) return reject(ReportStatus.InvalidArgumentValue, 'stray report: no transaction of ours has this UID', uid);
  const { transaction: t, instances } = found;
  if (!sameAeTitle(report.peerAeTitle, t.node.aeTitle)) {
    return reject(ReportStatus.InvalidArgumentValue, `forged or stray report: from AE "${report.peerAeTitle.trim()}", the request went to "${t.node.aeTitle}"`, uid);
  }
  const peer = normaliseAddress(report.peerAddress);
  if (!t.node.addresses.some((a) => normaliseAddress(a) === peer)) {
    return reject(ReportStatus.InvalidArgumentValue, `forged or stray report: from address ${peer}, the node is ${t.node.host} (${t.node.addresses.join(', ')})`, uid);
  }
  if (report.EventTypeID === EVENT_ALL_COMMITTED && ds.failed.length) {
    return reject(ReportStatus.InvalidArgumentValue, 'Event Type 1 (all committed) with a Failed SOP Sequence', uid);
  }
  const changes: InstanceChange[] = [];
  const seen = new Set<string>();
  const check = (ref: { SOPClassUID: string; SOPInstanceUID: string }): CommitInstance | ReportDecision => {
    const inst = instances.get(ref.SOPInstanceUID);
    if (!inst) return reject(ReportStatus.InvalidArgumentValue, `the report names an instance that is not in the transaction: ${ref.SOPInstanceUID}`, uid);
    if (inst.SOPClassUID !== ref.SOPClassUID) {
      return reject(ReportStatus.ClassInstanceConflict, `instance ${ref.SOPInstanceUID} reported as SOP Class ${ref.SOPClassUID}, sent as ${inst.SOPClassUID}`, uid);
    }
    if (seen.has(ref.SOPInstanceUID)) return reject(ReportStatus.InvalidArgumentValue, `instance ${ref.SOPInstanceUID} is reported twice`, uid);
    seen.add(ref.SOPInstanceUID);
    return inst;
  };
  for (const ref of ds.referenced) {
    const inst = check(ref);
    if ('status' in inst) return inst;
    if (inst.state !== 'committed') changes.push({ id: inst.id, state: 'committed', failureReason: null });
  }
  for (const ref of ds.failed) {
    const inst = check(ref);
    if ('status' in inst) return inst;
    // A committed instance stays committed (its file may already be gone); a later failure is logged only.
    if (inst.state !== 'committed') changes.push({ id: inst.id, state: 'failed', failureReason: ref.FailureReason });
  }
  const failedText = ds.failed.length
    ? ` (${[...new Set(ds.failed.map((f) => formatFailureReason(f.FailureReason)))].join(', ')})`
    : '';
  return {
    status: ReportStatus.Success,
    accepted: true,
    outcome: `applied: ${ds.referenced.length} committed, ${ds.failed.length} failed${failedText}, ${instances.size - seen.size} not mentioned`,
    transactionUid: uid,
    transaction: t,
    eventType: report.EventTypeID,
    changes,
  };
}

/** Decides, applies durably, logs and publishes a report; returns the decision (its status goes in the RSP). */
export function processReport(store: CommitStore, events: EventHub | null, report: IncomingReport): ReportDecision {
  let decision: ReportDecision;
  try {
    decision = decideReport(report, (uid) => {
      const transaction = store.byUid(uid);
      return transaction ? { transaction, instances: store.instances(transaction.id) } : null;
    });
    if (decision.accepted && decision.transaction) store.applyReport(decision.transaction.id, decision.eventType!, decision.changes);
  } catch (err) {
    decision = {
      status: ReportStatus.ProcessingFailure,
      accepted: false,
      outcome: `processing failure: ${err instanceof Error ? err.message : String(err)}`,
      transactionUid: 'error' in report.dataset ? null : report.dataset.TransactionUID,
      changes: [],
    };
  }
  try {
    store.logReport({
      transactionUid: decision.transactionUid,
      callingAe: report.peerAeTitle.trim(),
      peerAddress: normaliseAddress(report.peerAddress),
      delivery: report.delivery,
      status: decision.status,
      outcome: decision.outcome,
    });
  } catch {
    // The log is diagnostics; the decision stands.
  }
  if (decision.accepted && decision.transaction && events) {
    const t = decision.transaction;
    const small = decision.changes.length <= 5000;
    events.emit('commit.changed', {
      transactionId: t.id,
      transactionUid: t.transactionUid,
      state: 'reported',
      counts: store.counts(t.id),
      ...(small
        ? {
            instances: decision.changes.map((c) => ({
              id: c.id,
              state: c.state,
              failureReason: c.failureReason === null ? null : formatFailureReason(c.failureReason),
              deleted: false,
            })),
          }
        : {}),
    });
  }
  return decision;
}
