/**
 * A DICOM association (PS3.8 upper layer + PS3.7 DIMSE message exchange), for both roles:
 * `Association.connect()` as the requestor (SCU side), and the server (server.ts) as acceptor.
 *
 * Why our own and not dcmjs-dimse's Client: its C-STORE path re-encodes every dataset, keeps every
 * sent dataset in memory until the association ends, re-parses all earlier responses on each new
 * one, never sets TCP_NODELAY and can die with an uncaught exception on some files
 * (docs/dimse.md). Here the dataset of a C-STORE is the file's own bytes streamed from
 * disk in P-DATA fragments, memory is bounded by the socket's backpressure, and every failure ends
 * as a typed error (errors.ts) or a status value — never as an exception on a socket event.
 *
 * This class is the public face; the work is done by four parts, each in its module:
 * - transport.ts — the TCP or TLS connection: connecting, writing with backpressure, closing;
 * - stateMachine.ts — the upper layer's states, timers, and association/release/abort exchanges;
 * - messages.ts — DIMSE messages: requests and their responses, the peer's requests and our answers;
 * - framing.ts — outgoing commands and datasets cut into P-DATA-TF PDUs (file bytes as they are).
 * Here: proposing and accepting presentation contexts (PS3.8 §9.3.2–9.3.3), and the operations.
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Stats } from 'node:fs';
import {
  APPLICATION_CONTEXT,
  ContextResult,
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION,
  type AssociateAc,
  type AssociateRj,
  type AssociateRq,
  type RoleSelection,
} from './pdu.ts';
import { CommandField, NO_DATASET, type Command } from './command.ts';
import { DimseError, NotNegotiated, PeerClosed } from './errors.ts';
import type { TlsCredentials } from './tls.ts';
import { Transport, type TransportEvents } from './transport.ts';
import { Framer, type DatasetSource, type FramedDataset, type PreloadedDataset } from './framing.ts';
import { UpperLayer, DEFAULT_TIMEOUTS, type CloseInfo, type Timeouts } from './stateMachine.ts';
import { MessageExchange, type DimseResponse, type RequestHandler, type RequestOptions } from './messages.ts';

export { preloadWith, discardPreloaded, type DatasetSource, type FramedDataset, type PreloadedDataset } from './framing.ts';
export { DEFAULT_TIMEOUTS, type CloseInfo, type Timeouts } from './stateMachine.ts';
export type { DimseResponse, IncomingRequest, Reply, RequestHandler, RequestOptions } from './messages.ts';

/** The Verification SOP Class (PS3.4 Annex A). */
export const VERIFICATION = '1.2.840.10008.1.1';

/** A presentation context we propose. `role` adds an SCP/SCU role selection item (PS3.7 §D.3.3.4). */
export interface ContextRequest {
  abstractSyntax: string;
  transferSyntaxes: string[];
  role?: { scu: boolean; scp: boolean };
}

/** A presentation context after negotiation. */
export interface NegotiatedContext {
  id: number;
  abstractSyntax: string;
  /** The transfer syntax accepted ('' when rejected). */
  transferSyntax: string;
  accepted: boolean;
  /** PS3.8 Table 9-18 result: 0 acceptance, 1 user rejection, 2 no reason, 3 abstract syntax not supported, 4 transfer syntaxes not supported. */
  result: number;
  /** The negotiated roles of the requestor for this SOP class, when role selection was used. */
  role?: { scu: boolean; scp: boolean };
}

/** Largest P-DATA-TF we ask peers to send us (PS3.8 §D.1); 256 KiB keeps PDU count low. */
export const DEFAULT_MAX_PDU = 256 * 1024;

/** Options for `Association.connect`. */
export interface ConnectOptions {
  host: string;
  port: number;
  callingAe: string;
  calledAe: string;
  contexts: ContextRequest[];
  maxPdu?: number;
  timeouts?: Partial<Timeouts>;
  /** Handles requests the peer sends on this association (e.g. N-EVENT-REPORT). */
  onRequest?: RequestHandler;
  /** Aborts connecting/negotiating when fired. */
  signal?: AbortSignal;
  /** DICOM over TLS (PS3.15 Annex B.9) with these credentials (tls.ts); plain TCP when absent. */
  tls?: TlsCredentials;
}

