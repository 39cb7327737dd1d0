/**
 * One association's worth of C-STORE (PS3.4 Annex B) from a group of items: a small pipeline whose
 * steps each item goes through, in order —
 *
 *   take → prepare (check the file, read its dataset into PDUs, stamp the bytes)
 *        → choose a context (the file's own syntax, else a lossless transcode, else why not)
 *        → store (and, once it is written, read the next item ahead: `readAhead`)
 *        → settle (a result per instance, or the instance queued again)
 *
 * An item read ahead while the peer stores the current one is handed to the association as a
 * follow-up, written the moment the current response arrives, so the peer's next message waits on
 * no JavaScript of ours; its response is settled in turn (`settleFollowUp`). The association is
 * opened (`connect`) when there is none, and released at the end (`finish`).
 */
import { readFileSync, statSync, type Stats } from 'node:fs';
import { dcmjs } from '../dicom/dcmjs.ts';
import { fsReason } from '../dicom/files.ts';
import { canTranscode, transcodeDataset } from '../dicom/transcode.ts';
import { DEFLATED_LE, EXPLICIT_LE, IMPLICIT_LE, transferSyntaxInfo } from '../dicom/transferSyntax.ts';
import { Association, discardPreloaded, preloadWith, type DimseResponse, type FramedDataset, type NegotiatedContext } from '../dimse/association.ts';
import { isOutOfResources } from '../dimse/command.ts';
import { AssociationRejected, DimseError, NotSent } from '../dimse/errors.ts';
import { bracketStamp, stampOf } from '../fileStamp.ts';
import { matchesStamp } from '../library/examine.ts';
import type { IndexedFile } from '../store/send.ts';
import { preflight, WHOLE_FILE, type SendableFile } from './preflight.ts';
import { hasItems, take, type Group, type Item } from './queue.ts';
import type { InstanceResult, RetryPolicy, SendOptions } from './sender.ts';

/** A readable name for a SOP class UID (from dcmjs's table). */
export const sopClassName = (uid: string) => dcmjs().data.DicomMetaDictionary.sopClassNamesByUID[uid] ?? uid;

/** Why a file failed its check, with what could be read of it. */
type CheckFailure = { reason: string; sopClassUid?: string; sopInstanceUid?: string };

/** An item prepared for an association: its dataset framed (when it goes out as it is), or why it cannot go. */
interface Prepared {
  it: Item | undefined;
  framed: FramedDataset | null;
  ctx?: NegotiatedContext;
  failed?: CheckFailure;
}

/** An item taken from the queue ahead of its turn: prepared, and perhaps already queued on the association. */
interface Ahead {
  it: Item;
  framed: FramedDataset | null;
  failed?: CheckFailure;
  /** Set when the item was handed to the association as a follow-up of the outstanding store. */
  followUp?: { response: Promise<DimseResponse>; ctx: NegotiatedContext; written: boolean };
}

/** What goes out for an item: the context, and the dataset when it is not the file's own bytes. */
interface Outgoing {
  ctx: NegotiatedContext;
  /** Transcoded or padded bytes; null: the file's bytes (framed ahead, or streamed). */
  dataset: Buffer | null;
  transcodedFrom?: string;
  /** What the result's message adds (" (decompressed from …)"). */
  note: string;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });

/** Sends a group's items over one association at a time until the group is empty, the signal fires, or no association can be had. */
export class AssociationWorker {
  private assoc: Association | null = null;
  /** The next item, taken and prepared while the peer stores the current one (disk and network overlap). */
  private next: Ahead | null = null;
  private readonly group: Group;
  private readonly opts: SendOptions;
  private readonly policy: RetryPolicy;
  private readonly report: (r: InstanceResult) => void;

  constructor(group: Group, opts: SendOptions, policy: RetryPolicy, report: (r: InstanceResult) => void) {
    this.group = group;
    this.opts = opts;
    this.policy = policy;
    this.report = report;
  }

