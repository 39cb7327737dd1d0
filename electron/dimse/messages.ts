/**
 * DIMSE messages on an established association (PS3.7 §9.3, Annex F): our requests and the
 * responses they wait for, the peer's requests and our answers, and the reassembly of incoming
 * command and dataset fragments into whole messages.
 *
 * One association carries one outgoing message at a time (no asynchronous operations window), but
 * requests from the peer (an N-EVENT-REPORT on the SCU's association) are answered by `onRequest`
 * at any time, their responses queued behind the message being written.
 */
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { AbortReason, PduError, type Pdv } from './pdu.ts';
import { CommandField, NO_DATASET, commandName, decodeCommand, hasDataset, isOutOfResources, isResponse, statusInfo, type Command, type StatusInfo } from './command.ts';
import { DimseError, NotNegotiated, NotSent, Timeout } from './errors.ts';
import { openSource, type DatasetSource, type FramedDataset, type Framer, type OpenSource } from './framing.ts';
import type { Transport } from './transport.ts';
import type { UpperLayer } from './stateMachine.ts';
import type { Association, NegotiatedContext } from './association.ts';
import { INBOUND_BLOCK, MAX_COMMAND_BYTES, MAX_MEMORY_DATASET, inboundMemory } from './limits.ts';

/** A request that arrived from the peer. */
export interface IncomingRequest {
  command: Command;
  contextId: number;
  abstractSyntax: string;
  transferSyntax: string;
  /** The dataset, for requests whose dataset is kept in memory. */
  dataset?: Buffer;
  /** The dataset as a file, for C-STORE when a `storeTo` sink is set; removed after the handler returns unless moved. */
  datasetPath?: string;
  /** The association it arrived on. */
  association: Association;
}

/** The reply to an incoming request: a status, extra response fields and an optional dataset. */
export interface Reply {
  status: number;
  fields?: Partial<Command>;
  dataset?: Buffer;
}

/** Handles an incoming request; a throw becomes status 0x0110 Processing failure. */
export type RequestHandler = (req: IncomingRequest) => Reply | Promise<Reply>;

/** A response to one of our requests. */
export interface DimseResponse {
  command: Command;
  status: StatusInfo;
  dataset?: Buffer;
}

/** Per-request options. */
export interface RequestOptions {
  /** Response timeout for this request (default: the association's). */
  timeoutMs?: number;
  /** Called once the message is written, while the response is awaited. */
  afterWrite?: () => void;
  /**
   * With a request outstanding: queue this one (its dataset framed ahead) to be written the moment
   * that response arrives, inside the same read, so the peer's next message waits on no JavaScript
   * of ours. Without an outstanding request it goes out at once as usual. A follow-up that never
   * went out (withdrawn, the association ended, or the peer answered "out of resources", PS3.4
   * B.2.3) rejects with `NotSent`.
   */
  followUp?: boolean;
}

interface Pending {
  resolve: (r: DimseResponse) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | null;
}

/**
 * A peer whose requests keep failing (forged storage commitment reports, stores of what we do not
 * take) gets FAILURE_BURST failure answers at once, then FAILURES_PER_SECOND: its next request
 * waits its turn until then. Legitimate peers fail now and then; a flood of failures must not hold the event loop.
 */
const FAILURE_BURST = 20;
const FAILURES_PER_SECOND = 20;

/** Requests of the peer's that may wait their turn (sent without waiting for our answers); one more aborts. */
const MAX_QUEUED_REQUESTS = 16;

/** A request waiting for the outstanding response before it is written (`RequestOptions.followUp`). */
interface FollowUp {
  messageId: number;
  write: () => void;
}

/**
 * Bytes that arrive piece by piece, copied into blocks as they come and joined once whole. The
 * blocks are the process's (`inboundMemory.block()`, counted by the association through `capacity`):
 * given back the moment the bytes are joined or the message abandoned, and used again, so a peer
 * that keeps sending leaves no garbage behind and what is held stays within INBOUND_MEMORY_LIMIT.
 */
class Gathered {
  private blocks: Buffer[] = [];
  /** Bytes gathered. */
  length = 0;

  /** Memory held for them. */
  get capacity(): number {
    return this.blocks.length * INBOUND_BLOCK;
  }

  /** Adds a copy of `data` (it may lie in a read buffer that is reused). */
  append(data: Uint8Array): void {
    for (let at = 0; at < data.length; ) {
      const used = this.length % INBOUND_BLOCK;
      if (used === 0 && this.length === this.blocks.length * INBOUND_BLOCK) this.blocks.push(inboundMemory.block());
      const n = Math.min(INBOUND_BLOCK - used, data.length - at);
      this.blocks[this.blocks.length - 1].set(data.subarray(at, at + n), used);
      this.length += n;
      at += n;
    }
  }

