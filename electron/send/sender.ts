/**
 * Sending files with C-STORE (PS3.4 Annex B) to one node: presentation contexts per SOP class with
 * the file's own transfer syntax first, the file's dataset bytes streamed as they are when that
 * syntax is accepted, several associations in parallel when the node allows, and a result per
 * instance (DIMSE status and its meaning) however the association ends.
 *
 * Contexts (PS3.8 §9.3.2.2, PS3.7 Annex D.2): each proposed context carries one transfer syntax,
 * so whether the peer takes the file's own syntax never depends on the peer's order of preference;
 * Explicit and Implicit VR Little Endian are proposed beside it for transcoding, which happens only
 * when the file's own syntax is refused.
 */
import type { TlsCredentials } from '../dimse/tls.ts';
import type { IndexedFile } from '../store/send.ts';
import { dcmjs } from '../dicom/dcmjs.ts';
import { Association, discardPreloaded, preloadWith, type DimseResponse, type NegotiatedContext, type FramedDataset, type Timeouts } from '../dimse/association.ts';
import { isOutOfResources, statusInfo } from '../dimse/command.ts';
import { AssociationRejected, DimseError, NotSent } from '../dimse/errors.ts';
import { readFileSync, statSync, type Stats } from 'node:fs';
import { bracketStamp, stampOf } from '../fileStamp.ts';
import { matchesStamp } from '../library/examine.ts';
import { DEFLATED_LE, EXPLICIT_LE, IMPLICIT_LE, transferSyntaxInfo } from '../dicom/transferSyntax.ts';
import { preflight, WHOLE_FILE, type SendableFile } from './preflight.ts';
import { canTranscode, transcodeDataset } from '../dicom/transcode.ts';

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

/** A readable name for a SOP class UID (from dcmjs's table). */
export const sopClassName = (uid: string) => dcmjs().data.DicomMetaDictionary.sopClassNamesByUID[uid] ?? uid;

/** Why a file failed its check, with what could be read of it. */
type CheckFailure = { reason: string; sopClassUid?: string; sopInstanceUid?: string };

interface Item {
  input: SendInput;
  /** SOP class and transfer syntax the contexts were planned for. */
  planned: { sopClassUid: string; transferSyntaxUid: string };
  /** Set once the file was checked (preflight). */
  file: SendableFile | null;
  attempts: number;
  /** What identified the bytes read for the latest send (fileStamp.ts). */
  stamp?: string;
  /** The path's stat before bytes still to be read as the store goes out (streamed, transcoded): the stamp is taken after. */
  statBefore?: { st: Stats | null; at: number };
}

interface Group {
  contexts: { abstractSyntax: string; transferSyntaxes: string[] }[];
  /** Items taken and not yet sent (and those to send again). */
  queue: Item[];
  /** The rest of the group's items, a page at a time (`take`); absent once all were taken. */
  more?: () => Item[];
  /** Items in the group in all, for how many associations it is worth. */
  size: number;
  /** Workers holding an open association. */
  active: number;
}

/** Inputs taken from a `SendSource` at a time: a small first page starts the first association sooner. */
const PAGE = 64;

/** Largest contexts per association (PS3.8: odd ids 1–255). */
const MAX_CONTEXTS = 128;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });

/** The contexts for one SOP class and the file syntaxes seen for it. */
function contextsFor(sopClass: string, syntaxes: Set<string>): { abstractSyntax: string; transferSyntaxes: string[] }[] {
  const list = [...syntaxes];
  for (const ts of [EXPLICIT_LE, IMPLICIT_LE]) if (!syntaxes.has(ts)) list.push(ts);
  return list.map((ts) => ({ abstractSyntax: sopClass, transferSyntaxes: [ts] }));
}

/**
 * Splits the SOP classes (each with the syntaxes its items are in) into groups whose contexts fit
 * in one association, each group with the items of its classes.
 */
