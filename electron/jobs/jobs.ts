/**
 * Long jobs: each gets an id at once, reports progress as events and can be cancelled.
 */
import { randomUUID } from 'node:crypto';
import type { JobFinished, JobKind, JobProgress } from '../../shared/contract/index.ts';
import { CourierError, toErrorShape } from '../../shared/errors.ts';
import type { EventHub } from '../events.ts';

/** What a running job can do: see whether it was cancelled, and report progress. */
export interface JobContext {
  jobId: string;
  signal: AbortSignal;
  progress(p: Omit<JobProgress, 'jobId' | 'kind'>): void;
}

/** Throws CourierError CANCELLED when the job's signal has fired. */
export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new CourierError('CANCELLED', 'Cancelled by the user');
}

/** Starts jobs, tracks them by id and cancels them on request. */
export class JobRunner {
  private readonly running = new Map<string, { kind: JobKind; controller: AbortController; done: Promise<JobFinished> }>();
  private readonly events: EventHub;

  constructor(events: EventHub) {
    this.events = events;
  }

  /** Starts `work`; returns its id at once. Progress events are throttled to one per 100 ms. */
  start<R>(kind: JobKind, work: (ctx: JobContext) => Promise<R>): string {
    const jobId = randomUUID();
    const controller = new AbortController();
    let lastProgress = 0;
    const ctx: JobContext = {
      jobId,
      signal: controller.signal,
      progress: (p) => {
        const now = Date.now();
        if (now - lastProgress < 100 && p.done !== p.total) return;
        lastProgress = now;
        this.events.emit('job.progress', { jobId, kind, ...p });
      },
    };
    const done = (async (): Promise<JobFinished> => {
      await Promise.resolve(); // let the caller receive the id before the first event
      try {
        throwIfCancelled(controller.signal); // cancelled before it began
        const result = await work(ctx);
        return { jobId, kind, status: controller.signal.aborted ? 'cancelled' : 'done', result };
      } catch (err) {
        const error = toErrorShape(err);
        return { jobId, kind, status: error.code === 'CANCELLED' ? 'cancelled' : 'failed', error };
      }
    })().then((finished) => {
      this.running.delete(jobId);
      this.events.emit('job.finished', finished);
      return finished;
    });
    this.running.set(jobId, { kind, controller, done });
    return jobId;
  }

  /** Asks a job to stop; false when no such job is running. */
  cancel(jobId: string): boolean {
    const job = this.running.get(jobId);
    if (!job) return false;
    job.controller.abort();
    return true;
  }

  /** Resolves when the job ends (immediately with undefined if it is not running). */
  async wait(jobId: string): Promise<JobFinished | undefined> {
    return this.running.get(jobId)?.done;
  }

  /** Cancels every job and waits for them to end (on quit). */
  async cancelAll(): Promise<void> {
    const all = [...this.running.values()];
    for (const j of all) j.controller.abort();
    await Promise.all(all.map((j) => j.done));
  }
}