  /** The bytes gathered, in one buffer of their own; the blocks go back. */
  bytes(): Buffer {
    const all = Buffer.allocUnsafe(this.length);
    for (let i = 0, at = 0; at < this.length; i++, at += INBOUND_BLOCK) this.blocks[i].copy(all, at, 0, Math.min(INBOUND_BLOCK, this.length - at));
    this.release();
    return all;
  }

  /** Gives the blocks back (the bytes are joined, or no longer wanted). */
  release(): void {
    for (const b of this.blocks) inboundMemory.giveBack(b);
    this.blocks = [];
    this.length = 0;
  }
}

/** A message being received: its command fragments, then its dataset (in memory or a file). */
interface Inbound {
  contextId: number;
  /** Command fragments so far, when the command came in more than one. */
  commandParts: Gathered | null;
  command?: Command;
  /** The dataset so far, when kept in memory. */
  dataset: Gathered;
  fileFd?: number;
  filePath?: string;
}

/** The DIMSE message exchange of one association. */
export class MessageExchange {
  private readonly association: Association;
  private readonly layer: UpperLayer;
  private readonly transport: Transport;
  private readonly framer: Framer;
  private readonly responseTimeout: number;
  private readonly pending = new Map<number, Pending>();
  private nextMessageId = 1;
  private inbound: Inbound | null = null;
  private writeChain: Promise<void> = Promise.resolve();
  /** Writes queued on writeChain and not finished: a follow-up is written at once only when none are. */
  private writesInFlight = 0;
  private followUp: FollowUp | null = null;
  /** 1 while an incoming request is being answered. */
  private answering = 0;
  /** Requests that came in while another was answered, waiting their turn (a dataset kept in memory stays in its blocks until then). */
  private queued: { req: IncomingRequest; data: Gathered | null }[] = [];
  /** Failures we may answer before the peer is slowed down (FAILURES_PER_SECOND, up to FAILURE_BURST), and when that was counted. */
  private failureCredit = FAILURE_BURST;
  private creditAt = 0;
  /** The peer's next request waits: it is being slowed down, its requests keep failing. */
  private slowedDown = false;

  constructor(association: Association, layer: UpperLayer, transport: Transport, framer: Framer, responseTimeout: number) {
    this.association = association;
    this.layer = layer;
    this.transport = transport;
    this.framer = framer;
    this.responseTimeout = responseTimeout;
  }

  /** Sends a request on `contextId`; MessageID is assigned here. Resolves with the response. */
  async request(command: Command, contextId: number, dataset?: DatasetSource, opts: RequestOptions = {}): Promise<DimseResponse> {
    const timeoutMs = opts.timeoutMs ?? this.responseTimeout;
    if (this.layer.state !== 'established') throw this.layer.failure ?? new NotNegotiated('The association is not open');
    const ctx = this.association.contexts.get(contextId);
    if (!ctx?.accepted) throw new NotNegotiated(`Presentation context ${contextId} was not accepted`);
    const messageId = this.nextMessageId;
    this.nextMessageId = this.nextMessageId >= 0xffff ? 1 : this.nextMessageId + 1;
    const cmd: Command = { ...command, MessageID: messageId, CommandDataSetType: dataset ? 0x0000 : NO_DATASET };
    const follows = opts.followUp && this.pending.size > 0 && !this.followUp && dataset && typeof dataset === 'object' && 'framedFor' in dataset;
    if (follows) this.checkFramed(dataset as FramedDataset, contextId);
    const response = new Promise<DimseResponse>((resolve, reject) => {
      this.pending.set(messageId, { resolve, reject, timer: null });
    });
    response.catch(() => {}); // the caller gets the rejection; never unhandled here
    const written = () => {
      this.layer.touch();
      this.armResponseTimer(messageId, timeoutMs);
      // While the peer works on this message: e.g. read the next file (overlaps disk and network).
      if (opts.afterWrite) {
        try {
          opts.afterWrite();
        } catch {
          // the caller's business; never the association's
        }
      }
    };
    if (follows) {
      // Everything is encoded now; the write waits only for the outstanding response (dispatch).
      const framed = dataset as FramedDataset;
      const pdus = this.framer.commandPdus(cmd, contextId);
      this.followUp = {
        messageId,
        write: () => {
          this.writeFramed(pdus, framed, contextId);
          written();
        },
      };
      return response;
    }
    try {
      await this.enqueueWrite(async () => {
        await this.writeMessage(cmd, contextId, dataset);
        written();
      });
    } catch (err) {
      const p = this.pending.get(messageId);
      this.pending.delete(messageId);
      if (p?.timer) clearTimeout(p.timer);
      throw err;
    }
    return response;
  }

