/**
 * Send jobs and their instances. Every terminal state of an instance is written here (in batches,
 * each one transaction, synchronous=FULL) before anything acts on it; a job interrupted by a quit or
 * a crash still has its unfinished instances 'queued' and resumes from them.
 */
import type { StatementSync } from 'node:sqlite';
import type { CommitInstanceState } from '../../shared/contract/commit.ts';
import { failureMeaning, formatFailureReason } from '../../shared/contract/commit.ts';
import type {
  SendCommitOptions,
  SendCommitState,
  SendInstanceCommit,
  SendInstanceRow,
  SendInstanceState,
  SendJobCommit,
  SendJobRow,
  SendJobState,
  SendJobStudy,
  SendSelection,
} from '../../shared/contract/send.ts';
import { transaction, type Db } from './db.ts';
import { selectionWhere } from './selection.ts';
import { countInto, emptyCounts } from './commit.ts';
import { groupByStudy } from './studyGroups.ts';

/** What a new job's instance is. */
export interface NewSendInstance {
  path: string;
  size: number;
  instanceId?: number | null;
  SOPInstanceUID?: string | null;
  SOPClassUID?: string | null;
  /** The file's transfer syntax as the library recorded it. */
  TransferSyntaxUID?: string | null;
}

/** The destination of a job. */
export interface SendDestination {
  nodeId: number | null;
  aeTitle: string;
  host: string;
  port: number;
  maxAssociations: number;
  /** DICOM over TLS (the node is marked TLS, or --tls). */
  tls?: boolean;
}

/** A result to record. */
export interface InstanceUpdate {
  id: number;
  state: SendInstanceState;
  status: number | null;
  message: string;
  SOPInstanceUID?: string;
  SOPClassUID?: string;
  transferSyntax?: string;
  transcodedFrom?: string;
  /** What identified the bytes sent (electron/fileStamp.ts); absent when nothing was read. */
  stamp?: string;
}

/** Storage commitment asked for with a job, with the node's timing. */
export interface JobCommitment extends SendCommitOptions {
  /** How long to wait for a report to each request. */
  timeoutMs: number;
  /** Requests in all, the first included. */
  attempts: number;
}

/** One file of an instance in a selection (`SendStore.selectionFiles`). */
export interface SelectionFile {
  fileId: number;
  instanceId: number;
  path: string;
  size: number;
  TransferSyntaxUID: string;
  SOPInstanceUID: string;
  SOPClassUID: string;
  seriesId: number;
  studyId: number;
  patientId: number;
}

interface JobDbRow {
  id: number;
  node_id: number | null;
  ae_title: string;
  host: string;
  port: number;
  max_associations: number;
  tls: number;
  calling_ae: string;
  description: string;
  state: SendJobState;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  commit_request: number;
  delete_after_commit: number;
  commit_timeout_ms: number | null;
  commit_attempts: number | null;
  commit_state: SendCommitState | null;
  commit_message: string | null;
}

/** The latest commitment row of a send instance `si` (a re-request supersedes the earlier ones). */
const LATEST_COMMIT = `LEFT JOIN commit_instances c ON c.id = (SELECT max(c2.id) FROM commit_instances c2 WHERE c2.send_instance_id = si.id)`;

/** The study of a library instance `i` as queued: joined from instance to patient. */
const STUDY_OF = `LEFT JOIN series se ON se.id = i.series_id LEFT JOIN studies st ON st.id = se.study_id LEFT JOIN patients p ON p.id = st.patient_id`;

const now = () => new Date().toISOString();

/** Send job reads and writes. */
export class SendStore {
  private readonly db: Db;
  private recordStmt?: StatementSync;
  private queuedStmt?: StatementSync;
  constructor(db: Db) {
    this.db = db;
  }

