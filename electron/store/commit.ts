/**
 * Storage commitment queries: transactions, their instances, report application, timeouts and
 * the deletion audit log. Every state change is its own committed SQLite transaction
 * (synchronous=FULL) before the caller acts on it (docs/data-safety.md, invariant 2).
 */
import type {
  CommitCounts,
  CommitDeletionRow,
  CommitInstanceRow,
  CommitInstanceState,
  CommitStudySummary,
  CommitTransactionRow,
  CommitTransactionState,
} from '../../shared/contract/index.ts';
import { failureMeaning, formatFailureReason } from '../../shared/contract/commit.ts';
import { transaction, type Db } from './db.ts';
import { groupByStudy } from './studyGroups.ts';

/** The node a transaction was sent to. */
export interface CommitNode {
  aeTitle: string;
  host: string;
  port: number;
  /** Addresses `host` resolved to; a report counts only from one of these. */
  addresses: string[];
}

/** An instance as recorded when the transaction is created (after it was stored). */
export interface NewCommitInstance {
  SOPClassUID: string;
  SOPInstanceUID: string;
  path: string;
  size: number;
  /** SHA-256 of the file, for transactions recorded before stamps ('' when the stamp identifies the bytes). */
  sha256: string;
  /** What identified the bytes sent (electron/fileStamp.ts); null for older rows. */
  stamp?: string | null;
  /** The send job instance it was stored as. */
  sendInstanceId?: number | null;
  /** Why its file must never be deleted, whatever the report says (commit/sameUid.ts); null: no such reason. */
  keepReason?: string | null;
}

/** What creating a transaction needs. */
export interface NewCommitTransaction {
  transactionUid: string;
  node: CommitNode;
  callingAe: string;
  timeoutMs: number;
  maxAttempts: number;
  deleteAfterCommit: boolean;
  roots: string[];
  sendJobId?: number | null;
  retryOf?: number | null;
  instances: NewCommitInstance[];
}

/** A transaction as the report processor and the scheduler see it. */
export interface CommitTransaction {
  id: number;
  transactionUid: string;
  node: CommitNode;
  callingAe: string;
  state: CommitTransactionState;
  deadlineMs: number;
  attempts: number;
  maxAttempts: number;
  timeoutMs: number;
  deleteAfterCommit: boolean;
  roots: string[];
  retryOf: number | null;
  sendJobId: number | null;
  /** The last N-ACTION could not reach the node: it never saw this transaction. */
  undelivered: boolean;
}

/** An instance of a transaction, as the report processor needs it. */
export interface CommitInstance {
  id: number;
  SOPClassUID: string;
  SOPInstanceUID: string;
  state: CommitInstanceState;
}

/** An instance the deleter may consider. */
export interface DeletionCandidate {
  id: number;
  SOPInstanceUID: string;
  path: string;
  size: number;
  sha256: string;
  stamp: string | null;
  deleteState: 'deleting' | 'deleted' | 'kept' | null;
  /** Where the file was being moved for its unlink (set with the 'deleting' intent). */
  quarantine: string | null;
  /** Why it is never deleted, known when the transaction was created (commit/sameUid.ts). */
  keepReason: string | null;
  /** The send job instance it was stored as (null for transactions made without a send job). */
  sendInstanceId: number | null;
}

/** A file stored under a SOP Instance UID, as the send history knows it (commit/sameUid.ts). */
export interface SentFile {
  path: string;
  /** What identified its bytes as they were read for sending (null for older rows). */
  stamp: string | null;
  /** SHA-256 of the bytes sent, when a commitment request or a deletion proved it; else null. */
  sha256: string | null;
}

/** One change a report makes to one instance. */
export interface InstanceChange {
  id: number;
  state: 'committed' | 'failed';
  failureReason: number | null;
}

/** One line of the report log (every report received, accepted or not). */
export interface ReportLogEntry {
  transactionUid: string | null;
  callingAe: string;
  peerAddress: string;
  delivery: string;
  status: number;
  outcome: string;
}

const now = () => new Date().toISOString();
/** An instance's fields as a re-request carries them on (NewCommitInstance). */
const RETRY_FIELDS = 'SOPClassUID, SOPInstanceUID, path, size, sha256, sent_stamp AS stamp, send_instance_id AS sendInstanceId, keep_reason AS keepReason';