  /** Takes back a follow-up request not yet written (it rejects with `NotSent`); false if there is none. */
  withdrawFollowUp(why: string): boolean {
    const f = this.followUp;
    if (!f) return false;
    this.followUp = null;
    const p = this.pending.get(f.messageId);
    this.pending.delete(f.messageId);
    p?.reject(new NotSent(`Not sent: ${why}`));
    return true;
  }

  /** Resolves once every message queued so far is written (or failed). */
  settled(): Promise<void> {
    return this.writeChain.catch(() => {});
  }

  /**
   * A fragment of an incoming message (PS3.8 §9.3.5.1), or a piece of one (PduReader); the message
   * goes to `dispatch` once whole. Its bytes may lie in a read buffer that is reused: what is kept is copied.
   */
  onPdv(pdv: Pdv): void {
    const ctx = this.association.contexts.get(pdv.contextId);
    if (!ctx?.accepted) throw new PduError(`PDV on presentation context ${pdv.contextId}, which was not accepted`, AbortReason.InvalidPduParameterValue);
    let m = this.inbound;
    if (!m) {
      if (!pdv.command) throw new PduError('dataset fragment without a command', AbortReason.UnexpectedPduParameter);
      m = this.inbound = { contextId: pdv.contextId, commandParts: null, dataset: new Gathered() };
    }
    if (pdv.contextId !== m.contextId) throw new PduError('message fragments on different presentation contexts', AbortReason.InvalidPduParameterValue);
    if (pdv.command) {
      if (m.command) throw new PduError('command fragment after the command was complete', AbortReason.UnexpectedPduParameter);
      if ((m.commandParts?.length ?? 0) + pdv.data.length > MAX_COMMAND_BYTES) {
        throw new PduError(`command set longer than ${MAX_COMMAND_BYTES} bytes`, AbortReason.InvalidPduParameterValue);
      }
      if (pdv.last && !m.commandParts) {
        // The usual case, a command in one fragment: decoded where it lies (its values are copied out).
        m.command = decodeCommand(pdv.data);
      } else {
        const parts = (m.commandParts ??= new Gathered());
        parts.append(pdv.data);
        if (!pdv.last) return;
        m.command = decodeCommand(parts.bytes());
        m.commandParts = null;
      }
      if (!hasDataset(m.command)) {
        this.inbound = null;
        this.dispatch(m);
        return;
      }
      const storeTo = this.association.storeTo;
      const path = m.command.CommandField === CommandField.CStoreRq && storeTo ? storeTo(m.command) : null;
      if (path) {
        m.filePath = path;
        m.fileFd = openSync(path, 'w');
      }
      return;
    }
    if (!m.command) throw new PduError('dataset fragment before the command was complete', AbortReason.UnexpectedPduParameter);
    if (m.fileFd !== undefined) writeSync(m.fileFd, pdv.data);
    else {
      if (m.dataset.length + pdv.data.length > MAX_MEMORY_DATASET) throw new PduError(`dataset larger than ${MAX_MEMORY_DATASET} bytes`, AbortReason.NotSpecified);
      m.dataset.append(pdv.data);
    }
    if (!pdv.last) return;
    if (m.fileFd !== undefined) {
      closeSync(m.fileFd);
      m.fileFd = undefined;
    }
    this.inbound = null;
    this.dispatch(m);
  }

  /** Bytes held in memory for the message being received. */
  held(): number {
    const m = this.inbound;
    let queued = 0;
    for (const q of this.queued) queued += q.data?.capacity ?? 0;
    return queued + (m ? (m.commandParts?.capacity ?? 0) + m.dataset.capacity : 0);
  }

  /** Whether we wait on the peer: in the middle of its message, or with nothing of ours going on (null: we are working). */
  waitingForPeer(): 'message' | 'idle' | null {
    if (this.inbound) return 'message';
    return this.pending.size === 0 && this.writesInFlight === 0 && this.answering === 0 && !this.followUp && !this.slowedDown ? 'idle' : null;
  }

