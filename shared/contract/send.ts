/**
 * Send jobs: C-STORE of a selection to a node, queued and tracked per instance in the database,
 * optionally followed by storage commitment and the deletion of what the node committed.
 *
 * The workflow as the UI drives it: `send.plan` (what will go, from which folders, which file of an
 * instance held in several) → `send.start` with the file choice and `commit` options → the job
 * stores, then asks for commitment itself (also after a restart) → `send.jobs` / `send.instances` /
 * `send.studies` show stored → commitment requested → committed / failed / pending → deleted.
 */
import { arrayOf, bool, int, object, oneOf, optional, str } from '../validate.ts';
import type { CommitCounts, CommitInstanceState } from './commit.ts';
import { channel } from './channel.ts';

/**
 * A job's state. 'failed': it ended with nothing stored although it had instances to send (`error`
 * says why in words, e.g. "could not connect to PACS at 127.0.0.1:11112 — connection refused").
 */
export type SendJobState = 'queued' | 'running' | 'paused' | 'done' | 'failed' | 'cancelled';

/** What is picked in the library: everything under each id. */
export interface SendSelection {
  patientIds?: number[];
  studyIds?: number[];
  seriesIds?: number[];
  instanceIds?: number[];
}

/**
 * Which file is sent (and, with deletion, may be deleted) when one SOP Instance is in several files,
 * e.g. a copy of a study indexed beside the original. An entry of `files` wins; else the first folder
 * of `preferFolders` holding one of the instance's files; else the file indexed first. A file not
 * chosen is never sent by the job, nor deleted.
 */
export interface FileChoice {
  /** Folders whose files win (a file under the folder or any of its subfolders), in order of preference. */
  preferFolders?: string[];
  /** The file for one instance (library instance id → one of its file paths). */
  files?: { instanceId: number; path: string }[];
}

/** Storage commitment asked for with a send job (PS3.4 Annex J). */
export interface SendCommitOptions {
  /** Once the stores end, ask the node to commit what it stored. */
  request: boolean;
  /** Delete each sent file once the node committed it: only the file sent, only while it is provably the bytes sent. */
  deleteAfterCommit: boolean;
}

/** A folder the files of a plan are read from (and, with deletion, deleted from). */
export interface SendPlanFolder {
  folder: string;
  files: number;
  bytes: number;
}

/** One SOP Instance held in several files: the file that will be sent and the others (never sent, never deleted). */
export interface SendPlanDuplicate {
  instanceId: number;
  SOPInstanceUID: string;
  chosen: { path: string; size: number };
  alternatives: { path: string; size: number }[];
}

/** What a person must see before sending a selection (`send.plan`). */
export interface SendPlan {
  patients: number;
  studies: number;
  series: number;
  instances: number;
  /** Bytes of the chosen files. */
  bytes: number;
  /** Each folder (the file's own directory) the chosen files are in, by path. */
  folders: SendPlanFolder[];
  /** Instances held in several files (at most the first 1,000; `duplicateCount` has them all). */
  duplicates: SendPlanDuplicate[];
  duplicateCount: number;
}

/** What a finished job stored, by folder (`send.stored`): the files a later commitment request with deletion may delete. */
export interface SendJobStored {
  files: number;
  bytes: number;
  folders: SendPlanFolder[];
}

/** Where a job's storage commitment stands. */
export type SendCommitState =
  /** The stores have not ended yet. */
  | 'waiting'
  /** The N-ACTION requests are going out. */
  | 'requesting'
  /** Requested: waiting for reports (re-requests included). */
  | 'pending'
  /** Every transaction ended (committed, failed or timed out: see `counts`). */
  | 'done'
  /** Nothing could be requested (nothing stored, or the request could not be recorded): `message` says why. */
  | 'failed';

/** True while a job's commitment is being asked for (its files may still be deleted): such a job is neither removed nor retried. */
export function commitmentAsked(commit: { state: SendCommitState } | null | undefined): boolean {
  return commit?.state === 'requesting' || commit?.state === 'pending';
}

/** A job's storage commitment. */
export interface SendJobCommit extends SendCommitOptions {
  state: SendCommitState;
  message: string | null;
  /** The job's commitment transactions, oldest first (re-requests included): `commit.instances` etc. take these ids. */
  transactionIds: number[];
  /** The latest word on each instance asked about (a re-request supersedes a timed-out transaction). */
  counts: CommitCounts;
}
/** An instance's state ('sending' only while it is on the wire). */
export type SendInstanceState = 'queued' | 'sending' | 'success' | 'warning' | 'failed';

/** A send job with its counts. */
export interface SendJobRow {
  id: number;
  nodeId: number | null;
  /** AE@host:port */
  destination: string;
  aeTitle: string;
  host: string;
  port: number;
  maxAssociations: number;
  /** Sent over TLS (PS3.15 Annex B.9). */
  tls: boolean;
  callingAe: string;
  description: string;
  state: SendJobState;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  total: number;
  queued: number;
  success: number;
  warning: number;
  failed: number;
  totalBytes: number;
  doneBytes: number;
  /** Storage commitment asked for with the job; null when none. */
  commit: SendJobCommit | null;
}