/**
 * Rejected reports change nothing, so their log lines need not be durable one by one: they are
 * written together at most once every REJECTED_LOG_MS, REJECTED_LOG_ROWS of them at most (the rest
 * of a flood becomes one line that counts them). A flood of forged reports costs one synced
 * commit a second instead of one per report.
 */
const REJECTED_LOG_MS = 1000;
const REJECTED_LOG_ROWS = 200;

/** Counts with nothing in them. */
/** The names one host goes by as typed in a node: the loopback's three, else the name as it is (no DNS lookup). */
const LOOPBACK = ['localhost', '127.0.0.1', '::1', '[::1]'];
function hostNames(host: string): string[] {
  const h = host.trim().toLowerCase();
  return LOOPBACK.includes(h) ? LOOPBACK : [host, h];
}

export const emptyCounts = (): CommitCounts => ({ total: 0, pending: 0, committed: 0, failed: 0, timedOut: 0, deleted: 0, kept: 0 });

/** Adds one instance's commitment state (and what happened to its file) to `c`. */
export function countInto(c: CommitCounts, state: CommitInstanceState, deleteState: string | null): void {
  c.total++;
  if (state === 'pending') c.pending++;
  else if (state === 'committed') c.committed++;
  else if (state === 'failed') c.failed++;
  else if (state === 'timed-out') c.timedOut++;
  if (deleteState === 'deleted') c.deleted++;
  else if (deleteState === 'kept') c.kept++;
}

/** Commitment reads and writes over one database. */
export class CommitStore {
  private readonly db: Db;
  private readonly stmt;
  /** Log lines of rejected reports not written yet, and how many more were left out. */
  private rejectedLog: { rows: [string, ReportLogEntry][]; more: number; timer: NodeJS.Timeout | null } = { rows: [], more: 0, timer: null };