  /** Runs the pipeline until the group is done; every item taken gets exactly one result, or goes back to the group. */
  async run(): Promise<void> {
    const onAbort = () => this.assoc?.withdrawFollowUp('the send was cancelled');
    this.opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      while ((this.next || hasItems(this.group)) && !this.opts.signal?.aborted) {
        const queued = this.next;
        if (queued?.followUp) {
          // Already on its way (or withdrawn): read the one after while the peer stores it.
          this.next = null;
          if (queued.followUp.written && this.assoc?.isOpen) this.readAhead(this.assoc);
          await this.settleFollowUp(queued);
          continue;
        }
        const assoc = this.assoc?.isOpen ? this.assoc : await this.connect();
        if (!assoc) return;
        const current: Prepared = this.next ?? { it: take(this.group), framed: null };
        this.next = null;
        if (!current.it) break;
        await this.send(assoc, current);
      }
    } finally {
      this.opts.signal?.removeEventListener('abort', onAbort);
      await this.finish();
    }
  }

  /** Opens an association for the group; null when none can be had (the group's remaining items then fail with why, unless another worker still sends). */
  private async connect(): Promise<Association | null> {
    this.putBackNext();
    if (this.assoc) this.group.active--;
    this.assoc = null;
    try {
      this.assoc = await openAssociation(this.group, this.opts, this.policy);
      this.group.active++;
      return this.assoc;
    } catch (err) {
      // Another worker still sends (the node may allow fewer associations than we tried): leave it the rest.
      if (this.group.active > 0) return null;
      // Nobody can send this group: every remaining item gets the reason.
      const message = err instanceof Error ? err.message : String(err);
      for (let it = take(this.group); it; it = take(this.group)) this.fail(it, message);
      return null;
    }
  }

  /** One item through prepare → choose a context → store → settle. */
  private async send(assoc: Association, current: Prepared): Promise<void> {
    const it = current.it!;
    if (!current.framed && !current.failed && !it.file) {
      // Nothing read ahead (an association's first store): prepared as every later one is.
      const r = this.prepare(assoc, it);
      current.framed = r.framed;
      current.failed = r.failed;
    }
    if (!current.failed && !it.file) {
      const c = check(it);
      if ('failed' in c) current.failed = c.failed;
    }
    if (current.failed || !it.file) {
      this.fail(it, current.failed?.reason ?? 'Not checked', null, current.failed);
      return;
    }
    const file: SendableFile = it.file;
    // Not read ahead: its bytes are read below (transcoded, padded) or as the store goes out, and stamped once the response is in.
    if (!current.framed) it.statBefore = { st: statOrNull(file.path), at: Date.now() };
    const out = await this.chooseContext(assoc, it, file);
    if (!out) return;
    // Framed ahead for the file's own syntax: sent only when that is what goes out.
    const framed = !out.dataset && out.ctx.transferSyntax === file.transferSyntaxUid ? current.framed : null;
    this.opts.onStart?.(it.input.key);
    it.attempts++;
    let rsp: DimseResponse;
    try {
      const source = out.dataset ?? framed ?? { path: file.path, offset: file.datasetOffset };
      rsp = await assoc.store(source, out.ctx.id, { sopClassUid: file.sopClassUid, sopInstanceUid: file.sopInstanceUid }, { afterWrite: () => this.readAhead(assoc) });
    } catch (err) {
      await this.storeFailed(it, err);
      return;
    }
    await this.settle(it, file, rsp, out);
  }

  /**
   * The context an item goes out in: its own syntax; else, when the peer refused that, a lossless
   * transcode to Explicit (or Implicit) VR Little Endian; a deflated stream of odd length padded.
   * Null (and the item failed with why) when none fits.
   */
  private async chooseContext(assoc: Association, it: Item, file: SendableFile): Promise<Outgoing | null> {
    const own = assoc.contextFor(file.sopClassUid, file.transferSyntaxUid);
    if (own) {
      if (!paddedWhenSent(file)) return { ctx: own, dataset: null, note: '' };
      const dataset = Buffer.concat([readFileSync(file.path).subarray(file.datasetOffset), Buffer.alloc(1)]);
      return { ctx: own, dataset, note: ' (odd-length deflated stream padded with one NUL, PS3.5 §A.5)' };
    }
    const transcoding = this.opts.allowTranscode !== false;
    if (transcoding) {
      for (const ts of [EXPLICIT_LE, IMPLICIT_LE]) {
        const ctx = assoc.contextFor(file.sopClassUid, ts);
        if (!ctx || !canTranscode(file.transferSyntaxUid, ts)) continue;
        try {
          const t = await transcodeDataset(file.path, file.size, ts);
          return { ctx, dataset: t.dataset, transcodedFrom: file.transferSyntaxUid, note: ` (${t.note})` };
        } catch (err) {
          this.fail(it, `Transcoding to ${transferSyntaxInfo(ts).name} failed: ${err instanceof Error ? err.message : String(err)}`);
          return null;
        }
      }
    }
    const changed = file.sopClassUid !== it.planned.sopClassUid || file.transferSyntaxUid !== it.planned.transferSyntaxUid;
    this.fail(
      it,
      changed
        ? `The file changed since it was queued (now ${sopClassName(file.sopClassUid)} in ${transferSyntaxInfo(file.transferSyntaxUid).name}): queue it again`
        : refusal(assoc, file, transcoding),
    );
    return null;
  }

  /**
   * Checks an item not yet checked and, when it goes out as it is, cuts its dataset into PDUs for
   * `a`: an indexed file still as indexed, and any larger file once its header is checked, are read
   * straight into the PDUs; a small file otherwise is read once for both the check and the send.
   * The bytes framed are stamped (fileStamp.ts); those read later are stamped after their store.
   */
  private prepare(a: Association, it: Item): Omit<Prepared, 'it'> {
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
  }

  /** While the peer stores the current item: takes and prepares the next; ready as it is, it is queued as a follow-up. */
  private readAhead(a: Association): void {
    if (this.next || this.opts.signal?.aborted) return;
    const it = take(this.group);
    if (!it) return;
    // Prepared now, while the peer stores the current one; a failure is reported when its turn comes.
    const { framed, ctx, failed } = this.prepare(a, it);
    const f = it.file;
    if (!(framed && ctx && f)) {
      this.next = { it, framed, failed };
      return;
    }
    // Ready as it is: the association writes it the moment the current store's response arrives.
    it.attempts++;
    const followUp = { response: null as unknown as Promise<DimseResponse>, ctx, written: false };
    const written = () => {
      followUp.written = true;
      this.opts.onStart?.(it.input.key);
    };
    followUp.response = a.store(framed, ctx.id, { sopClassUid: f.sopClassUid, sopInstanceUid: f.sopInstanceUid }, { followUp: true, afterWrite: written });
    followUp.response.catch(() => {}); // settled when its turn comes (settleFollowUp)
    this.next = { it, framed: null, followUp };
  }

  /** Reports a store's response (or queues the instance again when the peer is out of resources). */
  private async settle(it: Item, file: SendableFile, rsp: DimseResponse, out: Outgoing): Promise<void> {
    const status = rsp.status;
    if (isOutOfResources(status.code) && it.attempts < this.policy.instanceAttempts) {
      // Out of resources: later may work (PS3.4 B.2.3).
      this.group.queue.push(it);
      await sleep(this.policy.retryDelayMs, this.opts.signal);
      return;
    }
    const bytes = out.dataset ? out.dataset.length : file.size - file.datasetOffset;
    this.opts.onBytes?.(bytes);
    const before = it.statBefore;
    const stamp = before ? bracketStamp(before.st, statOrNull(file.path), before.at) : it.stamp;
    const comment = rsp.command.ErrorComment ? ` (${rsp.command.ErrorComment})` : '';
    this.report({
      key: it.input.key,
      path: file.path,
      state: status.category === 'success' ? 'success' : status.category === 'warning' ? 'warning' : 'failed',
      status: status.code,
      message: status.meaning + comment + out.note,
      sopClassUid: file.sopClassUid,
      sopInstanceUid: file.sopInstanceUid,
      transferSyntax: out.ctx.transferSyntax,
      transcodedFrom: out.transcodedFrom,
      bytes: status.category === 'failure' ? 0 : bytes,
      stamp,
    });
  }

  /** Waits for a follow-up store's response and settles it. */
  private async settleFollowUp(ahead: Ahead): Promise<void> {
    const { it, followUp } = ahead;
    let rsp: DimseResponse;
    try {
      rsp = await followUp!.response;
    } catch (err) {
      await this.storeFailed(it, err);
      return;
    }
    await this.settle(it, it.file!, rsp, { ctx: followUp!.ctx, dataset: null, note: '' });
  }

  /** A store that failed under the association: tried again on a new one, or failed for good. */
  private async storeFailed(it: Item, err: unknown): Promise<void> {
    if (err instanceof NotSent) {
      it.attempts--; // it never went out
      this.group.queue.unshift(it);
      return;
    }
    this.putBackNext();
    // A file system error (the file deleted or made unreadable since its check) in words, not ENOENT.
    const message = isFileError(err) ? `The file could not be read: ${fsReason(err)}` : err instanceof Error ? err.message : String(err);
    if (err instanceof DimseError && it.attempts < this.policy.instanceAttempts && !this.opts.signal?.aborted) {
      this.group.queue.unshift(it); // the association failed under it: try again on a new one
      await sleep(this.policy.retryDelayMs, this.opts.signal);
    } else this.fail(it, message);
  }

  /** At the end: a store queued behind the last one is taken back (or heard out), the rest goes back to the group, the association is released. */
  private async finish(): Promise<void> {
    const queued = this.next;
    if (queued?.followUp) {
      this.next = null;
      this.assoc?.withdrawFollowUp();
      await this.settleFollowUp(queued);
    }
    this.putBackNext();
    if (this.assoc) this.group.active--;
    if (this.assoc?.isOpen) await this.assoc.release().catch(() => {});
  }

  /** Puts the next item back in the queue, unless the association already holds it (then its response settles it). */
  private putBackNext(): void {
    if (this.next && !this.next.followUp) {
      this.group.queue.unshift(this.next.it);
      this.next = null;
    }
  }

  private fail(it: Item, message: string, status: number | null = null, ids?: { sopClassUid?: string; sopInstanceUid?: string }): void {
    this.report({
      key: it.input.key,
      path: it.input.path,
      state: 'failed',
      status,
      message,
      sopClassUid: it.file?.sopClassUid ?? ids?.sopClassUid,
      sopInstanceUid: it.file?.sopInstanceUid ?? ids?.sopInstanceUid,
      bytes: 0,
    });
  }
}