/** Storage commitment of one instance of a job: the latest transaction's word. */
export interface SendInstanceCommit {
  transactionId: number;
  transactionUid: string;
  state: CommitInstanceState;
  /** Failure Reason (0008,1197) as "0x0112", with its meaning. */
  failureReason: string | null;
  failureMeaning: string | null;
  deleted: boolean;
  /** Why a committed file was kept (e.g. "changed since it was sent"). */
  keptReason: string | null;
}

/** One instance of a job. */
export interface SendInstanceRow {
  id: number;
  instanceId: number | null;
  path: string;
  size: number;
  SOPInstanceUID: string | null;
  SOPClassUID: string | null;
  state: SendInstanceState;
  /** DIMSE status of the C-STORE-RSP; null when no response came. */
  status: number | null;
  /** The status meaning (PS3.7 Annex C / PS3.4 B.2.3), or why it failed. */
  message: string | null;
  transferSyntax: string | null;
  /** Set when the dataset was transcoded from this syntax because the peer refused it. */
  transcodedFrom: string | null;
  attempts: number;
  updatedAt: string | null;
  StudyInstanceUID: string | null;
  /** Storage commitment of this instance (null: not asked for, or not yet). */
  commit: SendInstanceCommit | null;
}

/** Per-study view of a job (`send.studies`). */
export interface SendJobStudy {
  StudyInstanceUID: string | null;
  StudyDescription: string | null;
  PatientName: string | null;
  total: number;
  queued: number;
  /** Stored with success or warning. */
  stored: number;
  /** The store failed. */
  failed: number;
  /** The latest commitment word on its instances (null when commitment was not asked for). */
  commit: CommitCounts | null;
}

/** Progress of a running send (event `send.progress`). */
export interface SendProgress {
  sendJobId: number;
  done: number;
  total: number;
  failed: number;
  bytes: number;
  totalBytes: number;
  /** Bytes per second over the run so far. */
  rate: number;
  /** Seconds left at that rate; null while unknown. */
  secondsLeft: number | null;
  /** Instances on the wire now (send_instances ids). */
  sending: number[];
}

/** A job or its instances changed (event `send.changed`). */
export interface SendChanged {
  sendJobId: number;
}

const ids = arrayOf(int(1), 100_000);
const selection = { patientIds: optional(ids), studyIds: optional(ids), seriesIds: optional(ids), instanceIds: optional(ids) };
const pathText = str({ min: 1, max: 4096 });
/** A FileChoice. */
export const fileChoice = object({
  preferFolders: optional(arrayOf(pathText, 100)),
  files: optional(arrayOf(object({ instanceId: int(1), path: pathText }), 100_000)),
});

/** Send channels. */
export const sendChannels = {
  /** What sending the selection would send: counts, bytes, folders, instances in several files. */
  'send.plan': channel<SendPlan>()(object({ ...selection, choice: optional(fileChoice) })),
  /**
   * Queues the selection (the chosen file of each instance) for the node and starts sending. Without
   * `commit`, commitment follows the node's `requestCommitment` and nothing is deleted.
   */
  'send.start': channel<{ sendJobId: number }>()(
    object({
      nodeId: int(1),
      ...selection,
      choice: optional(fileChoice),
      commit: optional(object({ request: bool, deleteAfterCommit: bool })),
      allowTranscode: optional(bool),
    }),
  ),
  'send.jobs': channel<SendJobRow[]>()(object({ limit: optional(int(1, 1000)) })),
  /** A job's instances in queue order; `problemsFirst` puts failed stores and commitment failures first, then kept files, timed-out and pending ones. */
  'send.instances': channel<SendInstanceRow[]>()(
    object({
      sendJobId: int(1),
      state: optional(oneOf('queued', 'success', 'warning', 'failed')),
      problemsFirst: optional(bool),
      offset: optional(int(0)),
      limit: optional(int(1, 10_000)),
    }),
  ),
  /** A job per study. */
  'send.studies': channel<SendJobStudy[]>()(object({ sendJobId: int(1) })),
  /** What the job stored, by folder: named before a later commitment request deletes anything (`commit.requestForSendJob`). */
  'send.stored': channel<SendJobStored>()(object({ sendJobId: int(1) })),
  'send.pause': channel<{ ok: boolean }>()(object({ sendJobId: int(1) })),
  'send.resume': channel<{ ok: boolean }>()(object({ sendJobId: int(1) })),
  'send.cancel': channel<{ ok: boolean }>()(object({ sendJobId: int(1) })),
  'send.retryFailed': channel<{ requeued: number }>()(object({ sendJobId: int(1) })),
  'send.remove': channel<{ removed: boolean }>()(object({ sendJobId: int(1) })),
};