  /** Creates a job with its instances, all queued (and its commitment, if asked for); returns its id. */
  create(dest: SendDestination, callingAe: string, description: string, instances: NewSendInstance[], commitment?: JobCommitment | null): number {
    return transaction(this.db, () => {
      const id = this.insertJob(dest, callingAe, description, commitment);
      // The study as the library knows it now: the view per study outlives the library rows (deleted files).
      const ins = this.db.prepare(
        `INSERT INTO send_instances (job_id, instance_id, path, size, SOPInstanceUID, SOPClassUID, file_transfer_syntax, state, StudyInstanceUID, StudyDescription, PatientName)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', st.StudyInstanceUID, st.StudyDescription, p.PatientName
         FROM (SELECT 1) LEFT JOIN instances i ON i.id = ?2 OR (?2 IS NULL AND i.SOPInstanceUID = ?5) ${STUDY_OF}`,
      );
      for (const i of instances) ins.run(id, i.instanceId ?? null, i.path, i.size, i.SOPInstanceUID ?? null, i.SOPClassUID ?? null, i.TransferSyntaxUID ?? null);
      return id;
    });
  }

  /**
   * Creates a job, all queued, from paths the library has indexed, in their order: each file that
   * holds an instance, and each file the index could not read (its send then fails with the reason).
   * Files that are not DICOM, and paths the library does not know, are left out unless listed in
   * `always` (files a user named: their send says why they cannot go). One INSERT … SELECT: the
   * paths go in as JSON, so a folder of thousands of files costs no row objects in JavaScript.
   * Returns the job id and how many instances it holds.
   */
  createFromIndex(
    dest: SendDestination,
    callingAe: string,
    description: string,
    paths: string[],
    always: string[] = [],
    commitment?: JobCommitment | null,
  ): { id: number; total: number } {
    return transaction(this.db, () => {
      const id = this.insertJob(dest, callingAe, description, commitment);
      const { changes } = this.db
        .prepare(
          `INSERT INTO send_instances (job_id, instance_id, path, size, SOPInstanceUID, SOPClassUID, file_transfer_syntax, state, StudyInstanceUID, StudyDescription, PatientName)
           SELECT ?, f.instance_id, j.value, coalesce(f.size, e.size, s.size, 0), i.SOPInstanceUID, i.SOPClassUID, f.TransferSyntaxUID, 'queued',
                  st.StudyInstanceUID, st.StudyDescription, p.PatientName
             FROM json_each(?) j
             LEFT JOIN files f ON f.path = j.value LEFT JOIN instances i ON i.id = f.instance_id ${STUDY_OF}
             LEFT JOIN index_errors e ON e.path = j.value LEFT JOIN skipped_files s ON s.path = j.value
            WHERE f.path IS NOT NULL OR e.path IS NOT NULL OR j.value IN (SELECT value FROM json_each(?))
            ORDER BY j.key`,
        )
        .run(id, JSON.stringify(paths), JSON.stringify(always));
      return { id, total: Number(changes) };
    });
  }

  private insertJob(dest: SendDestination, callingAe: string, description: string, c?: JobCommitment | null): number {
    const ask = Boolean(c?.request);
    const { id } = this.db
      .prepare(
        `INSERT INTO send_jobs (node_id, ae_title, host, port, max_associations, tls, calling_ae, description, state, created_at,
           commit_request, delete_after_commit, commit_timeout_ms, commit_attempts, commit_state)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?) RETURNING id`,
      )
      .get(
        dest.nodeId, dest.aeTitle, dest.host, dest.port, dest.maxAssociations, dest.tls ? 1 : 0, callingAe, description, now(),
        ask ? 1 : 0, ask && c?.deleteAfterCommit ? 1 : 0, ask ? c!.timeoutMs : null, ask ? c!.attempts : null, ask ? 'waiting' : null,
      ) as { id: number };
    return id;
  }

