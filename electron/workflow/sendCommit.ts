/**
 * The send → storage commitment → delete workflow, one module for the app and `courier send
 * --commit`: a send job created with commitment asks the node itself once its stores end (the
 * request is recorded in the job first, so a quit or crash at any point resumes at the next start),
 * waits for the reports in the background, and deletes what was committed when the job asked for
 * it. The job's transactions carry its id, so a job reaches its transactions and each instance its
 * latest commitment word (store/send.ts).
 *
 * ```ts
 * const workflow = new SendCommitWorkflow({ send, commit, events });
 * const jobId = send.queueSelection({ nodeId, studyIds }, { commit: { request: true, deleteAfterCommit: true } });
 * await workflow.settled(jobId); // stores, request, reports, deletions
 * ```
 */
import { dirname } from 'node:path';
import { CourierError } from '../../shared/errors.ts';
import type { EventHub } from '../events.ts';
import type { SendService } from '../send/service.ts';
import type { JobCommitment } from '../store/send.ts';
import type { CommitService } from '../commit/service.ts';
import type { NewCommitInstance } from '../store/commit.ts';
import { sha256File } from '../commit/hash.ts';
import { logger } from '../log.ts';
import { plural } from '../../shared/words.ts';

const log = logger('commit');

/** The services the workflow runs over. */
export interface WorkflowDeps {
  send: SendService;
  commit: CommitService;
  events: EventHub;
}

/** Send jobs with storage commitment. */
export class SendCommitWorkflow {
  private readonly send: SendService;
  private readonly commit: CommitService;
  private readonly events: EventHub;
  /** Jobs whose commitment is being requested or settled by this process. */
  private readonly active = new Map<number, Promise<number[]>>();
  private readonly unsubscribe: () => void;

  constructor(deps: WorkflowDeps) {
    this.send = deps.send;
    this.commit = deps.commit;
    this.events = deps.events;
    this.unsubscribe = this.send.onEnded((jobId) => {
      if (this.due(jobId)) void this.run(jobId);
    });
  }

  /** Stops following job ends (the services are closing). */
  close(): void {
    this.unsubscribe();
  }

  /** True when a job's stores ended and its commitment is still to be requested. */
  private due(jobId: number): boolean {
    const job = this.send.store.job(jobId);
    return Boolean(job?.commit && (job.commit.state === 'waiting' || job.commit.state === 'requesting') && ['done', 'failed', 'cancelled'].includes(job.state));
  }

  /**
   * Requests commitment of what the job stored, once (a second call while it runs joins it), and
   * settles it in the background; resolves with the transaction ids once they are recorded.
   */
  private run(jobId: number, fresh = false): Promise<number[]> {
    const running = this.active.get(jobId);
    if (running) return running;
    const requested = this.request(jobId, fresh);
    this.active.set(jobId, requested);
    void requested
      .then(async (ids) => {
        if (!ids.length) return; // nothing to ask about: the state says why
        await this.commit.settle(ids);
        this.settledState(jobId);
      })
      .catch((err) => {
        log.error(`send job ${jobId}: storage commitment failed:`, err);
        this.setState(jobId, 'failed', err instanceof Error ? err.message : String(err));
      })
      .finally(() => this.active.delete(jobId));
    return requested;
  }

  /** `fresh`: new transactions even when the job has some (asked again by the user). */
  private async request(jobId: number, fresh: boolean): Promise<number[]> {
    const job = this.send.store.job(jobId);
    const commitment = this.send.store.commitment(jobId);
    if (!job || !commitment) return [];
    // Each stored instance is asked about once: a crash after the transactions were recorded must not
    // ask again, and "Retry failed" asks only about what the retry stored (the rest is in `existing`).
    const existing = fresh ? [] : this.send.store.transactionIds(jobId);
    const stored = this.send.store.stored(jobId, { notRequested: !fresh });
    if (existing.length && !stored.length) {
      this.setState(jobId, 'pending');
      return existing;
    }
    if (job.state === 'cancelled' && !existing.length) {
      this.setState(jobId, 'failed', 'the send was cancelled, so commitment was not requested (ask for it from the Commitment tab)');
      return [];
    }
    if (!stored.length) {
      this.setState(jobId, 'failed', job.error ? `nothing was stored, so nothing can be committed: ${job.error}` : 'nothing was stored, so nothing can be committed');
      return [];
    }
    this.setState(jobId, 'requesting');
    const instances: NewCommitInstance[] = [];
    for (const s of stored) {
      instances.push({
        SOPClassUID: s.SOPClassUID,
        SOPInstanceUID: s.SOPInstanceUID,
        path: s.path,
        size: s.size,
        // A stamp taken as the bytes were read identifies them; a job sent before stamps existed falls back on a hash now.
        sha256: s.stamp ? '' : await sha256File(s.path).catch(() => 'unreadable'),
        stamp: s.stamp,
        sendInstanceId: s.id,
      });
    }
    const txns = await this.commit.request({
      node: { aeTitle: job.aeTitle, host: job.host, port: job.port },
      callingAe: job.callingAe,
      instances,
      deleteAfterCommit: commitment.deleteAfterCommit,
      // Deletion never leaves the folders the files were sent from.
      roots: [...new Set(stored.map((s) => dirname(s.path)))],
      sendJobId: jobId,
      timeoutMs: commitment.timeoutMs,
      maxAttempts: commitment.attempts,
    });
    this.setState(jobId, 'pending');
    return [...existing, ...txns.map((t) => t.id)];
  }

