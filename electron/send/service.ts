/**
 * The send queue: jobs persisted in SQLite (store/send.ts), run by the JobRunner, reported as
 * events. Pause, cancel, resume, retry failed; jobs left running by a quit or crash resume through
 * `resumeInterrupted()` at the next start.
 */
import { commitmentAsked } from '../../shared/contract/send.ts';
import { statSync } from 'node:fs';
import type { FileChoice, SendPlan, SendSelection, SendJobRow } from '../../shared/contract/send.ts';
import { CourierError } from '../../shared/errors.ts';
import type { EventHub } from '../events.ts';
import type { JobContext, JobRunner } from '../jobs/jobs.ts';
import type { Timeouts } from '../dimse/association.ts';
import type { Db } from '../store/db.ts';
import type { LibraryStore } from '../store/library.ts';
import type { NodeService } from '../nodes/nodeService.ts';
import { SendStore, type InstanceUpdate, type JobCommitment, type NewSendInstance, type QueuedInstance, type SendDestination } from '../store/send.ts';
import { inputCount, sendFiles, type InstanceResult, type RetryPolicy, type SendInput, type SendSource, type SendSummary } from './sender.ts';
import { chooseFiles, planOf } from './plan.ts';
import { patientsAndStudies, plural } from '../../shared/words.ts';
import { inWords, jobFailure } from '../nodes/peerFailure.ts';
import { logger } from '../log.ts';

const log = logger('send');

/** How a job runs (not persisted: defaults apply on resume). */
export interface RunOptions {
  allowTranscode?: boolean;
  timeouts?: Partial<Timeouts>;
  policy?: Partial<RetryPolicy>;
  maxPdu?: number;
  /** Called with every result, after it is written to the database. */
  onResult?: (r: InstanceResult) => void;
}

/** How often results are written (each batch one transaction): bounded work lost in a crash, and re-sent at resume. */
const FLUSH_MS = 200;
const FLUSH_COUNT = 500;

/** The send queue. */
export class SendService {
  readonly store: SendStore;
  readonly nodes: NodeService;
  private readonly library: LibraryStore;
  private readonly jobs: JobRunner;
  private readonly events: EventHub;
  private readonly running = new Map<number, { runnerId: string; stopAs: 'paused' | 'cancelled' | null; done: Promise<SendSummary | null> }>();
  private readonly endListeners = new Set<(sendJobId: number) => void>();

  constructor(deps: { db: Db; library: LibraryStore; jobs: JobRunner; events: EventHub; nodes: NodeService }) {
    this.store = new SendStore(deps.db);
    this.nodes = deps.nodes;
    this.library = deps.library;
    this.jobs = deps.jobs;
    this.events = deps.events;
  }

  /** What sending the selection would send (`send.plan`). */
  plan(selection: SendSelection, choice?: FileChoice): SendPlan {
    return planOf(chooseFiles(this.store.selectionFiles(selection), choice));
  }

  /**
   * Queues the chosen file of each instance of the library selection for a saved node, with the
   * storage commitment asked for (none: the node's default asks or not, and nothing is deleted),
   * and starts it.
   */
  queueSelection(
    req: SendSelection & { nodeId: number },
    opts: RunOptions & { choice?: FileChoice; commit?: { request: boolean; deleteAfterCommit: boolean } } = {},
  ): number {
    const node = this.nodes.get(req.nodeId);
    if (!node) throw new CourierError('NOT_FOUND', `No node ${req.nodeId}`);
    const chosen = chooseFiles(this.store.selectionFiles(req), opts.choice);
    const { files } = chosen;
    if (!files.length) throw new CourierError('NOT_FOUND', 'Nothing to send: the selection holds no instances');
    const ask = opts.commit ?? { request: node.requestCommitment, deleteAfterCommit: false };
    const commitment: JobCommitment | null = ask.request
      ? { request: true, deleteAfterCommit: ask.deleteAfterCommit, timeoutMs: node.commitTimeoutS * 1000, attempts: node.commitRetries + 1 }
      : null;
    const id = this.store.create(
      { nodeId: node.id, aeTitle: node.aeTitle, host: node.host, port: node.port, maxAssociations: node.maxAssociations, tls: node.tls },
      this.nodes.local().aeTitle,
      `${patientsAndStudies(planOf(chosen))} → ${node.name}`,
      files.map((f) => ({ path: f.path, size: f.size, instanceId: f.instanceId, SOPInstanceUID: f.SOPInstanceUID, SOPClassUID: f.SOPClassUID, TransferSyntaxUID: f.TransferSyntaxUID })),
      commitment,
    );
    this.start(id, opts);
    return id;
  }