  /** The commitment a job was created with (null: none asked for). */
  commitment(jobId: number): JobCommitment | null {
    const r = this.db.prepare('SELECT commit_request, delete_after_commit, commit_timeout_ms, commit_attempts FROM send_jobs WHERE id = ?').get(jobId) as
      | { commit_request: number; delete_after_commit: number; commit_timeout_ms: number | null; commit_attempts: number | null }
      | undefined;
    if (!r || r.commit_request !== 1) return null;
    return { request: true, deleteAfterCommit: r.delete_after_commit === 1, timeoutMs: r.commit_timeout_ms ?? 60_000, attempts: r.commit_attempts ?? 1 };
  }

  /** Records where a job's commitment stands (durable before the next step acts on it). */
  setCommitState(jobId: number, state: SendCommitState, message: string | null = null): void {
    this.db.prepare('UPDATE send_jobs SET commit_state = ?, commit_message = ? WHERE id = ?').run(state, message, jobId);
  }

  /** Asks for commitment on a job created without (`commit.requestForSendJob`): from now on it is the job's. */
  setCommitment(jobId: number, c: JobCommitment): void {
    this.db
      .prepare(`UPDATE send_jobs SET commit_request = 1, delete_after_commit = ?, commit_timeout_ms = ?, commit_attempts = ?, commit_state = 'waiting', commit_message = NULL WHERE id = ?`)
      .run(c.deleteAfterCommit ? 1 : 0, c.timeoutMs, c.attempts, jobId);
  }

  /** Jobs whose stores ended and whose commitment is still to be requested (or was being requested when the app stopped). */
  commitDue(): number[] {
    return (
      this.db
        .prepare(
          `SELECT id FROM send_jobs WHERE commit_request = 1 AND commit_state IN ('waiting', 'requesting') AND state IN ('done', 'failed', 'cancelled') AND removed_at IS NULL ORDER BY id`,
        )
        .all() as { id: number }[]
    ).map((r) => r.id);
  }

  /** Jobs with a commitment transaction still waiting for its report (or its N-ACTION). */
  jobsWithOpenTransactions(): number[] {
    return (
      this.db
        .prepare(`SELECT DISTINCT CAST(send_job_id AS INTEGER) AS id FROM commit_transactions WHERE send_job_id IS NOT NULL AND state IN ('created', 'requested') ORDER BY 1`)
        .all() as { id: number }[]
    ).map((r) => r.id);
  }

  /**
   * The stored instances of a job (success or warning), with what identified the bytes sent, for a
   * commitment request. `notRequested`: only those no commitment transaction names yet (what a
   * retry stored since, or all of them before the first request).
   */
  stored(jobId: number, opts: { notRequested?: boolean } = {}): { id: number; path: string; size: number; SOPInstanceUID: string; SOPClassUID: string; stamp: string | null }[] {
    return this.db
      .prepare(
        `SELECT id, path, size, SOPInstanceUID, SOPClassUID, sent_stamp AS stamp FROM send_instances si
         WHERE job_id = ? AND state IN ('success', 'warning') AND SOPInstanceUID IS NOT NULL AND SOPClassUID IS NOT NULL
           AND (? = 0 OR NOT EXISTS (SELECT 1 FROM commit_instances c WHERE c.send_instance_id = si.id)) ORDER BY id`,
      )
      .all(jobId, opts.notRequested ? 1 : 0) as unknown as { id: number; path: string; size: number; SOPInstanceUID: string; SOPClassUID: string; stamp: string | null }[];
  }

  /**
   * Every file of every instance under the selection (an instance in several files has a row for
   * each), in library order: what `send.plan` chooses from.
   */
  selectionFiles(scope: SendSelection): SelectionFile[] {
    const selected = selectionWhere(scope);
    if (!selected) return [];
    return this.db
      .prepare(
        `SELECT f.id AS fileId, i.id AS instanceId, f.path, f.size, f.TransferSyntaxUID, i.SOPInstanceUID, i.SOPClassUID,
                i.series_id AS seriesId, se.study_id AS studyId, st.patient_id AS patientId
         FROM files f JOIN instances i ON i.id = f.instance_id JOIN series se ON se.id = i.series_id JOIN studies st ON st.id = se.study_id
         WHERE ${selected.where}
         ORDER BY st.id, se.SeriesNumber, se.id, i.InstanceNumber, i.id, f.id`,
      )
      .all(...selected.args) as unknown as SelectionFile[];
  }

