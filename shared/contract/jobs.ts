/**
 * Long jobs (index, export, send): started by a channel that returns a job id at once, then
 * reported through the `job.progress` and `job.finished` events, and cancelled by `job.cancel`.
 */
import { object, str } from '../validate.ts';
import { channel } from './channel.ts';
import type { CourierErrorShape } from '../errors.ts';

/** Kinds of long job. */
export type JobKind = 'index' | 'export' | 'send' | 'commit';

/** What `*.start` channels return. */
export interface JobStarted {
  jobId: string;
}

/** Progress of a running job. `total` is null while unknown. */
export interface JobProgress {
  jobId: string;
  kind: JobKind;
  done: number;
  total: number | null;
  bytes?: number;
  /** What is being worked on now, for a person (a path, an instance). */
  current?: string;
}

/** The end of a job, with its result or error. */
export interface JobFinished<R = unknown> {
  jobId: string;
  kind: JobKind;
  status: 'done' | 'cancelled' | 'failed';
  result?: R;
  error?: CourierErrorShape;
}

/** Channels shared by every kind of job. */
export const jobChannels = {
  'job.cancel': channel<{ cancelled: boolean }>()(object({ jobId: str({ min: 1, max: 64 }) })),
};