  constructor(db: Db) {
    this.db = db;
    this.stmt = {
      insertTxn: db.prepare(
        `INSERT INTO commit_transactions (transaction_uid, node_ae, node_host, node_port, node_addresses, calling_ae, state, created_at,
           deadline_ms, attempts, max_attempts, timeout_ms, delete_after_commit, roots, send_job_id, retry_of)
         VALUES (?, ?, ?, ?, ?, ?, 'created', ?, ?, 0, ?, ?, ?, ?, ?, ?) RETURNING id`,
      ),
      insertInstance: db.prepare(
        `INSERT INTO commit_instances (transaction_id, SOPClassUID, SOPInstanceUID, path, size, sha256, state, updated_at,
           StudyInstanceUID, StudyDescription, PatientName, send_instance_id, sent_stamp, keep_reason)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, coalesce(si.StudyInstanceUID, st.StudyInstanceUID), coalesce(si.StudyDescription, st.StudyDescription),
           coalesce(si.PatientName, p.PatientName), ?8, ?9, ?10
         FROM (SELECT 1) LEFT JOIN send_instances si ON si.id = ?8 LEFT JOIN instances i ON i.SOPInstanceUID = ?3 LEFT JOIN series se ON se.id = i.series_id
         LEFT JOIN studies st ON st.id = se.study_id LEFT JOIN patients p ON p.id = st.patient_id`,
      ),
      txnByUid: db.prepare('SELECT * FROM commit_transactions WHERE transaction_uid = ?'),
      txnById: db.prepare('SELECT * FROM commit_transactions WHERE id = ?'),
      instancesOf: db.prepare('SELECT id, SOPClassUID, SOPInstanceUID, state FROM commit_instances WHERE transaction_id = ?'),
      updateInstance: db.prepare(
        `UPDATE commit_instances SET state = ?, failure_reason = ?, updated_at = ? WHERE id = ? AND transaction_id = ? AND state <> 'committed'`,
      ),
      counts: db.prepare(
        `SELECT count(*) AS total,
           coalesce(sum(state = 'pending'), 0) AS pending, coalesce(sum(state = 'committed'), 0) AS committed,
           coalesce(sum(state = 'failed'), 0) AS failed, coalesce(sum(state = 'timed-out'), 0) AS timedOut,
           coalesce(sum(delete_state = 'deleted'), 0) AS deleted, coalesce(sum(delete_state = 'kept'), 0) AS kept
         FROM commit_instances WHERE transaction_id = ?`,
      ),
      log: db.prepare(
        `INSERT INTO commit_report_log (received_at, transaction_uid, calling_ae, peer_address, delivery, status, outcome) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      candidates: db.prepare(
        `SELECT id, SOPInstanceUID, path, size, sha256, sent_stamp AS stamp, delete_state AS deleteState, delete_quarantine AS quarantine,
           keep_reason AS keepReason, send_instance_id AS sendInstanceId FROM commit_instances
         WHERE transaction_id = ? AND state = 'committed' AND (delete_state IS NULL OR delete_state = 'deleting') ORDER BY id`,
      ),
      setDeleteState: db.prepare('UPDATE commit_instances SET delete_state = ?, delete_problem = ?, updated_at = ? WHERE id = ?'),
      sentUnderUid: db.prepare(
        `SELECT si.path, si.sent_stamp AS stamp,
           coalesce((SELECT d.sha256 FROM commit_instances c JOIN commit_deletions d ON d.commit_instance_id = c.id WHERE c.send_instance_id = si.id LIMIT 1),
                    (SELECT c.sha256 FROM commit_instances c WHERE c.send_instance_id = si.id AND c.sha256 NOT IN ('', 'unreadable') LIMIT 1)) AS sha256
         FROM send_instances si JOIN send_jobs j ON j.id = si.job_id
         WHERE si.SOPInstanceUID = ? AND si.state IN ('success', 'warning') AND si.id IS NOT ?
           AND (j.ae_title = ? OR (j.port = ? AND j.host IN (SELECT value FROM json_each(?)))) LIMIT 100`,
      ),
      libraryCopies: db.prepare(
        `SELECT f.path, f.content_key AS contentKey FROM instances i JOIN files f ON f.instance_id = i.id
         WHERE i.SOPInstanceUID = ? AND f.path <> ? AND f.content_key IS NOT NULL ORDER BY f.id LIMIT 100`,
      ),
      audit: db.prepare(
        `INSERT INTO commit_deletions (commit_instance_id, path, SOPInstanceUID, transaction_uid, node, sha256, size, deleted_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
    };
  }

  /** Records a transaction and its instances, before the N-ACTION goes out; returns its id. */
  createTransaction(t: NewCommitTransaction): number {
    const created = now();
    return transaction(this.db, () => {
      const { id } = this.stmt.insertTxn.get(
        t.transactionUid, t.node.aeTitle, t.node.host, t.node.port, JSON.stringify(t.node.addresses), t.callingAe, created,
        Date.now() + t.timeoutMs, t.maxAttempts, t.timeoutMs, t.deleteAfterCommit ? 1 : 0, JSON.stringify(t.roots), t.sendJobId === null || t.sendJobId === undefined ? null : String(t.sendJobId),
        t.retryOf ?? null,
      ) as { id: number };
      for (const i of t.instances) {
        this.stmt.insertInstance.run(id, i.SOPClassUID, i.SOPInstanceUID, i.path, i.size, i.sha256, created, i.sendInstanceId ?? null, i.stamp ?? null, i.keepReason ?? null);
      }
      return id;
    });
  }

  /** Counts an attempt (written before each N-ACTION is sent, so a crash mid-request still counts). */
  noteAttempt(id: number): void {
    this.db.prepare('UPDATE commit_transactions SET attempts = attempts + 1, undelivered = 0, deadline_ms = ? + timeout_ms WHERE id = ?').run(Date.now(), id);
  }

  /** The N-ACTION could not reach the node: it is sent again (same UID) at `retryAtMs`. */
  markUndelivered(id: number, message: string, retryAtMs: number): void {
    this.db.prepare(`UPDATE commit_transactions SET message = ?, undelivered = 1, deadline_ms = ? WHERE id = ? AND state = 'created'`).run(message, retryAtMs, id);
  }

  /** The N-ACTION was answered with success: the report is now awaited until the deadline. */
  markRequested(id: number): void {
    this.db
      .prepare(`UPDATE commit_transactions SET state = CASE WHEN state = 'created' THEN 'requested' ELSE state END, requested_at = ?,
                deadline_ms = ? + timeout_ms WHERE id = ?`)
      .run(now(), Date.now(), id);
  }

  /**
   * The N-ACTION could not be delivered or was refused; `final` when no retry will follow;
   * `retryable` when a later start should ask again (the node was unreachable).
   */
  markRequestFailed(id: number, message: string, final: boolean, opts: { retryable?: boolean } = {}): void {
    this.db
      .prepare(
        `UPDATE commit_transactions SET message = ?, state = CASE WHEN ? AND state IN ('created', 'requested') THEN 'failed' ELSE state END,
           retryable = CASE WHEN ? AND ? THEN 1 ELSE retryable END WHERE id = ?`,
      )
      .run(message, final ? 1 : 0, final ? 1 : 0, opts.retryable ? 1 : 0, id);
    if (final) {
      this.db
        .prepare(`UPDATE commit_instances SET state = 'timed-out', updated_at = ? WHERE transaction_id = ? AND state = 'pending'`)
        .run(now(), id);
    }
  }

  /** A transaction by its UID, or null. */
  byUid(transactionUid: string): CommitTransaction | null {
    const r = this.stmt.txnByUid.get(transactionUid);
    return r ? toTransaction(r) : null;
  }

  /** A transaction by id, or null. */
  byId(id: number): CommitTransaction | null {
    const r = this.stmt.txnById.get(id);
    return r ? toTransaction(r) : null;
  }

  /** The instances of a transaction, by SOP Instance UID. */
  instances(transactionId: number): Map<string, CommitInstance> {
    const map = new Map<string, CommitInstance>();
    for (const r of this.stmt.instancesOf.all(transactionId) as unknown as CommitInstance[]) map.set(r.SOPInstanceUID, r);
    return map;
  }

  /** Applies a report's changes and marks the transaction reported, in one durable transaction. */
  applyReport(transactionId: number, eventType: number, changes: readonly InstanceChange[]): void {
    const at = now();
    transaction(this.db, () => {
      for (const c of changes) this.stmt.updateInstance.run(c.state, c.failureReason, at, c.id, transactionId);
      this.db
        .prepare(`UPDATE commit_transactions SET state = 'reported', report_at = ?, event_type = ? WHERE id = ?`)
        .run(at, eventType, transactionId);
    });
  }

  /** Writes one line of the report log: at once for an applied report, with the next batch for a rejected one. */
  logReport(e: ReportLogEntry): void {
    if (e.status === 0) {
      this.stmt.log.run(now(), e.transactionUid, e.callingAe, e.peerAddress, e.delivery, e.status, e.outcome);
      return;
    }
    const pending = this.rejectedLog;
    if (pending.rows.length < REJECTED_LOG_ROWS) pending.rows.push([now(), e]);
    else pending.more++;
    pending.timer ??= setTimeout(() => {
      try {
        this.flushReportLog();
      } catch {
        // (the database was closed meanwhile: these lines are diagnostics, nothing depends on them)
      }
    }, REJECTED_LOG_MS).unref();
  }

  /** Writes the rejected reports' log lines still waiting for their batch. */
  flushReportLog(): void {
    const { rows, more, timer } = this.rejectedLog;
    if (timer) clearTimeout(timer);
    this.rejectedLog = { rows: [], more: 0, timer: null };
    if (!rows.length) return;
    transaction(this.db, () => {
      for (const [at, e] of rows) this.stmt.log.run(at, e.transactionUid, e.callingAe, e.peerAddress, e.delivery, e.status, e.outcome);
      if (more) this.stmt.log.run(now(), null, '', '', '', rows.at(-1)![1].status, `${more} more rejected reports in the same second, not logged one by one`);
    });
  }

  /** The report log, newest first (tests and diagnostics). */
  reportLog(limit = 100): (ReportLogEntry & { receivedAt: string })[] {
    this.flushReportLog();
    return this.db
      .prepare(
        `SELECT received_at AS receivedAt, transaction_uid AS transactionUid, calling_ae AS callingAe, peer_address AS peerAddress,
                delivery, status, outcome FROM commit_report_log ORDER BY received_at DESC, id DESC LIMIT ?`,
      )
      .all(limit) as unknown as (ReportLogEntry & { receivedAt: string })[];
  }

  /** Transactions still waiting for a report (created or requested). */
  open(): CommitTransaction[] {
    return (this.db.prepare(`SELECT * FROM commit_transactions WHERE state IN ('created', 'requested') ORDER BY id`).all()).map(toTransaction);
  }

  /** Brings every open transaction's deadline forward to at most `deadlineMs`. */
  capDeadlines(deadlineMs: number): void {
    this.db.prepare(`UPDATE commit_transactions SET deadline_ms = min(deadline_ms, ?) WHERE state IN ('created', 'requested')`).run(deadlineMs);
  }

  /** Times a transaction out: its pending instances become timed-out; `retryable`: a later start asks again. */
  timeOut(id: number, message: string, opts: { retryable?: boolean } = {}): void {
    const at = now();
    transaction(this.db, () => {
      this.db
        .prepare(`UPDATE commit_transactions SET state = 'timed-out', message = ?, retryable = ? WHERE id = ? AND state IN ('created', 'requested')`)
        .run(message, opts.retryable ? 1 : 0, id);
      this.db.prepare(`UPDATE commit_instances SET state = 'timed-out', updated_at = ? WHERE transaction_id = ? AND state = 'pending'`).run(at, id);
    });
  }

  /**
   * Transactions created since `sinceMs` that ended by a timeout or an unreachable node, were not
   * asked again since, and still have instances not committed: what a start re-requests.
   */
  recoverable(sinceMs: number): CommitTransaction[] {
    return this.db
      .prepare(
        `SELECT * FROM commit_transactions t WHERE t.retryable = 1 AND t.state IN ('timed-out', 'failed') AND t.created_at >= ?
           AND NOT EXISTS (SELECT 1 FROM commit_transactions r WHERE r.retry_of = t.id)
           AND EXISTS (SELECT 1 FROM commit_instances i WHERE i.transaction_id = t.id AND i.state <> 'committed')
         ORDER BY t.id`,
      )
      .all(new Date(sinceMs).toISOString())
      .map(toTransaction);
  }

  /** A transaction was asked again (or need not be): no later start re-requests it. */
  clearRetryable(id: number): void {
    this.db.prepare('UPDATE commit_transactions SET retryable = 0 WHERE id = ?').run(id);
  }

  /** Instances of a transaction that are not committed (for a re-request), with what they were sent as. */
  uncommitted(transactionId: number): NewCommitInstance[] {
    return this.db
      .prepare(
        `SELECT ${RETRY_FIELDS} FROM commit_instances
         WHERE transaction_id = ? AND state <> 'committed' ORDER BY id`,
      )
      .all(transactionId) as unknown as NewCommitInstance[];
  }

  /** The SOP references of a transaction, for its N-ACTION. */
  refs(transactionId: number): { SOPClassUID: string; SOPInstanceUID: string }[] {
    return this.db
      .prepare('SELECT SOPClassUID, SOPInstanceUID FROM commit_instances WHERE transaction_id = ? ORDER BY id')
      .all(transactionId) as unknown as { SOPClassUID: string; SOPInstanceUID: string }[];
  }

  /** Instances of a transaction still waiting for a report (for an automatic re-request). */
  pendingInstances(transactionId: number): NewCommitInstance[] {
    return this.db
      .prepare(
        `SELECT ${RETRY_FIELDS} FROM commit_instances
         WHERE transaction_id = ? AND state = 'pending' ORDER BY id`,
      )
      .all(transactionId) as unknown as NewCommitInstance[];
  }

  /** Nodes asked in the last 30 days (their late reports are still welcome at the accepter). */
  recentNodes(): { aeTitle: string; addresses: string[] }[] {
    const since = new Date(Date.now() - 30 * 86_400_000).toISOString();
    return (
      this.db
        .prepare('SELECT DISTINCT node_ae, node_addresses FROM commit_transactions WHERE created_at >= ?')
        .all(since) as { node_ae: string; node_addresses: string }[]
    ).map((r) => ({ aeTitle: r.node_ae, addresses: JSON.parse(r.node_addresses) as string[] }));
  }

  /** Instance counts of a transaction. */
  counts(transactionId: number): CommitCounts {
    return { ...(this.stmt.counts.get(transactionId) as unknown as CommitCounts) };
  }

  /** Committed instances whose files have not been dealt with yet (or whose deletion was interrupted). */
  deletionCandidates(transactionId: number): DeletionCandidate[] {
    return this.stmt.candidates.all(transactionId) as unknown as DeletionCandidate[];
  }

  /** Transactions that have committed instances with deletion still to do (for resume). */
  transactionsWithDeletionsDue(): number[] {
    return (
      this.db
        .prepare(
          `SELECT DISTINCT t.id FROM commit_transactions t JOIN commit_instances i ON i.transaction_id = t.id
           WHERE t.delete_after_commit = 1 AND i.state = 'committed' AND (i.delete_state IS NULL OR i.delete_state = 'deleting') ORDER BY t.id`,
        )
        .all() as { id: number }[]
    ).map((r) => r.id);
  }

  /**
   * Records the intent to delete, and the name the file is moved to before its unlink (before either
   * happens). Refuses unless the instance is committed.
   */
  markDeleting(instanceId: number, quarantine: string): boolean {
    const r = this.db
      .prepare(`UPDATE commit_instances SET delete_state = 'deleting', delete_quarantine = ?, updated_at = ? WHERE id = ? AND state = 'committed'
                AND (delete_state IS NULL OR delete_state = 'deleting')`)
      .run(quarantine, now(), instanceId);
    return Number(r.changes) === 1;
  }

  /** Records a completed deletion and its audit row, in one durable transaction. */
  markDeleted(c: DeletionCandidate, t: CommitTransaction, sha256 = c.sha256): void {
    const at = now();
    transaction(this.db, () => {
      this.stmt.setDeleteState.run('deleted', null, at, c.id);
      this.stmt.audit.run(c.id, c.path, c.SOPInstanceUID, t.transactionUid, nodeText(t.node), sha256, c.size, at);
    });
  }

  /** Records that a committed file was kept, and why. */
  markKept(instanceId: number, problem: string): void {
    this.stmt.setDeleteState.run('kept', problem, now(), instanceId);
  }

  /** True when another instance row already deleted this path, sent as the same bytes (same stamp, or same SHA-256 for older rows). */
  deletedElsewhere(c: DeletionCandidate): boolean {
    return Boolean(
      this.db
        .prepare(
          `SELECT 1 FROM commit_deletions d JOIN commit_instances i ON i.id = d.commit_instance_id
           WHERE d.path = ?1 AND d.commit_instance_id <> ?2 AND ((?3 <> '' AND i.sent_stamp = ?3) OR (?3 = '' AND d.sha256 = ?4)) LIMIT 1`,
        )
        .get(c.path, c.id, c.stamp ?? '', c.sha256),
    );
  }

  /**
   * Other files stored under `SOPInstanceUID` at `node` by any send job, with what proves their
   * bytes: not `sendInstanceId` itself. The node is matched by its AE title, or by port and host
   * (localhost, 127.0.0.1 and ::1 being one), so one PACS reached under two names is still one. At most 100 (a UID is rarely sent more often).
   */
  sentUnderUid(SOPInstanceUID: string, node: { aeTitle: string; host: string; port: number }, sendInstanceId: number | null): SentFile[] {
    return this.stmt.sentUnderUid.all(SOPInstanceUID, sendInstanceId, node.aeTitle, node.port, JSON.stringify(hostNames(node.host))) as unknown as SentFile[];
  }

  /** Files of the library holding `SOPInstanceUID`, other than `path`, with their content keys (library/summary.ts). */
  libraryCopies(SOPInstanceUID: string, path: string): { path: string; contentKey: string }[] {
    return this.stmt.libraryCopies.all(SOPInstanceUID, path) as unknown as { path: string; contentKey: string }[];
  }

  /** The transaction history, newest first. */
  transactions(limit = 100): CommitTransactionRow[] {
    return this.db.prepare('SELECT * FROM commit_transactions ORDER BY id DESC LIMIT ?').all(limit).map((r) => this.toRow(r));
  }

  /** One transaction as the history shows it, or null. */
  transactionRow(id: number): CommitTransactionRow | null {
    const r = this.stmt.txnById.get(id);
    return r ? this.toRow(r) : null;
  }

  private toRow(r: Record<string, unknown>): CommitTransactionRow {
    const t = toTransaction(r);
    return {
      id: t.id,
      transactionUid: t.transactionUid,
      node: nodeText(t.node),
      callingAe: t.callingAe,
      state: t.state,
      createdAt: r.created_at as string,
      requestedAt: (r.requested_at as string | null) ?? null,
      reportAt: (r.report_at as string | null) ?? null,
      attempts: t.attempts,
      deleteAfterCommit: t.deleteAfterCommit,
      retryOf: t.retryOf,
      sendJobId: t.sendJobId,
      message: (r.message as string | null) ?? null,
      counts: this.counts(t.id),
    };
  }

  /** The instances of a transaction for the UI and the CLI; `problemsFirst`: failed, kept, timed-out and pending before the committed. */
  instanceRows(transactionId: number, opts: { problemsFirst?: boolean } = {}): CommitInstanceRow[] {
    const order = opts.problemsFirst
      ? `CASE WHEN c.state = 'failed' THEN 0 WHEN c.delete_state = 'kept' THEN 1 WHEN c.state = 'timed-out' THEN 2 WHEN c.state = 'pending' THEN 3 ELSE 4 END, c.id`
      : 'c.id';
    const rows = this.db
      .prepare(
        `SELECT c.id, c.transaction_id, c.SOPInstanceUID, c.SOPClassUID, c.path, c.state, c.failure_reason, c.delete_state, c.delete_problem,
                c.StudyInstanceUID, c.send_instance_id
         FROM commit_instances c WHERE c.transaction_id = ? ORDER BY ${order}`,
      )
      .all(transactionId);
    return rows.map((r) => {
      const reason = r.failure_reason as number | null;
      return {
        id: r.id as number,
        transactionId: r.transaction_id as number,
        SOPInstanceUID: r.SOPInstanceUID as string,
        SOPClassUID: r.SOPClassUID as string,
        StudyInstanceUID: (r.StudyInstanceUID as string | null) ?? null,
        path: r.path as string,
        state: r.state as CommitInstanceState,
        failureReason: reason === null ? null : formatFailureReason(reason),
        failureMeaning: reason === null ? null : failureMeaning(reason),
        deleted: r.delete_state === 'deleted',
        keptReason: r.delete_state === 'kept' ? (r.delete_problem as string) : null,
        sendInstanceId: (r.send_instance_id as number | null) ?? null,
      };
    });
  }

  /** Per-study summary of a transaction (as the library knew the studies when it was created; unknown ones grouped under null). */
  studySummaries(transactionId: number): CommitStudySummary[] {
    const rows = this.db
      .prepare(
        `SELECT c.state, c.delete_state, c.StudyInstanceUID, c.StudyDescription, c.PatientName
         FROM commit_instances c WHERE c.transaction_id = ?`,
      )
      .all(transactionId);
    return groupByStudy<CommitStudySummary>(
      rows,
      (study) => ({ ...study, counts: emptyCounts() }),
      (g, r) => countInto(g.counts, r.state as CommitInstanceState, (r.delete_state as string | null) ?? null),
    );
  }

  /** How many files the audit log lists as deleted. */
  deletionCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM commit_deletions').get() as { n: number }).n;
  }

  /** The deletion audit log, newest first. */
  deletions(limit = 1000): CommitDeletionRow[] {
    return this.db
      .prepare(
        `SELECT path, SOPInstanceUID, transaction_uid AS transactionUid, node, sha256, deleted_at AS deletedAt
         FROM commit_deletions ORDER BY id DESC LIMIT ?`,
      )
      .all(limit) as unknown as CommitDeletionRow[];
  }
}

/** AE@host:port of a node. */
export function nodeText(node: { aeTitle: string; host: string; port: number }): string {
  return `${node.aeTitle}@${node.host.includes(':') ? `[${node.host}]` : node.host}:${node.port}`;
}

function toTransaction(r: Record<string, unknown>): CommitTransaction {
  return {
    id: r.id as number,
    transactionUid: r.transaction_uid as string,
    node: {
      aeTitle: r.node_ae as string,
      host: r.node_host as string,
      port: r.node_port as number,
      addresses: JSON.parse(r.node_addresses as string) as string[],
    },
    callingAe: r.calling_ae as string,
    state: r.state as CommitTransactionState,
    deadlineMs: r.deadline_ms as number,
    attempts: r.attempts as number,
    maxAttempts: r.max_attempts as number,
    timeoutMs: r.timeout_ms as number,
    deleteAfterCommit: r.delete_after_commit === 1,
    roots: JSON.parse(r.roots as string) as string[],
    retryOf: (r.retry_of as number | null) ?? null,
    sendJobId: r.send_job_id === null || r.send_job_id === undefined ? null : Number(r.send_job_id),
    undelivered: r.undelivered === 1,
  };
}