  /** One job with its counts, or null. */
  job(id: number): SendJobRow | null {
    const r = this.db.prepare('SELECT * FROM send_jobs WHERE id = ?').get(id) as unknown as JobDbRow | undefined;
    return r ? this.withCounts(r) : null;
  }

  /** The most recent jobs first (not those removed from the list). */
  jobs(limit = 100): SendJobRow[] {
    return (this.db.prepare('SELECT * FROM send_jobs WHERE removed_at IS NULL ORDER BY id DESC LIMIT ?').all(limit) as unknown as JobDbRow[]).map((r) => this.withCounts(r));
  }

  private withCounts(r: JobDbRow): SendJobRow {
    const counts = { queued: 0, success: 0, warning: 0, failed: 0 };
    let totalBytes = 0;
    let doneBytes = 0;
    for (const c of this.db.prepare('SELECT state, count(*) AS n, sum(size) AS bytes FROM send_instances WHERE job_id = ? GROUP BY state').all(r.id) as {
      state: SendInstanceState;
      n: number;
      bytes: number | null;
    }[]) {
      if (c.state in counts) counts[c.state as keyof typeof counts] = c.n;
      totalBytes += c.bytes ?? 0;
      if (c.state === 'success' || c.state === 'warning') doneBytes += c.bytes ?? 0;
    }
    return {
      id: r.id,
      nodeId: r.node_id,
      destination: `${r.ae_title}@${r.host}:${r.port}`,
      aeTitle: r.ae_title,
      host: r.host,
      port: r.port,
      maxAssociations: r.max_associations,
      tls: r.tls === 1,
      callingAe: r.calling_ae,
      description: r.description,
      state: r.state,
      error: r.error,
      createdAt: r.created_at,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      total: counts.queued + counts.success + counts.warning + counts.failed,
      ...counts,
      totalBytes,
      doneBytes,
      commit: r.commit_request === 1 ? this.jobCommit(r) : null,
    };
  }

  private jobCommit(r: JobDbRow): SendJobCommit {
    const counts = emptyCounts();
    const rows = this.db
      .prepare(`SELECT c.state, c.delete_state FROM send_instances si JOIN commit_instances c ON c.id = (SELECT max(c2.id) FROM commit_instances c2 WHERE c2.send_instance_id = si.id) WHERE si.job_id = ?`)
      .all(r.id) as { state: CommitInstanceState; delete_state: string | null }[];
    for (const c of rows) countInto(counts, c.state, c.delete_state);
    return {
      request: true,
      deleteAfterCommit: r.delete_after_commit === 1,
      state: r.commit_state ?? 'waiting',
      message: r.commit_message,
      transactionIds: this.transactionIds(r.id),
      counts,
    };
  }

  /** The commitment transactions of a job, oldest first (re-requests included). */
  transactionIds(jobId: number): number[] {
    return (this.db.prepare('SELECT id FROM commit_transactions WHERE send_job_id = ? ORDER BY id').all(String(jobId)) as { id: number }[]).map((t) => t.id);
  }