/** The acceptor's decision on an A-ASSOCIATE-RQ. */
export type Negotiation = { reject: { result: number; source: number; reason: number } } | { contexts: NegotiatedContext[]; roles: RoleSelection[] };

/** Who is asking for an association: its address and port, and whether it came over TLS (with a certificate we trust). */
export interface Caller {
  address: string;
  port: number;
  tls: boolean;
}

/** How the acceptor decides on an A-ASSOCIATE-RQ (set by the server); it may take its time (a promise). */
export type Negotiator = (rq: AssociateRq, peer: Caller) => Negotiation | Promise<Negotiation>;

/** Options both roles take. */
interface AssociationOptions {
  timeouts?: Partial<Timeouts>;
  maxPdu?: number;
  onRequest?: RequestHandler;
}

/** One association, requestor or acceptor. */
export class Association {
  readonly socket: Socket;
  readonly role: 'requestor' | 'acceptor';
  /** Calling and called AE titles as negotiated. */
  callingAe = '';
  calledAe = '';
  /** Negotiated contexts by id. */
  readonly contexts = new Map<number, NegotiatedContext>();
  /** The peer's implementation (version name, else class UID). */
  peerImplementation = '';
  /** Resolves once the association has ended, however it ended. */
  readonly closed: Promise<CloseInfo>;
  /** Handles requests from the peer. */
  onRequest?: RequestHandler;
  /** For the acceptor: where to stream incoming C-STORE datasets (a file path), or null to keep them in memory. */
  storeTo?: (command: Command) => string | null;

  private readonly timeouts: Timeouts;
  private readonly maxPdu: number;
  private readonly transport: Transport;
  private readonly framer: Framer;
  private readonly layer: UpperLayer;
  private readonly messages: MessageExchange;
  private readonly negotiator?: Negotiator;

  private constructor(connect: (events: TransportEvents) => Transport, role: 'requestor' | 'acceptor', opts: AssociationOptions, negotiator?: Negotiator) {
    this.role = role;
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    this.maxPdu = opts.maxPdu ?? DEFAULT_MAX_PDU;
    this.onRequest = opts.onRequest;
    this.negotiator = negotiator;
    this.transport = connect({
      data: (chunk, transient) => this.layer.onData(chunk, transient),
      error: (err) => this.layer.onError(err),
      closed: () => this.layer.onClose(),
    });
    this.socket = this.transport.socket;
    this.framer = new Framer(this.transport);
    this.layer = new UpperLayer(this.transport, role, this.timeouts, this.maxPdu, {
      associateRq: negotiator ? (rq) => this.answerAssociateRq(rq) : undefined,
      pdv: (pdv) => this.messages.onPdv(pdv),
      ended: (err) => this.messages.end(err),
      held: () => this.messages.held(),
      waitingForPeer: () => this.messages.waitingForPeer(),
      peerAe: () => (role === 'requestor' ? this.calledAe : this.callingAe),
    });
    this.messages = new MessageExchange(this, this.layer, this.transport, this.framer, this.timeouts.response);
    this.closed = this.layer.closed;
  }