/** Checks an item not yet checked; returns its dataset bytes when small (in `buffer` if given), or a failure reason. */
function check(it: Item, buffer?: Buffer): { data: Buffer | null } | { failed: CheckFailure } {
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
}

/** An indexed file that is still as indexed, read straight into PDUs (one open, no parse, no copy); null otherwise. */
function frameIndexed(a: Association, it: Item): { file: SendableFile; framed: FramedDataset; ctx: NegotiatedContext } | null {
  const ix = it.input.indexed;
  if (!ix || it.file || paddedWhenSent(ix)) return null;
  const ctx = a.contextFor(ix.sopClassUid, ix.transferSyntaxUid);
  // The open file's stat, taken before its bytes are read: it is still as indexed, and it identifies the bytes sent.
  const accept = (st: Stats) => matchesStamp(st, ix) && Boolean((it.stamp = stampOf(st, Date.now())));
  const framed = ctx && a.frameFile(it.input.path, ix.datasetOffset, ix.size - ix.datasetOffset, ctx.id, accept);
  if (!ctx || !framed) return null;
  return { file: indexedFile(it.input.path, ix), framed, ctx };
}

/** Why no context fits an item, for its failure message. */
function refusal(assoc: Association, file: SendableFile, transcoding: boolean): string {
  const mine = [...assoc.contexts.values()].filter((c) => c.abstractSyntax === file.sopClassUid);
  const name = sopClassName(file.sopClassUid);
  if (mine.length && mine.every((c) => c.result === 3)) return `Refused: the peer does not support ${name} (abstract syntax not supported)`;
  if (mine.some((c) => c.result === 1)) return `Refused: the peer rejected ${name} (user rejection)`;
  const why = transcoding ? `Courier cannot convert ${transferSyntaxInfo(file.transferSyntaxUid).name} to it without loss` : 'transcoding is off';
  return `Refused: the peer accepts ${name} only in ${mine.filter((c) => c.accepted).map((c) => transferSyntaxInfo(c.transferSyntax).name).join(', ') || 'no transfer syntax we offered'}, and ${why}`;
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

/** An error of a file system call on a path (Node's errors name the path; a socket's do not). */
function isFileError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && typeof (err as NodeJS.ErrnoException).path === 'string';
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
