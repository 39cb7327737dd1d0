/**
 * Sending files with C-STORE (PS3.4 Annex B) to one node: presentation contexts per SOP class with
 * the file's own transfer syntax first (queue.ts), the file's dataset bytes streamed as they are
 * when that syntax is accepted, several associations in parallel when the node allows (each run by
 * an AssociationWorker, worker.ts), and a result per instance (DIMSE status and its meaning)
 * however the association ends.
 *
 * `sendFiles` is three steps: look at the files whose SOP class or syntax is not known, plan the
 * groups of contexts, and send each group over up to `maxAssociations` associations.
 */
import type { TlsCredentials } from '../dimse/tls.ts';
import type { IndexedFile } from '../store/send.ts';
import type { Timeouts } from '../dimse/association.ts';
import { statusInfo } from '../dimse/command.ts';
import { preflight } from './preflight.ts';
import { groupsOf, hasItems, inputCount, sourceOf, type Item } from './queue.ts';
import { AssociationWorker } from './worker.ts';

export { inputCount } from './queue.ts';
export { sopClassName } from './worker.ts';

/** Where to send. */
export interface SendTarget {
  aeTitle: string;
  host: string;
  port: number;
  /** Associations at once (≥ 1). */
  maxAssociations?: number;
  /** DICOM over TLS with these credentials; plain TCP when absent. */
  tls?: TlsCredentials;
}

/** What happens after failures. */
export interface RetryPolicy {
  /** Attempts to open an association (transient rejections, refused connections, timeouts). */
  associationAttempts: number;
  /** Sends of one instance when the association fails under it or the peer is out of resources (A7xx). */
  instanceAttempts: number;
  retryDelayMs: number;
}

/** Default policy: three tries to connect, two per instance, one second apart. */
export const DEFAULT_POLICY: RetryPolicy = { associationAttempts: 3, instanceAttempts: 2, retryDelayMs: 1000 };

/** One file to send; `key` is the caller's id for it. */
export interface SendInput {
  key: number;
  path: string;
  /** What the library says the file is: with both, the file is checked just before it is sent
   * (overlapping the check with the previous store); without, it is checked before associating. */
  sopClassUid?: string | null;
  transferSyntaxUid?: string | null;
  /** What the library's index found, when it checked the file as sendable: trusted (no parse) while
   * the file's size and mtime are still these. */
  indexed?: IndexedFile;
}

/**
 * The inputs of a send as it takes them: those whose SOP class or transfer syntax is not known
 * (checked first, to plan the contexts), every kind of the others, and the others a page at a
 * time, so a queue of any length is never all in memory (SendService reads pages from SQLite).
 */
export interface SendSource {
  unknown: SendInput[];
  /** Each SOP class and transfer syntax among the other inputs, and how many inputs have it. */
  kinds: { sopClassUid: string; transferSyntaxUid: string; count: number }[];
  /** The next of the other inputs, in order: up to `n`, none once all were taken. */
  next(n: number): SendInput[];
}

/** Terminal states of an instance. */
export type InstanceState = 'success' | 'warning' | 'failed';

/** The outcome for one file. */
export interface InstanceResult {
  key: number;
  path: string;
  state: InstanceState;
  /** DIMSE status from the peer; null when no response came (failure before or during the send). */
  status: number | null;
  /** Status meaning, or why it failed. */
  message: string;
  sopClassUid?: string;
  sopInstanceUid?: string;
  /** The transfer syntax the dataset went out in. */
  transferSyntax?: string;
  /** Set when the dataset was transcoded from the file's own syntax. */
  transcodedFrom?: string;
  bytes: number;
  /** What identified the file's bytes when they were read for this send (fileStamp.ts); absent when nothing went out. */
  stamp?: string;
}

/** Options of one send. */
export interface SendOptions {
  callingAe: string;
  target: SendTarget;
  timeouts?: Partial<Timeouts>;
  maxPdu?: number;
  policy?: Partial<RetryPolicy>;
  /** Transcode when the peer refuses the file's own syntax (default true; lossless conversions only). */
  allowTranscode?: boolean;
  signal?: AbortSignal;
  /** Called once per input with its final result (also for inputs that fail before sending). */
  onResult(r: InstanceResult): void;
  /** Called when an instance starts going out. */
  onStart?(key: number): void;
  /** Byte progress within large files. */
  onBytes?(bytes: number): void;
}

/** What `sendFiles` returns. */
export interface SendSummary {
  success: number;
  warning: number;
  failed: number;
  /** How many inputs were not attempted because the signal fired (they have no result). */
  notSent: number;
  bytes: number;
  ms: number;
}

/** Sends `inputs` to the target; every input gets exactly one `onResult`, unless the signal stops it first. */
export async function sendFiles(inputs: SendInput[] | SendSource, opts: SendOptions): Promise<SendSummary> {
  const started = performance.now();
  const policy = { ...DEFAULT_POLICY, ...opts.policy };
  const summary: SendSummary = { success: 0, warning: 0, failed: 0, notSent: 0, bytes: 0, ms: 0 };
  const report = (r: InstanceResult) => {
    summary[r.state]++;
    summary.bytes += r.bytes;
    opts.onResult(r);
  };
  const source = Array.isArray(inputs) ? sourceOf(inputs) : inputs;
  const total = inputCount(source);

  // 1. Look at every file whose SOP class or syntax is not known (headers only), yielding now and then so a UI stays responsive.
  const checked: Item[] = [];
  for (let i = 0; i < source.unknown.length; i++) {
    if (opts.signal?.aborted) break;
    const input = source.unknown[i];
    const f = preflight(input.path);
    if (f.ok) checked.push({ input, planned: { sopClassUid: f.sopClassUid, transferSyntaxUid: f.transferSyntaxUid }, file: f, attempts: 0 });
    else report({ key: input.key, path: input.path, state: 'failed', status: null, message: f.reason, sopClassUid: f.sopClassUid, sopInstanceUid: f.sopInstanceUid, bytes: 0 });
    if (i % 256 === 255) await new Promise((r) => setImmediate(r));
  }

  // 2. Plan the contexts: the groups of items whose contexts fit in one association.
  const groups = groupsOf(source, checked);

  // 3. Send each group over up to maxAssociations associations.
  const parallel = Math.max(1, Math.min(opts.target.maxAssociations ?? 1, 16));
  for (const group of groups) {
    if (!hasItems(group)) continue;
    const workers = Math.max(1, Math.min(parallel, Math.ceil(group.size / 4)));
    await Promise.all(Array.from({ length: workers }, () => new AssociationWorker(group, opts, policy, report).run()));
    group.queue.length = 0;
    group.more = undefined;
  }
  summary.notSent = total - summary.success - summary.warning - summary.failed;
  summary.ms = Math.round(performance.now() - started);
  return summary;
}

/** Status text as the CLI and the UI show it. */
export const describeStatus = (code: number) => `${statusInfo(code).hex} ${statusInfo(code).meaning}`;