  private setState(jobId: number, state: 'requesting' | 'pending' | 'done' | 'failed', message: string | null = null): void {
    this.send.store.setCommitState(jobId, state, message);
    this.events.emit('send.changed', { sendJobId: jobId });
  }

  /** Resolves once the job's commitment has settled in this process (at once when none runs). */
  async settled(jobId: number): Promise<void> {
    const running = this.active.get(jobId);
    if (!running) return;
    const ids = await running;
    await this.commit.settle(ids);
    while (this.active.has(jobId)) await new Promise((r) => setTimeout(r, 20));
  }

  /**
   * Asks for commitment of what a finished job stored, on a job created without (the Send panel's
   * or Commitment tab's "Request commitment"); the node's timing applies. Returns the transaction ids.
   */
  async requestForJob(jobId: number, deleteAfterCommit: boolean): Promise<number[]> {
    const job = this.send.store.job(jobId);
    if (!job) throw new CourierError('NOT_FOUND', `No send job ${jobId}`);
    if (job.state === 'running' || job.state === 'queued') throw new CourierError('CONFLICT', 'The job is still sending: commitment is requested once its stores end');
    if (!this.send.store.stored(jobId).length) throw new CourierError('CONFLICT', 'This job stored nothing to commit');
    if (this.active.has(jobId)) throw new CourierError('CONFLICT', 'Commitment of this job is being requested already');
    const node = job.nodeId === null ? null : this.send.nodes.get(job.nodeId);
    const timing: JobCommitment = { request: true, deleteAfterCommit, timeoutMs: (node?.commitTimeoutS ?? 60) * 1000, attempts: (node?.commitRetries ?? 2) + 1 };
    // From now on the job carries its commitment (a restart requests it if this process stops first).
    this.send.store.setCommitment(jobId, timing);
    return this.run(jobId, true);
  }

  /**
   * Re-sends (C-STORE) the failed and timed-out instances of a transaction in a new job that asks
   * for their commitment (and deletes as the transaction did) once stored. Returns the job id.
   */
  resend(transactionId: number): number {
    const t = this.commit.store.byId(transactionId);
    if (!t) throw new CourierError('NOT_FOUND', `No commitment transaction ${transactionId}`);
    const rows = this.commit.store.instanceRows(transactionId).filter((r) => r.state === 'failed' || r.state === 'timed-out');
    if (!rows.length) throw new CourierError('CONFLICT', 'No failed or timed-out instance to re-send');
    const sendJobId = this.send.queueFiles(
      { nodeId: null, aeTitle: t.node.aeTitle, host: t.node.host, port: t.node.port, maxAssociations: 1 },
      t.callingAe,
      `re-send of ${plural(rows.length, 'uncommitted instance')} of ${t.transactionUid}`,
      rows.map((r) => ({ path: r.path, SOPInstanceUID: r.SOPInstanceUID, SOPClassUID: r.SOPClassUID })),
      { request: true, deleteAfterCommit: t.deleteAfterCommit, timeoutMs: t.timeoutMs, attempts: t.maxAttempts },
    );
    this.send.start(sendJobId);
    return sendJobId;
  }

  /**
   * At start, in the background: the accepter listens on `accepterPort`; transactions a quit or
   * crash interrupted resume, and those an outage ended (timed out, node unreachable) are asked
   * again; jobs whose stores ended before their commitment was requested request it; every job
   * with a transaction still open is followed until it settles. Never throws.
   */
  async startBackground(accepterPort: number | null): Promise<void> {
    try {
      await this.commit.listenAtStart(accepterPort);
      const open = await this.commit.resume(undefined, { rerequest: true });
      for (const jobId of this.send.store.commitDue()) void this.run(jobId);
      for (const jobId of this.send.store.jobsWithOpenTransactions()) this.follow(jobId);
      await this.commit.settle(open);
    } catch (err) {
      log.error('resuming storage commitment failed:', err);
    }
  }

  /** Follows a job whose transactions were requested (by an earlier run) until they settle. */
  private follow(jobId: number): void {
    if (this.active.has(jobId)) return;
    const ids = this.send.store.transactionIds(jobId);
    this.setState(jobId, 'pending');
    const settled = this.commit.settle(ids).then(() => ids);
    this.active.set(jobId, settled);
    void settled
      .then(() => this.settledState(jobId))
      .catch((err) => log.error(`send job ${jobId}: storage commitment failed:`, err))
      .finally(() => this.active.delete(jobId));
  }

  /** After settling: 'done' once none of the job's transactions waits any more (settling stops early when the services close). */
  private settledState(jobId: number): void {
    const open = this.send.store.transactionIds(jobId).some((id) => {
      const state = this.commit.store.byId(id)?.state;
      return state === 'created' || state === 'requested';
    });
    if (!open) this.setState(jobId, 'done');
  }
}