  /**
   * The instances of a job, in order, optionally only those in one state, each with the latest word
   * of its storage commitment. `problemsFirst`: failed stores and commitment failures, then kept
   * files, timed-out and pending ones, then the rest.
   */
  instances(jobId: number, opts: { state?: SendInstanceState; exceptState?: SendInstanceState; problemsFirst?: boolean; offset?: number; limit?: number } = {}): SendInstanceRow[] {
    const order = opts.problemsFirst
      ? `CASE WHEN si.state = 'failed' OR c.state = 'failed' THEN 0 WHEN c.delete_state = 'kept' THEN 1 WHEN c.state = 'timed-out' THEN 2
              WHEN c.state = 'pending' THEN 3 ELSE 4 END, si.id`
      : 'si.id';
    const rows = this.db
      .prepare(
        `SELECT si.id, si.instance_id, si.path, si.size, si.SOPInstanceUID, si.SOPClassUID, si.state, si.status, si.message, si.transfer_syntax,
           si.transcoded_from, si.attempts, si.updated_at, si.StudyInstanceUID,
           c.transaction_id, t.transaction_uid, c.state AS commit_state, c.failure_reason, c.delete_state, c.delete_problem
         FROM send_instances si ${LATEST_COMMIT} LEFT JOIN commit_transactions t ON t.id = c.transaction_id
         WHERE si.job_id = ? AND (? IS NULL OR si.state = ?) AND (? IS NULL OR si.state != ?) ORDER BY ${order} LIMIT ? OFFSET ?`,
      )
      .all(jobId, opts.state ?? null, opts.state ?? null, opts.exceptState ?? null, opts.exceptState ?? null, opts.limit ?? 1_000_000, opts.offset ?? 0);
    return rows.map((r) => ({
      id: r.id as number,
      instanceId: (r.instance_id as number | null) ?? null,
      path: r.path as string,
      size: r.size as number,
      SOPInstanceUID: (r.SOPInstanceUID as string | null) ?? null,
      SOPClassUID: (r.SOPClassUID as string | null) ?? null,
      state: r.state as SendInstanceState,
      status: (r.status as number | null) ?? null,
      message: (r.message as string | null) ?? null,
      transferSyntax: (r.transfer_syntax as string | null) ?? null,
      transcodedFrom: (r.transcoded_from as string | null) ?? null,
      attempts: r.attempts as number,
      updatedAt: (r.updated_at as string | null) ?? null,
      StudyInstanceUID: (r.StudyInstanceUID as string | null) ?? null,
      commit: r.transaction_id === null ? null : instanceCommit(r),
    }));
  }

  /** A job per study: counts of its instances' stores and, when asked for, their commitment. */
  studies(jobId: number): SendJobStudy[] {
    const asked = this.commitment(jobId) !== null || this.transactionIds(jobId).length > 0;
    const rows = this.db
      .prepare(
        `SELECT si.state, si.StudyInstanceUID, si.StudyDescription, si.PatientName, c.state AS commit_state, c.delete_state
         FROM send_instances si ${LATEST_COMMIT} WHERE si.job_id = ? ORDER BY si.id`,
      )
      .all(jobId);
    return groupByStudy<SendJobStudy>(
      rows,
      (study) => ({ ...study, total: 0, queued: 0, stored: 0, failed: 0, commit: asked ? emptyCounts() : null }),
      (g, r) => {
        g.total++;
        if (r.state === 'queued') g.queued++;
        else if (r.state === 'failed') g.failed++;
        else g.stored++;
        if (g.commit && r.commit_state) countInto(g.commit, r.commit_state as CommitInstanceState, (r.delete_state as string | null) ?? null);
      },
    );
  }

