/**
 * Send jobs: C-STORE of a selection to a node, queued and tracked per instance in the database.
 */
import { arrayOf, bool, int, object, oneOf, optional } from '../validate.ts';
import { channel } from './channel.ts';

/** A job's state. */
export type SendJobState = 'queued' | 'running' | 'paused' | 'done' | 'cancelled';
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

/** Send channels. */
export const sendChannels = {
  /** Queues the selection for the node and starts sending. */
  'send.start': channel<{ sendJobId: number }>()(
    object({ nodeId: int(1), patientIds: optional(ids), studyIds: optional(ids), seriesIds: optional(ids), instanceIds: optional(ids), allowTranscode: optional(bool) }),
  ),
  'send.jobs': channel<SendJobRow[]>()(object({ limit: optional(int(1, 1000)) })),
  'send.instances': channel<SendInstanceRow[]>()(
    object({ sendJobId: int(1), state: optional(oneOf('queued', 'success', 'warning', 'failed')), offset: optional(int(0)), limit: optional(int(1, 10_000)) }),
  ),
  'send.pause': channel<{ ok: boolean }>()(object({ sendJobId: int(1) })),
  'send.resume': channel<{ ok: boolean }>()(object({ sendJobId: int(1) })),
  'send.cancel': channel<{ ok: boolean }>()(object({ sendJobId: int(1) })),
  'send.retryFailed': channel<{ requeued: number }>()(object({ sendJobId: int(1) })),
  'send.remove': channel<{ removed: boolean }>()(object({ sendJobId: int(1) })),
};