function plan(kinds: Map<string, Set<string>>, items: Item[]): Group[] {
  const itemsOf = new Map<string, Item[]>();
  for (const it of items) {
    const mine = itemsOf.get(it.planned.sopClassUid);
    if (mine) mine.push(it);
    else itemsOf.set(it.planned.sopClassUid, [it]);
  }
  const groups: Group[] = [];
  let current: Group = { contexts: [], queue: [], size: 0, active: 0 };
  for (const [sopClass, syntaxes] of kinds) {
    const ctxs = contextsFor(sopClass, syntaxes);
    if (current.contexts.length + ctxs.length > MAX_CONTEXTS && current.contexts.length) {
      groups.push(current);
      current = { contexts: [], queue: [], size: 0, active: 0 };
    }
    const mine = itemsOf.get(sopClass) ?? [];
    current.contexts.push(...ctxs.slice(0, MAX_CONTEXTS));
    current.queue.push(...mine);
    current.size += mine.length;
  }
  if (current.queue.length) groups.push(current);
  return groups;
}

/** True while the group has items left to send, taking the next page of its source once its queue is empty. */
function hasItems(group: Group): boolean {
  if (!group.queue.length && group.more) {
    const page = group.more();
    if (page.length) group.queue.push(...page);
    else group.more = undefined;
  }
  return group.queue.length > 0;
}

/** The next item of a group (taking the next page of its source when needed). */
const take = (group: Group): Item | undefined => (hasItems(group) ? group.queue.shift() : undefined);

/** How many inputs a source holds in all. */
export const inputCount = (source: SendSource): number => source.unknown.length + source.kinds.reduce((n, k) => n + k.count, 0);

/** An array of inputs as a source. */
function sourceOf(inputs: SendInput[]): SendSource {
  const unknown: SendInput[] = [];
  const known: SendInput[] = [];
  const kinds = new Map<string, SendSource['kinds'][number]>();
  for (const i of inputs) {
    if (!i.sopClassUid || !i.transferSyntaxUid) {
      unknown.push(i);
      continue;
    }
    known.push(i);
    const key = `${i.sopClassUid}\\${i.transferSyntaxUid}`;
    const k = kinds.get(key);
    if (k) k.count++;
    else kinds.set(key, { sopClassUid: i.sopClassUid, transferSyntaxUid: i.transferSyntaxUid, count: 1 });
  }
  let at = 0;
  return { unknown, kinds: [...kinds.values()], next: (n) => known.slice(at, (at += n)) };
}

/** An input whose SOP class and transfer syntax are known, as an item planned for them. */
const knownItem = (input: SendInput): Item => ({ input, planned: { sopClassUid: input.sopClassUid!, transferSyntaxUid: input.transferSyntaxUid! }, file: null, attempts: 0 });

/** Why no context fits an item, for its failure message. */
function refusal(assoc: Association, file: SendableFile, transcoding: boolean): string {
  const mine = [...assoc.contexts.values()].filter((c) => c.abstractSyntax === file.sopClassUid);
  const name = sopClassName(file.sopClassUid);
  if (mine.length && mine.every((c) => c.result === 3)) return `Refused: the peer does not support ${name} (abstract syntax not supported)`;
  if (mine.some((c) => c.result === 1)) return `Refused: the peer rejected ${name} (user rejection)`;
  const why = transcoding ? `Courier cannot convert ${transferSyntaxInfo(file.transferSyntaxUid).name} to it without loss` : 'transcoding is off';
  return `Refused: the peer accepts ${name} only in ${mine.filter((c) => c.accepted).map((c) => transferSyntaxInfo(c.transferSyntax).name).join(', ') || 'no transfer syntax we offered'}, and ${why}`;
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

  // 2. Plan the contexts: one association's worth (the usual case) takes the rest a page at a time;
  // more SOP classes than that are split into groups, each sent in turn, with every input in memory.
  const kinds = new Map<string, Set<string>>();
  const addKind = (sopClass: string, syntax: string) => {
    let syntaxes = kinds.get(sopClass);
    if (!syntaxes) kinds.set(sopClass, (syntaxes = new Set()));
    syntaxes.add(syntax);
  };
  for (const k of source.kinds) addKind(k.sopClassUid, k.transferSyntaxUid);
  for (const it of checked) addKind(it.planned.sopClassUid, it.planned.transferSyntaxUid);
  const contexts = [...kinds].flatMap(([sopClass, syntaxes]) => contextsFor(sopClass, syntaxes));
  let groups: Group[];
  if (contexts.length <= MAX_CONTEXTS) {
    groups = [{ contexts, queue: checked, more: () => source.next(PAGE).map(knownItem), size: total, active: 0 }];
  } else {
    const items = checked;
    for (let page = source.next(PAGE * 16); page.length; page = source.next(PAGE * 16)) items.push(...page.map(knownItem));
    groups = plan(kinds, items);
  }

  // 3. Send each group over up to maxAssociations associations.
  const parallel = Math.max(1, Math.min(opts.target.maxAssociations ?? 1, 16));
  for (const group of groups) {
    if (!hasItems(group)) continue;
    const workers = Math.max(1, Math.min(parallel, Math.ceil(group.size / 4)));
    await Promise.all(Array.from({ length: workers }, () => worker(group, opts, policy, report)));
    group.queue.length = 0;
    group.more = undefined;
  }
  summary.notSent = total - summary.success - summary.warning - summary.failed;
  summary.ms = Math.round(performance.now() - started);
  return summary;
}