  /** The association ended with `err`: every request still waiting fails with it, a half-received file is removed. */
  end(err: DimseError): void {
    this.withdrawFollowUp(`the association ended first (${err.message})`);
    for (const [, p] of this.pending) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    for (const { req: q, data } of this.queued.splice(0)) {
      data?.release();
      if (q.datasetPath) {
        try {
          unlinkSync(q.datasetPath);
        } catch {
          // best effort
        }
      }
    }
    this.inbound?.commandParts?.release();
    this.inbound?.dataset.release();
    if (this.inbound?.fileFd !== undefined) {
      try {
        closeSync(this.inbound.fileFd);
        unlinkSync(this.inbound.filePath!);
      } catch {
        // best effort
      }
    }
    this.inbound = null;
  }

  // -------------------------------------------------------------------------------------------
  // Writing

  private enqueueWrite(fn: () => Promise<void>): Promise<void> {
    this.writesInFlight++;
    const run = this.writeChain.then(fn).finally(() => this.writesInFlight--);
    this.writeChain = run.catch(() => {});
    return run;
  }

  /** Starts the response timer of a request once it is written. */
  private armResponseTimer(messageId: number, timeoutMs: number): void {
    const p = this.pending.get(messageId);
    if (!p) return;
    p.timer = setTimeout(() => {
      this.pending.delete(messageId);
      const err = new Timeout('response', timeoutMs);
      p.reject(err);
      // The peer's state is unknown now: end the association rather than risk a late reply.
      this.layer.abort();
    }, timeoutMs);
  }

  /** Writes the follow-up now if nothing else is being written; otherwise it takes its turn. */
  private sendFollowUp(): void {
    const f = this.followUp!;
    this.followUp = null;
    const run = () => {
      try {
        f.write();
      } catch (err) {
        const p = this.pending.get(f.messageId);
        this.pending.delete(f.messageId);
        p?.reject(err instanceof DimseError ? err : new DimseError(String(err)));
      }
    };
    if (this.writesInFlight === 0) run();
    else void this.enqueueWrite(async () => run());
  }

  private checkFramed(dataset: FramedDataset, contextId: number): void {
    if (dataset.framedFor !== this.association || dataset.contextId !== contextId) {
      throw new DimseError('A dataset framed for another association or presentation context cannot be sent on this one');
    }
  }

  /** Writes a command and its framed dataset at once, if the association is still open. */
  private writeFramed(pdus: Buffer[], dataset: FramedDataset, contextId: number): void {
    if (this.layer.state !== 'established') throw this.layer.failure ?? new NotNegotiated('The association is not open');
    this.framer.writeFramedNow(pdus, dataset, contextId);
  }

