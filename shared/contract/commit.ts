/**
 * Storage commitment (PS3.4 Annex J): transactions sent to a node, the state of each instance in
 * them, per-study summaries, the audit log of deleted files, and re-requests.
 */
import { bool, int, none, object, optional } from '../validate.ts';
import { channel } from './channel.ts';

/** Where an instance stands in its transaction. */
export type CommitInstanceState = 'pending' | 'committed' | 'failed' | 'timed-out';

/** Where a transaction stands: recorded, N-ACTION answered, report received, timed out, refused. */
export type CommitTransactionState = 'created' | 'requested' | 'reported' | 'timed-out' | 'failed';

/** Counts of instances by state (and what happened to their files). */
export interface CommitCounts {
  total: number;
  pending: number;
  committed: number;
  failed: number;
  timedOut: number;
  deleted: number;
  kept: number;
}

/** One storage commitment transaction, for the history. */
export interface CommitTransactionRow {
  id: number;
  transactionUid: string;
  /** AE@host:port of the node asked. */
  node: string;
  callingAe: string;
  state: CommitTransactionState;
  createdAt: string;
  requestedAt: string | null;
  reportAt: string | null;
  attempts: number;
  deleteAfterCommit: boolean;
  /** The transaction this one re-requests, if any. */
  retryOf: number | null;
  /** The send job whose stores it asks about (null: `courier send` or an older transaction). */
  sendJobId: number | null;
  /** Why it failed or timed out, in words (e.g. "could not connect to PACS at 127.0.0.1:11112 — connection refused"). */
  message: string | null;
  counts: CommitCounts;
}

/** One instance of a transaction. */
export interface CommitInstanceRow {
  id: number;
  transactionId: number;
  SOPInstanceUID: string;
  SOPClassUID: string;
  StudyInstanceUID: string | null;
  path: string;
  state: CommitInstanceState;
  /** Failure Reason (0008,1197) as "0x0112", with its meaning. */
  failureReason: string | null;
  failureMeaning: string | null;
  deleted: boolean;
  /** Why a committed file was not deleted (changed since sent, read-only, outside the sent folders …). */
  keptReason: string | null;
  /** The send job instance it was stored as (null for older transactions). */
  sendInstanceId: number | null;
}

/** Per-study summary of a transaction. */
export interface CommitStudySummary {
  StudyInstanceUID: string | null;
  StudyDescription: string | null;
  PatientName: string | null;
  counts: CommitCounts;
}

/** One row of the deletion audit log. */
export interface CommitDeletionRow {
  path: string;
  SOPInstanceUID: string;
  transactionUid: string;
  node: string;
  sha256: string;
  deletedAt: string;
}

/** The `commit.changed` event: a transaction's states moved (report, timeout, deletion). */
export interface CommitChanged {
  transactionId: number;
  transactionUid: string;
  state: CommitTransactionState;
  counts: CommitCounts;
  /** The instances whose state changed, when known (at most a few thousand per event). */
  instances?: { id: number; state: CommitInstanceState; failureReason: string | null; deleted: boolean }[];
}

const id = int(1);

/** Commitment channels. */
export const commitChannels = {
  'commit.transactions': channel<CommitTransactionRow[]>()(object({ limit: optional(int(1, 1000)) })),
  /** A transaction's instances; `problemsFirst`: failed, then kept, timed-out and pending ones before the committed. */
  'commit.instances': channel<CommitInstanceRow[]>()(object({ transactionId: id, problemsFirst: optional(bool) })),
  'commit.studies': channel<CommitStudySummary[]>()(object({ transactionId: id })),
  'commit.deletions': channel<CommitDeletionRow[]>()(object({ limit: optional(int(1, 10000)) })),
  /** Asks the node again for the pending, failed and timed-out instances of a transaction. */
  'commit.rerequest': channel<{ transactionId: number; transactionUid: string }>()(object({ transactionId: id })),
  /**
   * Requests commitment of what a finished send job stored (optionally deleting once committed).
   * A job started with `commit.request` asks by itself; this is for a job started without.
   */
  'commit.requestForSendJob': channel<{ transactionIds: number[] }>()(object({ sendJobId: id, deleteAfterCommit: bool })),
  /** Re-sends (C-STORE) the failed and timed-out instances of a transaction, then requests their commitment. */
  'commit.resend': channel<{ sendJobId: number }>()(object({ transactionId: id })),
  /** Whether the accepter is listening, and where. */
  'commit.accepter': channel<{ listening: boolean; aeTitle: string; port: number | null; message: string | null }>()(none),
};

/** Failure Reason (0008,1197) values of the Failed SOP Sequence and their meaning (PS3.3 C.14.1.1). */
export const FAILURE_REASONS: Readonly<Record<number, string>> = {
  0x0110: 'Processing failure: a general failure in processing the operation',
  0x0112: 'No such object instance: the PACS does not have this instance',
  0x0119: 'Class / instance conflict: the SOP Class differs from the one the PACS registered for this instance',
  0x0122: 'Referenced SOP Class not supported by the PACS',
  0x0131: 'Duplicate transaction UID: the Transaction UID is already in use',
  0x0213: 'Resource limitation: the PACS lacks the resources to store the instance',
};

/** "0x0112" for a Failure Reason, as the CLI and the UI show it. */
export function formatFailureReason(reason: number): string {
  return '0x' + reason.toString(16).toUpperCase().padStart(4, '0');
}

/** The meaning of a Failure Reason, or a generic text for values the standard does not define. */
export function failureMeaning(reason: number): string {
  return FAILURE_REASONS[reason] ?? `Failure reason ${formatFailureReason(reason)} (not defined by PS3.3 C.14.1.1)`;
}
