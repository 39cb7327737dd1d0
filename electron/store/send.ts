/**
 * Send jobs and their instances. Every terminal state of an instance is written here (in batches,
 * each one transaction, synchronous=FULL) before anything acts on it; a job interrupted by a quit or
 * a crash still has its unfinished instances 'queued' and resumes from them.
 */
import type { StatementSync } from 'node:sqlite';
import type { SendInstanceRow, SendInstanceState, SendJobRow, SendJobState } from '../../shared/contract/send.ts';
import { transaction, type Db } from './db.ts';

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
}

const now = () => new Date().toISOString();

/** Send job reads and writes. */
export class SendStore {
  private readonly db: Db;
  private recordStmt?: StatementSync;
  private queuedStmt?: StatementSync;
  constructor(db: Db) {
    this.db = db;
  }

  /** Creates a job with its instances, all queued; returns its id. */
  create(dest: SendDestination, callingAe: string, description: string, instances: NewSendInstance[]): number {
    return transaction(this.db, () => {
      const id = this.insertJob(dest, callingAe, description);
      const ins = this.db.prepare(
        `INSERT INTO send_instances (job_id, instance_id, path, size, SOPInstanceUID, SOPClassUID, file_transfer_syntax, state) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued')`,
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
  createFromIndex(dest: SendDestination, callingAe: string, description: string, paths: string[], always: string[] = []): { id: number; total: number } {
    return transaction(this.db, () => {
      const id = this.insertJob(dest, callingAe, description);
      const { changes } = this.db
        .prepare(
          `INSERT INTO send_instances (job_id, instance_id, path, size, SOPInstanceUID, SOPClassUID, file_transfer_syntax, state)
           SELECT ?, f.instance_id, j.value, coalesce(f.size, e.size, s.size, 0), i.SOPInstanceUID, i.SOPClassUID, f.TransferSyntaxUID, 'queued'
             FROM json_each(?) j
             LEFT JOIN files f ON f.path = j.value LEFT JOIN instances i ON i.id = f.instance_id
             LEFT JOIN index_errors e ON e.path = j.value LEFT JOIN skipped_files s ON s.path = j.value
            WHERE f.path IS NOT NULL OR e.path IS NOT NULL OR j.value IN (SELECT value FROM json_each(?))
            ORDER BY j.key`,
        )
        .run(id, JSON.stringify(paths), JSON.stringify(always));
      return { id, total: Number(changes) };
    });
  }

  private insertJob(dest: SendDestination, callingAe: string, description: string): number {
    const { id } = this.db
      .prepare(
        `INSERT INTO send_jobs (node_id, ae_title, host, port, max_associations, tls, calling_ae, description, state, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?) RETURNING id`,
      )
      .get(dest.nodeId, dest.aeTitle, dest.host, dest.port, dest.maxAssociations, dest.tls ? 1 : 0, callingAe, description, now()) as { id: number };
    return id;
  }

  /** One job with its counts, or null. */
  job(id: number): SendJobRow | null {
    const r = this.db.prepare('SELECT * FROM send_jobs WHERE id = ?').get(id) as unknown as JobDbRow | undefined;
    return r ? this.withCounts(r) : null;
  }

  /** The most recent jobs first. */
  jobs(limit = 100): SendJobRow[] {
    return (this.db.prepare('SELECT * FROM send_jobs ORDER BY id DESC LIMIT ?').all(limit) as unknown as JobDbRow[]).map((r) => this.withCounts(r));
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
    };
  }

  /** The instances of a job, in order, optionally only those in one state. */
  instances(jobId: number, opts: { state?: SendInstanceState; exceptState?: SendInstanceState; offset?: number; limit?: number } = {}): SendInstanceRow[] {
    // Columns named as the contract names them (shared/contract/send.ts), so rows need no mapping.
    return this.db
      .prepare(
        `SELECT id, instance_id AS instanceId, path, size, SOPInstanceUID, SOPClassUID, state, status, message,
           transfer_syntax AS transferSyntax, transcoded_from AS transcodedFrom, attempts, updated_at AS updatedAt
         FROM send_instances WHERE job_id = ? AND (? IS NULL OR state = ?) AND (? IS NULL OR state != ?) ORDER BY id LIMIT ? OFFSET ?`,
      )
      .all(jobId, opts.state ?? null, opts.state ?? null, opts.exceptState ?? null, opts.exceptState ?? null, opts.limit ?? 1_000_000, opts.offset ?? 0) as unknown as SendInstanceRow[];
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

  /** Sets a job's state (and its start/finish time). */
  setState(id: number, state: SendJobState, error: string | null = null): void {
    const t = now();
    this.db
      .prepare(
        `UPDATE send_jobs SET state = ?, error = ?,
           started_at = CASE WHEN ? = 'running' THEN coalesce(started_at, ?) ELSE started_at END,
           finished_at = CASE WHEN ? IN ('done', 'cancelled') THEN ? ELSE NULL END
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
         transfer_syntax = ?, transcoded_from = ?, attempts = attempts + 1, updated_at = ? WHERE id = ?`,
    ));
    transaction(this.db, () => {
      for (const u of updates) stmt.run(u.state, u.status, u.message, u.SOPInstanceUID ?? null, u.SOPClassUID ?? null, u.transferSyntax ?? null, u.transcodedFrom ?? null, t, u.id);
    });
  }

  /** Puts a job's failed instances back in the queue; returns how many. */
  requeueFailed(jobId: number): number {
    return Number(
      this.db.prepare(`UPDATE send_instances SET state = 'queued', status = NULL, message = NULL, updated_at = ? WHERE job_id = ? AND state = 'failed'`).run(now(), jobId).changes,
    );
  }

  /** Jobs that were running or waiting when the app last stopped (to resume). */
  unfinished(): number[] {
    return (this.db.prepare(`SELECT id FROM send_jobs WHERE state IN ('queued', 'running') ORDER BY id`).all() as { id: number }[]).map((r) => r.id);
  }

  /** Removes a job that is not running, with its instances. */
  remove(jobId: number): boolean {
    return Number(this.db.prepare(`DELETE FROM send_jobs WHERE id = ? AND state <> 'running'`).run(jobId).changes) > 0;
  }
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