/** An item taken from the queue ahead of its turn: checked, framed, and perhaps already queued on the association. */
interface Ahead {
  it: Item;
  framed: FramedDataset | null;
  failed?: CheckFailure;
  /** Set when the item was handed to the association as a follow-up of the outstanding store. */
  followUp?: { response: Promise<DimseResponse>; ctx: NegotiatedContext; written: boolean };
}

async function worker(group: Group, opts: SendOptions, policy: RetryPolicy, report: (r: InstanceResult) => void): Promise<void> {
  let assoc: Association | null = null;
  const fail = (it: Item, message: string, status: number | null = null, ids?: { sopClassUid?: string; sopInstanceUid?: string }) =>
    report({
      key: it.input.key,
      path: it.input.path,
      state: 'failed',
      status,
      message,
      sopClassUid: it.file?.sopClassUid ?? ids?.sopClassUid,
      sopInstanceUid: it.file?.sopInstanceUid ?? ids?.sopInstanceUid,
      bytes: 0,
    });
  /** Checks an item not yet checked; returns its dataset bytes when small (in `buffer` if given), or a failure reason. */
  const check = (it: Item, buffer?: Buffer): { data: Buffer | null } | { failed: CheckFailure } => {
    if (it.file) return { data: null };
    if (it.input.indexed && stillIndexed(it.input.path, it.input.indexed)) {
      it.file = indexedFile(it.input.path, it.input.indexed);
      return { data: null };
    }
    const f = preflight(it.input.path, { buffer });
    if (!f.ok) return { failed: f };
    const { data, ...file } = f;
    it.file = file;
    return { data: data ?? null };
  };
  // The next item, taken and checked while the peer stores the current one (disk and network overlap).
  let next: Ahead | null = null;
  // (read through a function: TypeScript does not see the closures above assign it)
  const peekNext = (): Ahead | null => next;
  /** Puts the next item back in the queue, unless the association already holds it (then its response settles it). */
  const putBackNext = () => {
    if (next && !next.followUp) {
      group.queue.unshift(next.it);
      next = null;
    }
  };
  /** An indexed file that is still as indexed, read straight into PDUs (one open, no parse, no copy); null otherwise. */
  const frameIndexed = (a: Association, it: Item): { file: SendableFile; framed: FramedDataset; ctx: NegotiatedContext } | null => {
    const ix = it.input.indexed;
    if (!ix || it.file || paddedWhenSent(ix)) return null;
    const ctx = a.contextFor(ix.sopClassUid, ix.transferSyntaxUid);
    // The open file's stat, taken before its bytes are read: it is still as indexed, and it identifies the bytes sent.
    const accept = (st: Stats) => matchesStamp(st, ix) && Boolean((it.stamp = stampOf(st, Date.now())));
    const framed = ctx && a.frameFile(it.input.path, ix.datasetOffset, ix.size - ix.datasetOffset, ctx.id, accept);
    if (!ctx || !framed) return null;
    return { file: indexedFile(it.input.path, ix), framed, ctx };
  };
  /**
   * Checks an item not yet checked and, when it goes out as it is, cuts its dataset into PDUs for
   * `a`: an indexed file still as indexed, and any larger file once its header is checked, are read
   * straight into the PDUs; a small file otherwise is read once for both the check and the send.
   */
  const ready = (a: Association, it: Item): { framed: FramedDataset | null; ctx?: NegotiatedContext; failed?: CheckFailure } => {
    const indexed = frameIndexed(a, it);
    if (indexed) {
      it.file = indexed.file;
      it.statBefore = undefined;
      return { framed: indexed.framed, ctx: indexed.ctx };
    }
    let failed: CheckFailure | undefined;
    // Read through other opens than ours: a stat of the path before and after brackets the read.
    const before = { st: statOrNull(it.input.path), at: Date.now() };
    const pre = preloadWith((buffer) => {
      const c = check(it, buffer.subarray(0, WHOLE_FILE));
      if ('failed' in c) {
        failed = c.failed;
        return null;
      }
      return c.data;
    });
    const f = it.file;
    const ctx = f && !paddedWhenSent(f) ? a.contextFor(f.sopClassUid, f.transferSyntaxUid) : undefined;
    let framed: FramedDataset | null = null;
    if (pre && ctx) framed = a.frame(pre, ctx.id);
    else if (pre) discardPreloaded(pre);
    else if (f && ctx) framed = a.frameFile(f.path, f.datasetOffset, f.size - f.datasetOffset, ctx.id);
    if (framed) {
      it.stamp = bracketStamp(before.st, statOrNull(it.input.path), before.at);
      it.statBefore = undefined;
    } else {
      // Read as the store goes out (or transcoded first): stamped once the response is in.
      it.stamp = undefined;
      it.statBefore = before;
    }
    return { framed, ctx, failed };
  };
  const prefetch = (a: Association) => {
    if (next || opts.signal?.aborted) return;
    const it = take(group);
    if (!it) return;
    // Checked and framed now, while the peer stores the current one; a failure is reported when its turn comes.
    const { framed, ctx, failed } = ready(a, it);
    const f = it.file;
    if (framed && ctx && f) {
      // Ready as it is: the association writes it the moment the current store's response arrives.
      it.attempts++;
      const followUp = { response: null as unknown as Promise<DimseResponse>, ctx, written: false };
      const written = () => {
        followUp.written = true;
        opts.onStart?.(it.input.key);
      };
      followUp.response = a.store(framed, ctx.id, { sopClassUid: f.sopClassUid, sopInstanceUid: f.sopInstanceUid }, { followUp: true, afterWrite: written });
      followUp.response.catch(() => {}); // settled when its turn comes (settleFollowUp)
      next = { it, framed: null, followUp };
    } else next = { it, framed, failed };
  };
  /** Reports a store's response (or queues the instance again when the peer is out of resources). */
  const settle = async (it: Item, file: SendableFile, rsp: DimseResponse, ctx: NegotiatedContext, sent: { dataset: Buffer | null; transcodedFrom?: string; note: string }) => {
    const status = rsp.status;
    if (isOutOfResources(status.code) && it.attempts < policy.instanceAttempts) {
      // Out of resources: later may work (PS3.4 B.2.3).
      group.queue.push(it);
      await sleep(policy.retryDelayMs, opts.signal);
      return;
    }
    const bytes = sent.dataset ? sent.dataset.length : file.size - file.datasetOffset;
    opts.onBytes?.(bytes);
    const before = it.statBefore;
    const stamp = before ? bracketStamp(before.st, statOrNull(file.path), before.at) : it.stamp;
    const comment = rsp.command.ErrorComment ? ` (${rsp.command.ErrorComment})` : '';
    report({
      key: it.input.key,
      path: file.path,
      state: status.category === 'success' ? 'success' : status.category === 'warning' ? 'warning' : 'failed',
      status: status.code,
      message: status.meaning + comment + sent.note,
      sopClassUid: file.sopClassUid,
      sopInstanceUid: file.sopInstanceUid,
      transferSyntax: ctx.transferSyntax,
      transcodedFrom: sent.transcodedFrom,
      bytes: status.category === 'failure' ? 0 : bytes,
      stamp,
    });
  };
  /** A store that failed under the association: tried again on a new one, or failed for good. */
  const storeFailed = async (it: Item, err: unknown) => {
    if (err instanceof NotSent) {
      it.attempts--; // it never went out
      group.queue.unshift(it);
      return;
    }
    putBackNext();
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof DimseError && it.attempts < policy.instanceAttempts && !opts.signal?.aborted) {
      group.queue.unshift(it); // the association failed under it: try again on a new one
      await sleep(policy.retryDelayMs, opts.signal);
    } else fail(it, message);
  };
  /** Waits for a follow-up store's response and settles it. */
  const settleFollowUp = async (ahead: Ahead) => {
    const { it, followUp } = ahead;
    let rsp: DimseResponse;
    try {
      rsp = await followUp!.response;
    } catch (err) {
      await storeFailed(it, err);
      return;
    }
    await settle(it, it.file!, rsp, followUp!.ctx, { dataset: null, note: '' });
  };
  const onAbort = () => assoc?.withdrawFollowUp('the send was cancelled');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    while ((next || hasItems(group)) && !opts.signal?.aborted) {
      const queued = peekNext();
      if (queued?.followUp) {
        // Already on its way (or withdrawn): read the one after while the peer stores it.
        const ahead: Ahead = queued;
        next = null;
        if (ahead.followUp!.written && assoc?.isOpen) prefetch(assoc);
        await settleFollowUp(ahead);
        continue;
      }
      if (!assoc || !assoc.isOpen) {
        putBackNext();
        if (assoc) group.active--;
        assoc = null;
        try {
          assoc = await openAssociation(group, opts, policy);
          group.active++;
        } catch (err) {
          // Another worker still sends (the node may allow fewer associations than we tried): leave it the rest.
          if (group.active > 0) return;
          // Nobody can send this group: every remaining item gets the reason.
          const message = err instanceof Error ? err.message : String(err);
          for (let it = take(group); it; it = take(group)) fail(it, message);
          return;
        }
      }
      const current: { it: Item | undefined; framed: FramedDataset | null; failed?: CheckFailure } = peekNext() ?? { it: take(group), framed: null };
      next = null;
      const it = current.it;
      if (!it) break;
      if (!current.framed && !current.failed && !it.file) {
        // Nothing read ahead (an association's first store): checked and framed as every later one is.
        const r = ready(assoc, it);
        current.framed = r.framed;
        current.failed = r.failed;
      }
      if (!current.failed && !it.file) {
        const c = check(it);
        if ('failed' in c) current.failed = c.failed;
      }
      if (current.failed || !it.file) {
        fail(it, current.failed?.reason ?? 'Not checked', null, current.failed);
        continue;
      }
      const file: SendableFile = it.file;
      // Not read ahead: its bytes are read below (transcoded, padded) or as the store goes out, and stamped once the response is in.
      if (!current.framed) it.statBefore = { st: statOrNull(file.path), at: Date.now() };
      let ctx: NegotiatedContext | undefined = assoc.contextFor(file.sopClassUid, file.transferSyntaxUid);
      let dataset: Buffer | null = null;
      let transcodedFrom: string | undefined;
      let note = '';
      if (!ctx && opts.allowTranscode !== false) {
        for (const ts of [EXPLICIT_LE, IMPLICIT_LE]) {
          const c = assoc.contextFor(file.sopClassUid, ts);
          if (c && canTranscode(file.transferSyntaxUid, ts)) {
            try {
              const t = await transcodeDataset(file.path, file.size, ts);
              dataset = t.dataset;
              note = ` (${t.note})`;
              ctx = c;
              transcodedFrom = file.transferSyntaxUid;
            } catch (err) {
              fail(it, `Transcoding to ${transferSyntaxInfo(ts).name} failed: ${err instanceof Error ? err.message : String(err)}`);
              ctx = undefined;
              transcodedFrom = 'failed';
            }
            break;
          }
        }
        if (transcodedFrom === 'failed') continue;
      }
      // Framed ahead for the file's own syntax: sent only when that is what goes out.
      const framed = !dataset && ctx && ctx.transferSyntax === file.transferSyntaxUid ? current.framed : null;
      if (!ctx) {
        const changed = file.sopClassUid !== it.planned.sopClassUid || file.transferSyntaxUid !== it.planned.transferSyntaxUid;
        fail(it, changed ? `The file changed since it was queued (now ${sopClassName(file.sopClassUid)} in ${transferSyntaxInfo(file.transferSyntaxUid).name}): queue it again` : refusal(assoc, file, opts.allowTranscode !== false));
        continue;
      }
      if (!dataset && paddedWhenSent(file)) {
        dataset = Buffer.concat([readFileSync(file.path).subarray(file.datasetOffset), Buffer.alloc(1)]);
        note = ' (odd-length deflated stream padded with one NUL, PS3.5 §A.5)';
      }
      opts.onStart?.(it.input.key);
      it.attempts++;
      let rsp: DimseResponse;
      try {
        const a: Association = assoc;
        const source = dataset ?? framed ?? { path: file.path, offset: file.datasetOffset };
        rsp = await a.store(
          source,
          ctx.id,
          { sopClassUid: file.sopClassUid, sopInstanceUid: file.sopInstanceUid },
          { afterWrite: () => prefetch(a) },
        );
      } catch (err) {
        await storeFailed(it, err);
        continue;
      }
      await settle(it, file, rsp, ctx, { dataset, transcodedFrom, note });
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    const queued = peekNext();
    if (queued?.followUp) {
      // Stopped with a store queued behind the last one: take it back, or hear how it went.
      const ahead: Ahead = queued;
      next = null;
      assoc?.withdrawFollowUp();
      await settleFollowUp(ahead);
    }
    putBackNext();
    if (assoc) group.active--;
    if (assoc?.isOpen) await assoc.release().catch(() => {});
  }
}