  private async writeMessage(cmd: Command, contextId: number, dataset?: DatasetSource): Promise<void> {
    const pdus = this.framer.commandPdus(cmd, contextId);
    if (dataset && 'framedFor' in dataset) {
      this.checkFramed(dataset, contextId);
      this.writeFramed(pdus, dataset, contextId);
      return;
    }
    // Open (and for small files read) the dataset before the command goes out, so a missing or
    // unreadable file fails this request alone and never leaves the peer waiting for a dataset.
    const source: OpenSource | null = !dataset || Buffer.isBuffer(dataset) ? null : openSource(dataset);
    this.transport.cork();
    try {
      for (const pdu of pdus) await this.transport.write(pdu);
      if (!dataset) return;
      if (Buffer.isBuffer(dataset)) await this.framer.writeDataBuffer(dataset, contextId, true);
      else await this.framer.writeSource(source!, contextId);
    } catch (err) {
      // Half a message is on the wire: the association cannot carry another one (PS3.7 §9.3.1).
      if (this.layer.state !== 'closed') this.layer.abort();
      throw err;
    } finally {
      this.transport.uncork();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  private dispatch(m: Inbound): void {
    const command = m.command!;
    const inMemory = m.filePath || !hasDataset(command) ? null : m.dataset;
    if (isResponse(command)) {
      const dataset = inMemory?.bytes();
      const id = command.MessageIDBeingRespondedTo ?? -1;
      const p = this.pending.get(id);
      if (!p) throw new PduError(`${commandName(command.CommandField)} for unknown message ${id}`, AbortReason.UnexpectedPduParameter);
      const status = statusInfo(command.Status ?? 0);
      if (status.category === 'pending') return; // C-FIND/C-GET style pending: wait for the final one
      this.pending.delete(id);
      if (p.timer) clearTimeout(p.timer);
      this.layer.touch();
      if (this.followUp) {
        // The next request goes out before anything else runs; after "Refused: Out of Resources"
        // (A7xx, PS3.4 B.2.3) the sender waits before storing more, so the follow-up is withdrawn.
        if (isOutOfResources(status.code)) this.withdrawFollowUp('the peer was out of resources');
        else if (this.pending.size === 1) this.sendFollowUp();
      }
      p.resolve({ command, status, dataset });
      return;
    }
    const ctx: NegotiatedContext = this.association.contexts.get(m.contextId)!;
    const req: IncomingRequest = { command, contextId: m.contextId, abstractSyntax: ctx.abstractSyntax, transferSyntax: ctx.transferSyntax, datasetPath: m.filePath, association: this.association };
    // One request of the peer's at a time, as the default asynchronous operations window says
    // (PS3.7 D.3.3.3; we never negotiate another): one that comes while another is answered (or
    // while the peer is slowed down) waits its turn. A peer that sends many without waiting for the
    // answers is aborted: it cannot make us hold its requests or the event loop. (Reading goes on:
    // a handler may wait for the response to a request of ours on the same association.)
    if (this.answering || this.slowedDown) {
      if (this.queued.length >= MAX_QUEUED_REQUESTS) {
        this.queued.push({ req, data: inMemory }); // (its file is removed, its blocks given back, with the others')
        throw new PduError(`more than ${MAX_QUEUED_REQUESTS} requests sent without waiting for the answers (one at a time, PS3.7 D.3.3.3)`, AbortReason.UnexpectedPdu);
      }
      this.queued.push({ req, data: inMemory });
      return;
    }
    this.startAnswer(req, inMemory);
  }

  /** Answers `req` now, its dataset joined from `data`'s blocks. */
  private startAnswer(req: IncomingRequest, data: Gathered | null): void {
    if (data) req.dataset = data.bytes();
    this.answering = 1;
    void this.answer(req);
  }

  /** Answers a request, then gives the next one its turn (after a wait, for a peer slowed down). */
  private async answer(req: IncomingRequest): Promise<void> {
    let status: number | null = null;
    try {
      status = await this.answerNow(req);
    } finally {
      this.answering = 0;
      this.layer.touch();
      const wait = status !== null && statusInfo(status).category === 'failure' ? this.failureDelay() : 0;
      const next = () => {
        this.slowedDown = false;
        this.layer.touch();
        if (this.layer.state === 'closed') return;
        const queued = this.queued.shift();
        if (queued) this.startAnswer(queued.req, queued.data);
      };
      if (!wait) next();
      else {
        this.slowedDown = true;
        setTimeout(next, wait).unref();
      }
    }
  }

  /** Counts a failure answered; returns how long to wait before reading the peer's next request (ms). */
  private failureDelay(): number {
    const now = Date.now();
    this.failureCredit = Math.min(FAILURE_BURST, this.failureCredit + ((now - this.creditAt) / 1000) * FAILURES_PER_SECOND) - 1;
    this.creditAt = now;
    return this.failureCredit >= 0 ? 0 : Math.ceil((-this.failureCredit / FAILURES_PER_SECOND) * 1000);
  }

  /** Answers a request from the peer; returns the status answered (null when the association ended first). */
  private async answerNow(req: IncomingRequest): Promise<number | null> {
    const { command } = req;
    const onRequest = this.association.onRequest;
    let reply: Reply;
    try {
      if (onRequest) reply = await onRequest(req);
      else if (command.CommandField === CommandField.CEchoRq) reply = { status: 0 };
      else reply = { status: 0x0211, fields: { ErrorComment: 'No handler for this operation' } };
    } catch (err) {
      reply = { status: 0x0110, fields: { ErrorComment: String(err instanceof Error ? err.message : err).slice(0, 64) } };
    } finally {
      if (req.datasetPath) {
        try {
          unlinkSync(req.datasetPath);
        } catch {
          // moved or already removed by the handler
        }
      }
    }
    if (this.layer.state !== 'established' && this.layer.state !== 'releasing') return null;
    const rsp: Command = {
      CommandField: command.CommandField | 0x8000,
      MessageIDBeingRespondedTo: command.MessageID,
      AffectedSOPClassUID: command.AffectedSOPClassUID ?? command.RequestedSOPClassUID,
      AffectedSOPInstanceUID: command.AffectedSOPInstanceUID ?? command.RequestedSOPInstanceUID,
      ...reply.fields,
      Status: reply.status,
      CommandDataSetType: reply.dataset ? 0x0000 : NO_DATASET,
    };
    if (command.CommandField === CommandField.CEchoRq) delete rsp.AffectedSOPInstanceUID;
    try {
      await this.enqueueWrite(() => this.writeMessage(rsp, req.contextId, reply.dataset));
    } catch {
      // the association ended while answering; nothing left to tell
    }
    return reply.status;
  }
}