  /**
   * Queued instances of a job, as a run takes them, with what the library found when it last
   * indexed each file, if that index checked the file as sendable (files.send_checked, no
   * send_problem). `known: false`: every one whose SOP class or transfer syntax is not known (a
   * run checks those first, to plan its contexts); `known: true`: a page of the others, in queue
   * order, after the instance `afterId`.
   */
  queuedForRun(jobId: number, page: QueuePage): QueuedInstance[] {
    // Rows as arrays, made into objects here: node:sqlite builds an object per row several times
    // slower (5,000 rows: ~10 ms instead of ~30–60 ms before the first store).
    const statement = (this.queuedStmt ??= this.db.prepare(
      `SELECT si.id, si.path, si.SOPClassUID, si.file_transfer_syntax,
         f.size, f.mtime_ms, f.dataset_offset, f.TransferSyntaxUID, i.SOPClassUID, i.SOPInstanceUID
       FROM send_instances si
       LEFT JOIN files f ON f.path = si.path AND f.send_checked = 1 AND f.send_problem IS NULL
       LEFT JOIN instances i ON i.id = f.instance_id
       WHERE si.job_id = ? AND si.state = 'queued' AND (si.SOPClassUID IS NOT NULL AND si.file_transfer_syntax IS NOT NULL) = ?
         AND si.id > ? ORDER BY si.id LIMIT ?`,
    ));
    statement.setReturnArrays(true);
    const rows = page.known ? statement.all(jobId, 1, page.afterId, page.limit) : statement.all(jobId, 0, 0, -1);
    return (rows as unknown as unknown[][]).map((r) => ({
      id: r[0] as number,
      path: r[1] as string,
      SOPClassUID: r[2] as string | null,
      fileTransferSyntax: r[3] as string | null,
      // The join found the file checked and sound, and the instance it holds.
      indexed:
        r[4] !== null && r[9]
          ? {
              size: r[4] as number,
              mtimeMs: r[5] as number,
              datasetOffset: r[6] as number,
              transferSyntaxUid: r[7] as string,
              sopClassUid: r[8] as string,
              sopInstanceUid: r[9] as string,
            }
          : null,
    }));
  }

  /** Each SOP class and file transfer syntax among a job's queued instances, and how many have it (for planning contexts). */
  queuedKinds(jobId: number): { SOPClassUID: string; fileTransferSyntax: string; count: number }[] {
    return this.db
      .prepare(
        `SELECT SOPClassUID, file_transfer_syntax AS fileTransferSyntax, count(*) AS count FROM send_instances
         WHERE job_id = ? AND state = 'queued' AND SOPClassUID IS NOT NULL AND file_transfer_syntax IS NOT NULL
         GROUP BY SOPClassUID, file_transfer_syntax`,
      )
      .all(jobId) as unknown as { SOPClassUID: string; fileTransferSyntax: string; count: number }[];
  }

  /** Sets a job's state (and its start/finish time); `error` is the job-level reason, in words. */
  setState(id: number, state: SendJobState, error: string | null = null): void {
    const t = now();
    this.db
      .prepare(
        `UPDATE send_jobs SET state = ?, error = ?,
           started_at = CASE WHEN ? = 'running' THEN coalesce(started_at, ?) ELSE started_at END,
           finished_at = CASE WHEN ? IN ('done', 'failed', 'cancelled') THEN ? ELSE NULL END
         WHERE id = ?`,
      )
      .run(state, error, state, t, state, t, id);
  }

  /**
   * Records results, all in one transaction. `durable: false` skips the fsync (synchronous=NORMAL
   * for this commit only): used for the batches written while a job runs, where an fsync behind a
   * receiver writing thousands of files can stall sending for 100 ms; such a batch survives a crash of
   * the app, and after a power loss its instances are merely sent again. The last batch of a run is
   * durable (its fsync covers the earlier ones) before anything acts on the results.
   */
  record(updates: InstanceUpdate[], opts: { durable?: boolean } = {}): void {
    if (!updates.length) return;
    if (opts.durable === false) {
      this.db.exec('PRAGMA synchronous = NORMAL');
      try {
        this.recordNow(updates);
      } finally {
        this.db.exec('PRAGMA synchronous = FULL');
      }
      return;
    }
    this.recordNow(updates);
  }