async function openAssociation(group: Group, opts: SendOptions, policy: RetryPolicy): Promise<Association> {
  let last: unknown;
  for (let attempt = 1; attempt <= policy.associationAttempts; attempt++) {
    if (opts.signal?.aborted) throw new DimseError('Cancelled');
    try {
      return await Association.connect({
        host: opts.target.host,
        port: opts.target.port,
        callingAe: opts.callingAe,
        calledAe: opts.target.aeTitle,
        contexts: group.contexts,
        maxPdu: opts.maxPdu,
        timeouts: opts.timeouts,
        signal: opts.signal,
        tls: opts.target.tls,
      });
    } catch (err) {
      last = err;
      if (err instanceof AssociationRejected && !err.transient) break; // permanent: trying again will not help
      if (attempt < policy.associationAttempts) await sleep(policy.retryDelayMs * attempt, opts.signal);
    }
  }
  throw last instanceof Error ? last : new DimseError(String(last));
}

/**
 * A deflated stream of odd length (PS3.5 §A.5): it goes out with one trailing NUL (DCMTK refuses
 * odd fragments), so it is never sent from the file's bytes as they are.
 */
function paddedWhenSent(f: { transferSyntaxUid: string; size: number; datasetOffset: number }): boolean {
  return f.transferSyntaxUid === DEFLATED_LE && (f.size - f.datasetOffset) % 2 === 1;
}

/** The file as the library indexed it (and checked it for sending). */
function indexedFile(path: string, ix: IndexedFile): SendableFile {
  return { ok: true, path, size: ix.size, datasetOffset: ix.datasetOffset, transferSyntaxUid: ix.transferSyntaxUid, sopClassUid: ix.sopClassUid, sopInstanceUid: ix.sopInstanceUid };
}

/** The stat of `path`, or null when it cannot be read. */
function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** True when the file at `path` is still the one the library indexed (same size and mtime); false if it changed or is gone. */
function stillIndexed(path: string, ix: IndexedFile): boolean {
  try {
    return matchesStamp(statSync(path), ix);
  } catch {
    return false;
  }
}

/** Status text as the CLI and the UI show it. */
export const describeStatus = (code: number) => `${statusInfo(code).hex} ${statusInfo(code).meaning}`;