  /** Connects, proposes `contexts` and resolves once the association is accepted (typed errors otherwise). */
  static async connect(opts: ConnectOptions): Promise<Association> {
    if (!opts.contexts.length) throw new NotNegotiated('No presentation contexts to propose');
    if (opts.contexts.length > 128) throw new NotNegotiated('At most 128 presentation contexts per association (PS3.8 §9.3.2.2)');
    const assoc = new Association((events) => Transport.open(opts, events), 'requestor', opts);
    assoc.callingAe = opts.callingAe;
    assoc.calledAe = opts.calledAe;
    const onAbortSignal = () => assoc.abort();
    opts.signal?.addEventListener('abort', onAbortSignal, { once: true });
    try {
      await assoc.transport.connected(assoc.timeouts.connect, () => assoc.layer.failure);
      const proposed = opts.contexts.map((c, i) => ({ id: 2 * i + 1, abstractSyntax: c.abstractSyntax, transferSyntaxes: c.transferSyntaxes }));
      const roles: RoleSelection[] = [];
      for (const c of opts.contexts) {
        if (c.role && !roles.some((r) => r.sopClassUid === c.abstractSyntax)) roles.push({ sopClassUid: c.abstractSyntax, ...c.role });
      }
      const rq: AssociateRq = {
        type: 'associate-rq',
        protocolVersion: 1,
        calledAe: opts.calledAe,
        callingAe: opts.callingAe,
        applicationContext: APPLICATION_CONTEXT,
        contexts: proposed,
        user: { maxPduLength: assoc.maxPdu, implementationClassUid: IMPLEMENTATION_CLASS_UID, implementationVersionName: IMPLEMENTATION_VERSION, roles },
      };
      await assoc.layer.associate(rq, (ac) => assoc.applyAc(ac, opts.contexts));
      return assoc;
    } catch (err) {
      assoc.layer.destroy(err instanceof DimseError ? err : new PeerClosed(String(err)));
      if (err instanceof PeerClosed && !opts.tls && assoc.transport.bytesWritten > 0) {
        // Connected, asked, and dropped without an answer: what a DICOM over TLS port does to plain TCP.
        throw new PeerClosed(`${err.message}, without answering the association request (a port that expects DICOM over TLS does this; is the node TLS?)`, err.code);
      }
      throw err;
    } finally {
      opts.signal?.removeEventListener('abort', onAbortSignal);
    }
  }

  /**
   * Takes over an accepted socket as the acceptor; `negotiate` decides on the A-ASSOCIATE-RQ. The
   * connection may move to another socket object (Transport.accept): `socket` of the result is it.
   */
  static accept(socket: Socket, negotiate: Negotiator, opts: AssociationOptions = {}): Association {
    return new Association((events) => Transport.accept(socket, events), 'acceptor', opts, negotiate);
  }

  /** The peer's maximum P-DATA-TF length (0 = unlimited). */
  get peerMaxPdu(): number {
    return this.framer.peerMaxPdu;
  }

  /** True while requests can be sent. */
  get isOpen(): boolean {
    return this.layer.state === 'established';
  }

  /** The first accepted context for `abstractSyntax` (optionally with `transferSyntax`). */
  contextFor(abstractSyntax: string, transferSyntax?: string): NegotiatedContext | undefined {
    for (const c of this.contexts.values()) {
      if (c.accepted && c.abstractSyntax === abstractSyntax && (!transferSyntax || c.transferSyntax === transferSyntax)) return c;
    }
    return undefined;
  }

  /** Sends C-ECHO-RQ and returns the response (PS3.7 §9.1.5). */
  async echo(): Promise<DimseResponse> {
    const ctx = this.contextFor(VERIFICATION);
    if (!ctx) throw new NotNegotiated('The peer did not accept the Verification SOP Class');
    return this.request({ CommandField: CommandField.CEchoRq, AffectedSOPClassUID: VERIFICATION, CommandDataSetType: NO_DATASET }, ctx.id);
  }

  /** Sends C-STORE-RQ with the dataset from `source` (file bytes streamed as they are) (PS3.7 §9.1.1). */
  async store(
    source: DatasetSource,
    contextId: number,
    ids: { sopClassUid: string; sopInstanceUid: string; priority?: number; moveOriginator?: { ae: string; messageId: number } },
    opts: RequestOptions = {},
  ): Promise<DimseResponse> {
    return this.request(
      {
        CommandField: CommandField.CStoreRq,
        AffectedSOPClassUID: ids.sopClassUid,
        AffectedSOPInstanceUID: ids.sopInstanceUid,
        Priority: ids.priority ?? 0,
        CommandDataSetType: 0x0000,
        MoveOriginatorApplicationEntityTitle: ids.moveOriginator?.ae,
        MoveOriginatorMessageID: ids.moveOriginator?.messageId,
      },
      contextId,
      source,
      opts,
    );
  }

  /** Sends any request (N-ACTION, N-EVENT-REPORT …); MessageID is assigned here. Resolves with the response. */
  request(command: Command, contextId: number, dataset?: DatasetSource, opts: RequestOptions = {}): Promise<DimseResponse> {
    return this.messages.request(command, contextId, dataset, opts);
  }

  /** Takes back a follow-up request not yet written (it rejects with `NotSent`); false if there is none. */
  withdrawFollowUp(why = 'it was withdrawn before it went out'): boolean {
    return this.messages.withdrawFollowUp(why);
  }