  /** Calls `listener` with a job's id each time a run of it ends (done, failed, paused, cancelled or stopped); returns the unsubscribe function. */
  onEnded(listener: (sendJobId: number) => void): () => void {
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  /** Queues files (paths) for a destination without starting; sizes are read from disk when absent. */
  queueFiles(
    dest: SendDestination,
    callingAe: string,
    description: string,
    files: (Omit<NewSendInstance, 'size'> & { size?: number })[],
    commitment?: JobCommitment | null,
  ): number {
    const withSizes = files.map((f) => {
      let size = f.size;
      if (size === undefined) {
        try {
          size = statSync(f.path).size;
        } catch {
          size = 0;
        }
      }
      return { ...f, size };
    });
    const id = this.store.create(dest, callingAe, description, withSizes, commitment);
    this.changed(id);
    return id;
  }

  /** Queues the files at `paths` as the library indexed them, without starting (SendStore.createFromIndex). */
  queueIndexed(...args: Parameters<SendStore['createFromIndex']>): { id: number; total: number } {
    const job = this.store.createFromIndex(...args);
    this.changed(job.id);
    return job;
  }

  /** Starts (or keeps running) a job; returns the JobRunner id. */
  start(sendJobId: number, opts: RunOptions = {}): string {
    const existing = this.running.get(sendJobId);
    if (existing) return existing.runnerId;
    const job = this.store.job(sendJobId);
    if (!job) throw new CourierError('NOT_FOUND', `No send job ${sendJobId}`);
    let resolveDone!: (s: SendSummary | null) => void;
    const entry = { runnerId: '', stopAs: null as 'paused' | 'cancelled' | null, done: new Promise<SendSummary | null>((r) => (resolveDone = r)) };
    this.running.set(sendJobId, entry);
    this.store.setState(sendJobId, 'running');
    this.changed(sendJobId);
    entry.runnerId = this.jobs.start('send', async (ctx) => {
      let summary: SendSummary | null = null;
      try {
        summary = await this.run(job, ctx, opts);
        return summary;
      } catch (err) {
        log.error(`send job ${sendJobId} stopped by an error:`, err);
        this.store.setState(sendJobId, 'paused', err instanceof Error ? err.message : String(err));
        throw err;
      } finally {
        this.running.delete(sendJobId);
        if (summary) {
          // Stopped without pause/cancel (the app quitting): stays 'running' so the next start resumes it.
          if (ctx.signal.aborted) this.store.setState(sendJobId, entry.stopAs ?? 'running');
          else this.finish(sendJobId);
        }
        this.changed(sendJobId);
        resolveDone(summary);
        for (const l of [...this.endListeners]) {
          try {
            l(sendJobId);
          } catch (err) {
            log.error(`send job ${sendJobId}: a listener failed:`, err);
          }
        }
      }
    });
    return entry.runnerId;
  }

  /**
   * A run that went through its queue ends 'done', or 'failed' when nothing was stored although
   * instances failed: with the reason in words ("could not connect to PACS at … — connection refused").
   */
  private finish(sendJobId: number): void {
    const job = this.store.job(sendJobId)!;
    if (job.success + job.warning === 0 && job.failed > 0) {
      const messages = this.store.instances(sendJobId, { state: 'failed' }).map((r) => r.message ?? 'failed');
      this.store.setState(sendJobId, 'failed', jobFailure(messages, job));
    } else this.store.setState(sendJobId, 'done');
  }

  /** Resolves when the job's current run ends (null when it was not running or failed). */
  async wait(sendJobId: number): Promise<SendSummary | null> {
    return this.running.get(sendJobId)?.done ?? null;
  }

  /** Stops a running job, keeping its unsent instances queued. */
  pause(sendJobId: number): boolean {
    return this.stop(sendJobId, 'paused');
  }

  /** Stops a job for good (its unsent instances stay queued and visible). */
  cancel(sendJobId: number): boolean {
    return this.stop(sendJobId, 'cancelled');
  }

  private stop(sendJobId: number, as: 'paused' | 'cancelled'): boolean {
    const r = this.running.get(sendJobId);
    if (r) {
      r.stopAs = as;
      return this.jobs.cancel(r.runnerId);
    }
    const job = this.store.job(sendJobId);
    if (!job || job.state === 'done' || job.state === 'failed' || job.state === as) return false;
    this.store.setState(sendJobId, as);
    this.changed(sendJobId);
    return true;
  }

  /** Starts a paused or cancelled job again (its queued instances). */
  resume(sendJobId: number, opts: RunOptions = {}): boolean {
    const job = this.store.job(sendJobId);
    if (!job) throw new CourierError('NOT_FOUND', `No send job ${sendJobId}`);
    if (this.running.has(sendJobId)) return true;
    if (!job.queued) return false;
    this.start(sendJobId, opts);
    return true;
  }

  /** Puts failed instances back in the queue and starts the job. */
  retryFailed(sendJobId: number, opts: RunOptions = {}): number {
    if (this.running.has(sendJobId)) throw new CourierError('CONFLICT', 'The job is running; pause it first or wait until it ends');
    if (commitmentAsked(this.store.job(sendJobId)?.commit)) {
      throw new CourierError('CONFLICT', "The job's storage commitment is still being asked for: retry the failed images once the PACS has reported (or the wait has ended)");
    }
    const n = this.store.requeueFailed(sendJobId);
    if (n) this.start(sendJobId, opts);
    return n;
  }

  /** Starts every job that was queued or running when the app last stopped; returns their ids. */
  resumeInterrupted(opts: RunOptions = {}): number[] {
    const ids = this.store.unfinished().filter((id) => !this.running.has(id));
    for (const id of ids) this.start(id, opts);
    return ids;
  }

  private changed(sendJobId: number): void {
    this.events.emit('send.changed', { sendJobId });
  }

  /** A job's queued instances as a run takes them: read from the database a page at a time, while it sends. */
  private queueOf(sendJobId: number): SendSource {
    const input = (q: QueuedInstance): SendInput => ({ key: q.id, path: q.path, sopClassUid: q.SOPClassUID, transferSyntaxUid: q.fileTransferSyntax, indexed: q.indexed ?? undefined });
    let afterId = 0;
    return {
      unknown: this.store.queuedForRun(sendJobId, { known: false }).map(input),
      kinds: this.store.queuedKinds(sendJobId).map((k) => ({ sopClassUid: k.SOPClassUID, transferSyntaxUid: k.fileTransferSyntax, count: k.count })),
      next: (limit) => {
        const page = this.store.queuedForRun(sendJobId, { known: true, afterId, limit });
        if (page.length) afterId = page[page.length - 1].id;
        return page.map(input);
      },
    };
  }

  private async run(job: SendJobRow, ctx: JobContext, opts: RunOptions): Promise<SendSummary> {
    // Read before anything is sent: a TLS job whose files are unusable stops here (paused, with why).
    const tls = job.tls ? this.nodes.credentialsFor(job) : undefined;
    const source = this.queueOf(job.id);
    log.info(`send job ${job.id}: ${plural(inputCount(source), 'instance')} to ${job.aeTitle}@${job.host}:${job.port}${tls ? ' over TLS' : ''} as ${job.callingAe}`);
    const total = job.total;
    let done = job.success + job.warning + job.failed;
    let failed = job.failed;
    let bytes = job.doneBytes;
    const runStartBytes = bytes;
    const started = performance.now();
    const sending = new Set<number>();
    let pending: InstanceUpdate[] = [];
    let lastFlush = performance.now();
    let lastEvent = 0;
    const after: InstanceResult[] = [];
    // Batches while running skip the fsync; the last one, and the job's state written right after it,
    // are durable (an fsync of the WAL covers every earlier frame) before the results are acted on.
    const flush = (durable = false) => {
      if (!pending.length) return;
      this.store.record(pending, { durable });
      pending = [];
      lastFlush = performance.now();
      for (const r of after.splice(0)) opts.onResult?.(r);
      this.changed(job.id);
    };
    const progress = (force = false) => {
      const now = performance.now();
      if (!force && now - lastEvent < 200) return;
      lastEvent = now;
      const seconds = (now - started) / 1000;
      const rate = seconds > 0 ? (bytes - runStartBytes) / seconds : 0;
      const left = job.totalBytes - bytes;
      this.events.emit('send.progress', {
        sendJobId: job.id,
        done,
        total,
        failed,
        bytes,
        totalBytes: job.totalBytes,
        rate: Math.round(rate),
        secondsLeft: rate > 0 && left >= 0 ? Math.round(left / rate) : null,
        sending: [...sending],
      });
      ctx.progress({ done, total, bytes, current: job.description });
    };
    // Results are written as they come in (below), which is right after the next store went out, while
    // the peer is busy with it: no write lands between a response and the store that answers it. The
    // timer only catches results left waiting when no more come (a long store, a stalled peer).
    const timer = setInterval(() => {
      if (performance.now() - lastFlush >= FLUSH_MS) flush();
    }, FLUSH_MS);
    try {
      const summary = await sendFiles(
        source,
        {
          callingAe: job.callingAe,
          target: { aeTitle: job.aeTitle, host: job.host, port: job.port, maxAssociations: job.maxAssociations, tls },
          signal: ctx.signal,
          allowTranscode: opts.allowTranscode,
          timeouts: opts.timeouts,
          policy: opts.policy,
          maxPdu: opts.maxPdu,
          onStart: (key) => {
            sending.add(key);
            progress();
          },
          onResult: (r) => {
            sending.delete(r.key);
            done++;
            if (r.state === 'failed') failed++;
            else bytes += r.bytes;
            pending.push({
              id: r.key,
              state: r.state,
              status: r.status,
              // No response at all: a network failure, said in words.
              message: r.status === null && r.state === 'failed' ? inWords(r.message, job) : r.message,
              SOPInstanceUID: r.sopInstanceUid,
              SOPClassUID: r.sopClassUid,
              transferSyntax: r.transferSyntax,
              transcodedFrom: r.transcodedFrom,
              stamp: r.stamp,
            });
            after.push(r);
            if (pending.length >= FLUSH_COUNT || performance.now() - lastFlush >= FLUSH_MS) flush();
            progress();
          },
        },
      );
      log.info(`send job ${job.id}: ${summary.success} stored, ${summary.warning} with warnings, ${summary.failed} failed, ${summary.notSent} not sent, ${summary.bytes} bytes in ${summary.ms} ms`);
      return summary;
    } finally {
      clearInterval(timer);
      flush(true);
      progress(true);
    }
  }
}