  private recordNow(updates: InstanceUpdate[]): void {
    const t = now();
    // Prepared once: a send writes its results in a batch every 200 ms (SendService).
    const stmt = (this.recordStmt ??= this.db.prepare(
      `UPDATE send_instances SET state = ?, status = ?, message = ?, SOPInstanceUID = coalesce(?, SOPInstanceUID), SOPClassUID = coalesce(?, SOPClassUID),
         transfer_syntax = ?, transcoded_from = ?, sent_stamp = ?, attempts = attempts + 1, updated_at = ? WHERE id = ?`,
    ));
    transaction(this.db, () => {
      for (const u of updates)
        stmt.run(u.state, u.status, u.message, u.SOPInstanceUID ?? null, u.SOPClassUID ?? null, u.transferSyntax ?? null, u.transcodedFrom ?? null, u.stamp ?? null, t, u.id);
    });
  }

  /** Puts a job's failed instances back in the queue; returns how many. */
  requeueFailed(jobId: number): number {
    return transaction(this.db, () => {
      const n = Number(
        this.db.prepare(`UPDATE send_instances SET state = 'queued', status = NULL, message = NULL, updated_at = ? WHERE job_id = ? AND state = 'failed'`).run(now(), jobId).changes,
      );
      // A job that asks for commitment asks again for what the retry stores, once its stores end (workflow/sendCommit.ts).
      if (n) this.db.prepare(`UPDATE send_jobs SET commit_state = 'waiting', commit_message = NULL WHERE id = ? AND commit_request = 1`).run(jobId);
      return n;
    });
  }

  /** Jobs that were running or waiting when the app last stopped (to resume). */
  unfinished(): number[] {
    // A job removed from the list (queued, never started) is never started behind the user's back.
    return (this.db.prepare(`SELECT id FROM send_jobs WHERE state IN ('queued', 'running') AND removed_at IS NULL ORDER BY id`).all() as { id: number }[]).map((r) => r.id);
  }

  /**
   * Takes a job off the list: one that is not running and whose commitment is not being asked for.
   * Its rows stay (hidden): what it stored where still counts when a file of the same SOP Instance UID
   * is to be deleted (commit/sameUid.ts), its transactions keep pointing at it, and its id is never
   * given to a new job (a reused id showed the old job's commitment under the new one).
   */
  remove(jobId: number): boolean {
    return (
      Number(
        this.db
          .prepare(
            `UPDATE send_jobs SET removed_at = ? WHERE id = ? AND removed_at IS NULL AND state <> 'running'
               AND NOT (commit_request = 1 AND commit_state IN ('requesting', 'pending'))`,
          )
          .run(now(), jobId).changes,
      ) > 0
    );
  }
}

/** An instance's latest commitment row as the contract shows it. */
function instanceCommit(r: Record<string, unknown>): SendInstanceCommit {
  const reason = (r.failure_reason as number | null) ?? null;
  return {
    transactionId: r.transaction_id as number,
    transactionUid: r.transaction_uid as string,
    state: r.commit_state as CommitInstanceState,
    failureReason: reason === null ? null : formatFailureReason(reason),
    failureMeaning: reason === null ? null : failureMeaning(reason),
    deleted: r.delete_state === 'deleted',
    keptReason: r.delete_state === 'kept' ? ((r.delete_problem as string | null) ?? null) : null,
  };
}

/** Which queued instances `SendStore.queuedForRun` reads. */
export type QueuePage = { known: false } | { known: true; afterId: number; limit: number };

/** A queued instance as a run reads it. */
export interface QueuedInstance {
  id: number;
  path: string;
  SOPClassUID: string | null;
  fileTransferSyntax: string | null;
  /** What the library found when it indexed the file, if it checked the file as sendable; else null. */
  indexed: IndexedFile | null;
}

/** A file as the library indexed it, having passed the checks `preflight` makes (dicom/soundness.ts). */
export interface IndexedFile {
  size: number;
  /** Whole milliseconds, as the library stores them. */
  mtimeMs: number;
  datasetOffset: number;
  transferSyntaxUid: string;
  sopClassUid: string;
  sopInstanceUid: string;
}