  /** Releases the association (A-RELEASE-RQ/RP, PS3.8 §7.2) and closes the socket. */
  async release(): Promise<void> {
    this.messages.withdrawFollowUp('the association was being released');
    if (this.layer.state !== 'established') return;
    await this.messages.settled();
    await this.layer.release();
  }

  /** Aborts the association (A-ABORT from the service user) and closes the socket. */
  abort(): void {
    this.layer.abort();
  }

  /** Cuts a preloaded dataset into P-DATA-TF PDUs for `contextId` now, giving its read buffer back. */
  frame(pre: PreloadedDataset, contextId: number): FramedDataset {
    return this.framer.frame(pre, contextId, this);
  }

  /**
   * Reads `length` bytes of a file from `offset` straight into P-DATA-TF PDUs for `contextId` (one
   * readv per frame, no copy); null when the dataset is too large to hold (it is streamed when sent)
   * or cannot be read (sending it then reports why). With `accept`, also null unless it accepts
   * the open file's stat (e.g. the file is still the one that was checked).
   */
  frameFile(path: string, offset: number, length: number, contextId: number, accept?: (st: Stats) => boolean): FramedDataset | null {
    return this.framer.frameFile(path, offset, length, contextId, this, accept);
  }

  /** Records what the A-ASSOCIATE-AC accepted of what we proposed (`asked`, context ids 1, 3, 5 …). */
  private applyAc(ac: AssociateAc, asked: ContextRequest[]): void {
    for (const reply of ac.contexts) {
      // Our context ids are odd and in order of `asked` (PS3.8 §9.3.2.2).
      const index = (reply.id - 1) / 2;
      const p = reply.id % 2 === 1 ? asked[index] : undefined;
      if (!p) continue;
      const accepted = reply.result === ContextResult.Acceptance;
      const roleReply = ac.user.roles.find((r) => r.sopClassUid === p.abstractSyntax);
      this.contexts.set(reply.id, {
        id: reply.id,
        abstractSyntax: p.abstractSyntax,
        transferSyntax: accepted ? reply.transferSyntax : '',
        accepted,
        result: reply.result,
        // No reply item means the default roles: requestor is SCU only (PS3.7 §D.3.3.4).
        role: p.role ? (roleReply ? { scu: roleReply.scu && p.role.scu, scp: roleReply.scp && p.role.scp } : { scu: true, scp: false }) : undefined,
      });
    }
    this.framer.peerMaxPdu = ac.user.maxPduLength;
    this.peerImplementation = ac.user.implementationVersionName || ac.user.implementationClassUid;
  }

  /** As acceptor: the negotiator's decision on an A-ASSOCIATE-RQ, as the PDU that answers it. */
  private answerAssociateRq(rq: AssociateRq): AssociateAc | AssociateRj | Promise<AssociateAc | AssociateRj> {
    this.callingAe = rq.callingAe;
    this.calledAe = rq.calledAe;
    const caller: Caller = { address: this.socket.remoteAddress ?? '', port: this.socket.remotePort ?? 0, tls: this.socket instanceof TLSSocket };
    const decision = this.negotiator!(rq, caller);
    return decision instanceof Promise ? decision.then((d) => this.answerFor(rq, d)) : this.answerFor(rq, decision);
  }

  private answerFor(rq: AssociateRq, decision: Negotiation): AssociateAc | AssociateRj {
    if ('reject' in decision) return { type: 'associate-rj', ...decision.reject };
    for (const c of decision.contexts) this.contexts.set(c.id, c);
    this.framer.peerMaxPdu = rq.user.maxPduLength;
    this.peerImplementation = rq.user.implementationVersionName || rq.user.implementationClassUid;
    return {
      type: 'associate-ac',
      protocolVersion: 1,
      calledAe: rq.calledAe,
      callingAe: rq.callingAe,
      applicationContext: APPLICATION_CONTEXT,
      contexts: decision.contexts.map((c) => ({ id: c.id, result: c.result, transferSyntax: c.accepted ? c.transferSyntax : '' })),
      user: { maxPduLength: this.maxPdu, implementationClassUid: IMPLEMENTATION_CLASS_UID, implementationVersionName: IMPLEMENTATION_VERSION, roles: decision.roles },
    };
  }
}
