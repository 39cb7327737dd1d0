/**
 * A DICOM association over TCP (PS3.8 upper layer + PS3.7 DIMSE message exchange), for both roles:
 * `Association.connect()` as the requestor (SCU side), and the server (server.ts) as acceptor.
 *
 * Why our own and not dcmjs-dimse's Client: its C-STORE path re-encodes every dataset, keeps every
 * sent dataset in memory until the association ends, re-parses all earlier responses on each new
 * one, never sets TCP_NODELAY and can die with an uncaught exception on some files
 * (docs/dimse.md). Here the dataset of a C-STORE is the file's own bytes streamed from
 * disk in P-DATA fragments, memory is bounded by the socket's backpressure, and every failure ends
 * as a typed error (errors.ts) or a status value — never as an exception on a socket event.
 *
 * One association carries one outgoing message at a time (no asynchronous operations window), but
 * requests from the peer (an N-EVENT-REPORT on the SCU's association) are answered by `onRequest`
 * at any time, their responses queued behind the message being written.
 */
import { closeSync, openSync, readSync, readvSync, writeSync, unlinkSync, fstatSync, type Stats } from 'node:fs';
import { open as openAsync } from 'node:fs/promises';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import {
  APPLICATION_CONTEXT,
  AbortReason,
  ContextResult,
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION,
  PDATA_HEADER_SIZE,
  PduError,
  PduReader,
  encodePdu,
  pDataHeader,
  type AssociateAc,
  type AssociateRq,
  type Pdu,
  type Pdv,
  type RoleSelection,
} from './pdu.ts';
import {
  CommandError,
  CommandField,
  NO_DATASET,
  commandName,
  decodeCommand,
  encodeCommand,
  hasDataset,
  isOutOfResources,
  isResponse,
  statusInfo,
  type Command,
  type StatusInfo,
} from './command.ts';
import { Aborted, AssociationRejected, DimseError, NotNegotiated, NotSent, PeerClosed, ProtocolError, Timeout } from './errors.ts';
import { logger } from '../log.ts';
import { limitUnsentBytes } from '../native/socketOptions.ts';
import { describeTlsError, serverName, type TlsCredentials } from './tls.ts';

const log = logger('dimse');

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

/** Timeouts in milliseconds. */
export interface Timeouts {
  connect: number;
  /** Waiting for A-ASSOCIATE-AC/RJ (or, as acceptor, for the A-ASSOCIATE-RQ). */
  associate: number;
  /** Waiting for a DIMSE response. */
  response: number;
  release: number;
}

/** Defaults: generous enough for a busy PACS, short enough to notice a dead one. */
export const DEFAULT_TIMEOUTS: Timeouts = { connect: 10_000, associate: 30_000, response: 60_000, release: 10_000 };

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

/** Where a dataset to send comes from: bytes in memory, or a byte range of a file. */
export type DatasetSource = Buffer | { path: string; offset: number; length?: number } | FramedDataset;

/**
 * A dataset already cut into P-DATA-TF PDUs for one presentation context of one association
 * (`Association.frame`), so sending it is only socket writes: the copy into PDUs is done while
 * the peer still works on the previous message.
 */
export interface FramedDataset {
  framedFor: Association;
  contextId: number;
  frames: Buffer[];
}

/** A small dataset read ahead into a reusable buffer (`preloadWith`), to be cut into PDUs (`Association.frame`). */
export interface PreloadedDataset {
  preloaded: true;
  data: Buffer;
  pooled: Buffer;
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

interface OpenSource {
  path: string;
  offset: number;
  size: number;
  /** The whole dataset, for small files (read at once). */
  data?: Buffer;
  /** The pool buffer `data` lives in, given back once written. */
  pooled?: Buffer;
}

/** Read buffers for small datasets, reused once the socket has flushed them: allocating a fresh
 * half-megabyte buffer per file (mmap, page faults, munmap) cost more than sending it. */
const bufferPool: Buffer[] = [];
const POOL_MAX = 8;
const takeBuffer = (): Buffer => bufferPool.pop() ?? Buffer.allocUnsafeSlow(SMALL_FILE);
const giveBack = (b: Buffer) => {
  if (bufferPool.length < POOL_MAX) bufferPool.push(b);
};

/**
 * Reads a dataset ahead into a pooled buffer through `read`, which returns the dataset's bytes
 * within the buffer (or null: nothing to keep, and the buffer goes back to the pool).
 */
export function preloadWith(read: (buffer: Buffer) => Buffer | null): PreloadedDataset | null {
  const pooled = takeBuffer();
  let data: Buffer | null = null;
  try {
    data = read(pooled);
  } finally {
    if (!data) giveBack(pooled);
  }
  return data ? { preloaded: true, data, pooled } : null;
}

/** Gives back the buffer of a preloaded dataset that will not be sent (a framed one needs nothing). */
export function discardPreloaded(p: PreloadedDataset | FramedDataset | null | undefined): void {
  if (p && 'preloaded' in p) giveBack(p.pooled);
}

/** The last P-DATA-TF PDU of an empty dataset: one PDV with no data. */
function emptyLastPdu(contextId: number): Buffer {
  const buf = Buffer.allocUnsafe(PDATA_HEADER_SIZE);
  pDataHeader(buf, contextId, false, true, 0);
  return buf;
}

/** Opens a file source: small datasets are read whole (one synchronous read), large ones streamed later. */
function openSource(src: { path: string; offset: number; length?: number }): OpenSource {
  const fd = openSync(src.path, 'r');
  try {
    const size = src.length ?? fstatSync(fd).size - src.offset;
    if (size < 0) throw new DimseError(`${src.path}: dataset offset past the end of the file`);
    if (size > SMALL_FILE) return { path: src.path, offset: src.offset, size };
    const pooled = takeBuffer();
    const n = size ? readSync(fd, pooled, 0, size, src.offset) : 0;
    if (n !== size) {
      giveBack(pooled);
      throw new DimseError(`${src.path}: file shrank while being sent`);
    }
    return { path: src.path, offset: src.offset, size, data: pooled.subarray(0, size), pooled };
  } finally {
    closeSync(fd);
  }
}

/** A frame memory's P-DATA-TF layout: where the data of each PDU goes, and the headers written around it. */
interface FrameLayout {
  offset: number;
  length: number;
  max: number;
  headers: { contextId: number; isEnd: boolean } | null;
  slots: Buffer[];
}

/** Why an association ended. */
export interface CloseInfo {
  /** 'released' for a normal end; otherwise the error that ended it. */
  reason: 'released' | DimseError;
}

type State = 'connecting' | 'awaiting-ac' | 'awaiting-rq' | 'established' | 'releasing' | 'closed';

interface Pending {
  resolve: (r: DimseResponse) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | null;
}

/** A request waiting for the outstanding response before it is written (`RequestOptions.followUp`). */
interface FollowUp {
  messageId: number;
  write: () => void;
}

interface Inbound {
  contextId: number;
  commandChunks: Buffer[];
  command?: Command;
  datasetChunks: Buffer[];
  datasetSize: number;
  fileFd?: number;
  filePath?: string;
}

/** How the acceptor decides on an A-ASSOCIATE-RQ (set by the server). */
export type Negotiator = (rq: AssociateRq, peer: { address: string; port: number }) =>
  | { reject: { result: number; source: number; reason: number } }
  | { contexts: NegotiatedContext[]; roles: RoleSelection[] };

/** Files up to this size are read with one synchronous read (page cache: well under a millisecond); larger ones in async 1 MiB chunks. */
const SMALL_FILE = 2 * 1024 * 1024;
/** The reused read buffer of an association we open. */
const READ_BUFFER = 64 * 1024;
const HIGH_WATER = 4 * 1024 * 1024;
/** Bytes the kernel may hold unsent for us (socketOptions.ts says why; 32–128 KiB measured alike). */
const UNSENT_LIMIT = 128 * 1024;
/** Data bytes framed into one buffer per socket write. */
const FRAME_BYTES = 1024 * 1024;
/** Largest dataset kept in memory for non-C-STORE requests and responses. */
const MAX_MEMORY_DATASET = 64 * 1024 * 1024;

/** One association, requestor or acceptor. */
export class Association {
  readonly socket: Socket;
  readonly role: 'requestor' | 'acceptor';
  /** Calling and called AE titles as negotiated. */
  callingAe = '';
  calledAe = '';
  /** Negotiated contexts by id. */
  readonly contexts = new Map<number, NegotiatedContext>();
  /** The peer's maximum P-DATA-TF length (0 = unlimited) and implementation. */
  peerMaxPdu = 0;
  peerImplementation = '';
  /** Resolves once the association has ended, however it ended. */
  readonly closed: Promise<CloseInfo>;
  /** Handles requests from the peer. */
  onRequest?: RequestHandler;
  /** For the acceptor: where to stream incoming C-STORE datasets (a file path), or null to keep them in memory. */
  storeTo?: (command: Command) => string | null;

  private state: State;
  private readonly timeouts: Timeouts;
  private readonly maxPdu: number;
  private readonly reader: PduReader;
  private readonly pending = new Map<number, Pending>();
  private nextMessageId = 1;
  private inbound: Inbound | null = null;
  private writeChain: Promise<void> = Promise.resolve();
  /** Writes queued on writeChain and not finished: a follow-up is written at once only when none are. */
  private writesInFlight = 0;
  private followUp: FollowUp | null = null;
  private closeResolve!: (c: CloseInfo) => void;
  private associateWaiter: { resolve: (ac: AssociateAc) => void; reject: (e: Error) => void } | null = null;
  private releaseWaiter: { resolve: () => void } | null = null;
  private drainWaiters: (() => void)[] = [];
  /** Frame buffers the socket is done with, reused so their pages stay mapped (fresh megabytes page-fault). */
  private readonly freeFrames: Buffer[] = [];
  /** How each frame memory was last laid out (`frameFor`): its data slots, and what its PDU headers say. */
  private readonly frameLayouts = new WeakMap<ArrayBufferLike, FrameLayout>();
  private negotiator?: Negotiator;
  private failure: DimseError | null = null;
  private stateTimer: NodeJS.Timeout | null = null;

  private constructor(socket: Socket, role: 'requestor' | 'acceptor', opts: { timeouts?: Partial<Timeouts>; maxPdu?: number; onRequest?: RequestHandler }) {
    this.socket = socket;
    this.role = role;
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    this.maxPdu = opts.maxPdu ?? DEFAULT_MAX_PDU;
    this.onRequest = opts.onRequest;
    // Peers must respect our max PDU; allow slack for the ones that count the header in.
    this.reader = new PduReader(Math.max(this.maxPdu || 64 * 1024 * 1024, 1024 * 1024) + 1024);
    this.state = role === 'requestor' ? 'connecting' : 'awaiting-rq';
    this.closed = new Promise((resolve) => (this.closeResolve = resolve));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => this.fail(new PeerClosed(describeTlsError(err) ?? `Connection error: ${err.message}`, err.code)));
    socket.on('close', () => this.fail(new PeerClosed(this.reader.pending ? 'The peer closed the connection in the middle of a PDU' : 'The peer closed the connection')));
  }

  /** Connects, proposes `contexts` and resolves once the association is accepted (typed errors otherwise). */
  static async connect(opts: ConnectOptions): Promise<Association> {
    if (!opts.contexts.length) throw new NotNegotiated('No presentation contexts to propose');
    if (opts.contexts.length > 128) throw new NotNegotiated('At most 128 presentation contexts per association (PS3.8 §9.3.2.2)');
    // Reads land in one reused buffer and come straight to the PDU reader (no stream 'data' events
    // and no buffer per read): a sender reads one small response per store.
    let assoc: Association | null = null;
    const socket = opts.tls
      ? tlsConnect({ host: opts.host, port: opts.port, servername: serverName(opts.host), ...opts.tls })
      : tcpConnect({
          host: opts.host,
          port: opts.port,
          onread: {
            buffer: Buffer.allocUnsafe(READ_BUFFER),
            callback: (n: number, buf: Uint8Array) => {
              assoc?.onData(Buffer.from(buf.buffer, buf.byteOffset, n), true);
              return true;
            },
          },
        });
    assoc = new Association(socket, 'requestor', opts);
    assoc.callingAe = opts.callingAe;
    assoc.calledAe = opts.calledAe;
    const onAbortSignal = () => assoc.abort();
    opts.signal?.addEventListener('abort', onAbortSignal, { once: true });
    try {
      await assoc.waitConnected(opts.tls ? 'secureConnect' : 'connect');
      // (A TLS socket's records are written by OpenSSL through its own handle: no such option there.)
      if (!opts.tls) limitUnsentBytes(socket, UNSENT_LIMIT);
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
      // The accepted contexts are recorded synchronously when the A-ASSOCIATE-AC is read, before
      // the next PDU of the same TCP chunk: a peer may send a request right behind its AC (a
      // storage commitment report "on our next association" does).
      const applyAc = (ac: AssociateAc) => {
        for (const reply of ac.contexts) {
          const p = proposed.find((x) => x.id === reply.id);
          if (!p) continue;
          const accepted = reply.result === ContextResult.Acceptance;
          const roleReply = ac.user.roles.find((r) => r.sopClassUid === p.abstractSyntax);
          const asked = opts.contexts[(p.id - 1) / 2].role;
          assoc.contexts.set(p.id, {
            id: p.id,
            abstractSyntax: p.abstractSyntax,
            transferSyntax: accepted ? reply.transferSyntax : '',
            accepted,
            result: reply.result,
            // No reply item means the default roles: requestor is SCU only (PS3.7 §D.3.3.4).
            role: asked ? (roleReply ? { scu: roleReply.scu && asked.scu, scp: roleReply.scp && asked.scp } : { scu: true, scp: false }) : undefined,
          });
        }
        assoc.peerMaxPdu = ac.user.maxPduLength;
        assoc.peerImplementation = ac.user.implementationVersionName || ac.user.implementationClassUid;
      };
      await new Promise<AssociateAc>((resolve, reject) => {
        assoc.associateWaiter = {
          resolve: (ac) => {
            applyAc(ac);
            resolve(ac);
          },
          reject,
        };
        assoc.state = 'awaiting-ac';
        assoc.armTimer('associate', assoc.timeouts.associate);
        assoc.socket.write(encodePdu(rq));
      });
      return assoc;
    } catch (err) {
      assoc.destroy(err instanceof DimseError ? err : new PeerClosed(String(err)));
      if (err instanceof PeerClosed && !opts.tls && assoc.socket.bytesWritten > 0) {
        // Connected, asked, and dropped without an answer: what a DICOM over TLS port does to plain TCP.
        throw new PeerClosed(`${err.message}, without answering the association request (a port that expects DICOM over TLS does this; is the node TLS?)`, err.code);
      }
      throw err;
    } finally {
      opts.signal?.removeEventListener('abort', onAbortSignal);
    }
  }

  /** Wraps an accepted socket as the acceptor; `negotiate` decides on the A-ASSOCIATE-RQ. */
  static accept(socket: Socket, negotiate: Negotiator, opts: { timeouts?: Partial<Timeouts>; maxPdu?: number; onRequest?: RequestHandler } = {}): Association {
    const assoc = new Association(socket, 'acceptor', opts);
    assoc.negotiator = negotiate;
    assoc.armTimer('associate', assoc.timeouts.associate);
    return assoc;
  }

  /** True while requests can be sent. */
  get isOpen(): boolean {
    return this.state === 'established';
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
  async request(command: Command, contextId: number, dataset?: DatasetSource, opts: RequestOptions = {}): Promise<DimseResponse> {
    const timeoutMs = opts.timeoutMs ?? this.timeouts.response;
    if (this.state !== 'established') throw this.failure ?? new NotNegotiated('The association is not open');
    const ctx = this.contexts.get(contextId);
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
      const pdus = this.commandPdus(cmd, contextId);
      this.followUp = {
        messageId,
        write: () => {
          this.writeFramedNow(pdus, framed, contextId);
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
  withdrawFollowUp(why = 'it was withdrawn before it went out'): boolean {
    const f = this.followUp;
    if (!f) return false;
    this.followUp = null;
    const p = this.pending.get(f.messageId);
    this.pending.delete(f.messageId);
    p?.reject(new NotSent(`Not sent: ${why}`));
    return true;
  }

  /** Releases the association (A-RELEASE-RQ/RP, PS3.8 §7.2) and closes the socket. */
  async release(): Promise<void> {
    this.withdrawFollowUp('the association was being released');
    if (this.state !== 'established') return;
    await this.writeChain.catch(() => {});
    if (this.state !== 'established') return;
    this.state = 'releasing';
    await new Promise<void>((resolve) => {
      this.releaseWaiter = { resolve };
      this.armTimer('release', this.timeouts.release);
      this.socket.write(encodePdu({ type: 'release-rq' }));
    });
  }

  /** Aborts the association (A-ABORT from the service user) and closes the socket. */
  abort(): void {
    if (this.state === 'closed') return;
    if (!this.socket.destroyed && this.state !== 'connecting') this.socket.write(encodePdu({ type: 'abort', source: 0, reason: 0 }));
    this.destroy(new Aborted(0, 0, false, 'The association was aborted by us'));
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
      this.abort();
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

  /** A command's P-DATA-TF PDUs (one unless the command exceeds the peer's max PDU). */
  private commandPdus(cmd: Command, contextId: number): Buffer[] {
    const max = this.maxPdvData;
    const commandBytes = encodeCommand(cmd);
    const pdus: Buffer[] = [];
    for (let at = 0; at < commandBytes.length; at += max) {
      const n = Math.min(max, commandBytes.length - at);
      const buf = Buffer.allocUnsafe(PDATA_HEADER_SIZE + n);
      pDataHeader(buf, contextId, true, at + n >= commandBytes.length, n);
      commandBytes.copy(buf, PDATA_HEADER_SIZE, at, at + n);
      pdus.push(buf);
    }
    return pdus;
  }

  private checkFramed(dataset: FramedDataset, contextId: number): void {
    if (dataset.framedFor !== this || dataset.contextId !== contextId) {
      throw new DimseError('A dataset framed for another association or presentation context cannot be sent on this one');
    }
  }

  /**
   * Writes a command and its framed dataset in one corked batch, synchronously. A framed dataset is
   * at most SMALL_FILE bytes, so it is queued whole without waiting for drain: the kernel takes what
   * it can send plus UNSENT_LIMIT, and libuv writes the rest as the kernel asks for it.
   */
  private writeFramedNow(pdus: Buffer[], dataset: FramedDataset, contextId: number): void {
    if (this.state !== 'established') throw this.failure ?? new NotNegotiated('The association is not open');
    this.socket.cork();
    try {
      for (const b of pdus) this.socket.write(b);
      if (!dataset.frames.length) this.socket.write(emptyLastPdu(contextId));
      for (const frame of dataset.frames) this.socket.write(frame, this.recycler(frame));
    } finally {
      this.socket.uncork();
    }
  }

  /** The write callback that gives a frame's buffer back to the pool once the socket is done with it. */
  private recycler(frame: Buffer): () => void {
    const base = Buffer.from(frame.buffer, frame.byteOffset, frame.buffer.byteLength - frame.byteOffset);
    return () => {
      if (this.freeFrames.length < 8) this.freeFrames.push(base);
    };
  }

  private write(buf: Buffer, flushed?: () => void): Promise<void> | null {
    if (this.state === 'closed') throw this.failure ?? new PeerClosed();
    // Keep up to HIGH_WATER bytes queued in the socket: fewer wake-ups than Node's 16 KiB default.
    // (`flushed` runs when the socket is done with `buf`, written or failed.)
    if (this.socket.write(buf, flushed ? () => flushed() : undefined) || this.socket.writableLength < HIGH_WATER) return null;
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private get maxPdvData(): number {
    // The peer's max PDU bounds the P-DATA-TF variable field: 6 bytes of PDV header per PDV.
    const limit = this.peerMaxPdu > 0 ? this.peerMaxPdu : 1024 * 1024;
    return Math.max(limit - 6, 64);
  }

  private async writeMessage(cmd: Command, contextId: number, dataset?: DatasetSource): Promise<void> {
    const max = this.maxPdvData;
    const pdus = this.commandPdus(cmd, contextId);
    if (dataset && 'framedFor' in dataset) {
      this.checkFramed(dataset, contextId);
      this.writeFramedNow(pdus, dataset, contextId);
      return;
    }
    // Open (and for small files read) the dataset before the command goes out, so a missing or
    // unreadable file fails this request alone and never leaves the peer waiting for a dataset.
    const source: OpenSource | null = !dataset || Buffer.isBuffer(dataset) ? null : openSource(dataset);
    let started = false;
    this.socket.cork();
    try {
      started = true;
      for (const pdu of pdus) await this.write(pdu);
      if (!dataset) return;
      if (Buffer.isBuffer(dataset)) await this.writeDataBuffer(dataset, contextId, max, true);
      else if (source!.data) await this.writeDataBuffer(source!.data, contextId, max, true, source!.pooled ? () => giveBack(source!.pooled!) : undefined);
      else await this.writeFileRange(source!, contextId, max);
    } catch (err) {
      // Half a message is on the wire: the association cannot carry another one (PS3.7 §9.3.1).
      if (started && this.state !== 'closed') this.abort();
      throw err;
    } finally {
      if (!this.socket.destroyed) this.socket.uncork();
    }
  }

  /** Cuts a preloaded dataset into P-DATA-TF PDUs for `contextId` now, giving its read buffer back. */
  frame(pre: PreloadedDataset, contextId: number): FramedDataset {
    const frames = [...this.framesOf(pre.data, contextId, this.maxPdvData, true)];
    giveBack(pre.pooled);
    return { framedFor: this, contextId, frames };
  }

  /**
   * Reads `length` bytes of a file from `offset` straight into P-DATA-TF PDUs for `contextId` (one
   * readv per frame, no copy); null when the dataset is too large to hold (it is streamed when sent)
   * or cannot be read (sending it then reports why). With `accept`, also null unless it accepts
   * the open file's stat (e.g. the file is still the one that was checked).
   */
  frameFile(path: string, offset: number, length: number, contextId: number, accept?: (st: Stats) => boolean): FramedDataset | null {
    if (length <= 0 || length > SMALL_FILE) return null;
    const max = this.maxPdvData;
    const perFrame = this.dataPerFrame(max);
    const frames: Buffer[] = [];
    let fd = -1;
    try {
      fd = openSync(path, 'r');
      if (accept && !accept(fstatSync(fd))) return null;
      for (let done = 0; done < length; ) {
        const want = Math.min(perFrame, length - done);
        const { frame, slots } = this.frameFor(want, contextId, max, done + want >= length);
        if (readvSync(fd, slots, offset + done) !== want) return null;
        done += want;
        frames.push(frame);
      }
    } catch {
      return null;
    } finally {
      if (fd >= 0) closeSync(fd);
    }
    return { framedFor: this, contextId, frames };
  }

  /** Writes `data` as P-DATA-TF PDUs; `flushed` runs once the socket no longer needs `data`. */
  private async writeDataBuffer(data: Buffer, contextId: number, max: number, isEnd: boolean, flushed?: () => void): Promise<void> {
    if (data.length === 0 && isEnd) {
      await this.write(emptyLastPdu(contextId));
      return;
    }
    for (const frame of this.framesOf(data, contextId, max, isEnd)) await this.writeFrame(frame);
    // The data was copied: whoever lent it can have it back now.
    flushed?.();
  }

  /**
   * `data` copied into P-DATA-TF PDUs, one pooled frame of about a megabyte at a time: two socket
   * writes per PDU (a 16 KiB max PDU means 40,000 writes for a 316 MB series) cost more than a copy.
   */
  private *framesOf(data: Buffer, contextId: number, max: number, isEnd: boolean): Generator<Buffer> {
    const perFrame = this.dataPerFrame(max);
    for (let start = 0; start < data.length; start += perFrame) {
      const end = Math.min(data.length, start + perFrame);
      const { frame, slots } = this.frameFor(end - start, contextId, max, isEnd && end >= data.length);
      let at = start;
      for (const slot of slots) at += data.copy(slot, 0, at, at + slot.length);
      yield frame;
    }
  }

  private dataPerFrame(max: number): number {
    return Math.max(1, Math.floor(FRAME_BYTES / max)) * max;
  }

  /**
   * A frame for `length` data bytes as P-DATA-TF PDUs with headers written, and its data slots.
   * A pooled frame laid out alike last time (a series' slices all are) keeps its slots, and its
   * headers when they say the same: its 33 PDUs of a CT slice meant 66 new buffer objects a store
   * (garbage, and scavenges) and 33 headers written by code V8 has not optimized yet.
   */
  private frameFor(length: number, contextId: number, max: number, isEnd: boolean): { frame: Buffer; slots: Buffer[] } {
    const pdus = Math.ceil(length / max);
    const size = length + pdus * PDATA_HEADER_SIZE;
    const capacity = this.dataPerFrame(max) + Math.ceil(this.dataPerFrame(max) / max) * PDATA_HEADER_SIZE;
    const base = this.freeFrames.pop() ?? Buffer.allocUnsafe(Math.max(capacity, size));
    const frame = base.length >= size ? base.subarray(0, size) : Buffer.allocUnsafe(size);
    const known = this.frameLayouts.get(frame.buffer);
    const newSlots = !known || known.offset !== frame.byteOffset || known.length !== length || known.max !== max;
    const layout: FrameLayout = newSlots ? { offset: frame.byteOffset, length, max, headers: null, slots: [] } : known;
    if (newSlots) this.frameLayouts.set(frame.buffer, layout);
    // (A new layout has no headers yet, so new slots always come with new headers.)
    const newHeaders = layout.headers?.contextId !== contextId || layout.headers.isEnd !== isEnd;
    if (newHeaders) {
      for (let at = 0, o = 0; at < length; at += max) {
        const n = Math.min(max, length - at);
        pDataHeader(frame, contextId, false, isEnd && at + n >= length, n, o);
        if (newSlots) layout.slots.push(frame.subarray(o + PDATA_HEADER_SIZE, o + PDATA_HEADER_SIZE + n));
        o += PDATA_HEADER_SIZE + n;
      }
      layout.headers = { contextId, isEnd };
    }
    return { frame, slots: layout.slots };
  }

  /** Writes a frame; its buffer goes back to the pool once the socket is done with it. */
  private async writeFrame(frame: Buffer): Promise<void> {
    const w = this.write(frame, this.recycler(frame));
    if (w) {
      this.socket.uncork();
      await w;
      this.socket.cork();
    }
  }

  private async writeFileRange(src: OpenSource, contextId: number, max: number): Promise<void> {
    const fh = await openAsync(src.path, 'r');
    try {
      // The file is read straight into the frames' data slots (readv): no copy, one read per megabyte.
      const perFrame = this.dataPerFrame(max);
      for (let done = 0; done < src.size; ) {
        const want = Math.min(perFrame, src.size - done);
        const { frame, slots } = this.frameFor(want, contextId, max, done + want >= src.size);
        const { bytesRead } = await fh.readv(slots, src.offset + done);
        if (bytesRead !== want) throw new DimseError(`${src.path}: file shrank while being sent`);
        done += want;
        await this.writeFrame(frame);
      }
    } finally {
      await fh.close();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  /** Resolves on `event`: 'connect' for TCP, 'secureConnect' once a TLS handshake has verified the peer. */
  private waitConnected(event: 'connect' | 'secureConnect'): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const err = new Timeout('connect', this.timeouts.connect);
        reject(err);
      }, this.timeouts.connect);
      this.socket.once(event, () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new PeerClosed(describeTlsError(err) ?? `Could not connect: ${err.message}`, err.code));
      });
      this.socket.once('close', () => {
        clearTimeout(timer);
        reject(this.failure ?? new PeerClosed('Could not connect'));
      });
    });
  }

  private armTimer(phase: Timeout['phase'], ms: number): void {
    this.clearTimer();
    this.stateTimer = setTimeout(() => {
      const err = new Timeout(phase, ms);
      if (phase === 'release') {
        this.destroy(err);
        return;
      }
      if (!this.socket.destroyed) this.socket.write(encodePdu({ type: 'abort', source: 2, reason: 0 }));
      this.destroy(err);
    }, ms);
  }

  private clearTimer(): void {
    if (this.stateTimer) clearTimeout(this.stateTimer);
    this.stateTimer = null;
  }

  /** Bytes from the peer; `transient` when `chunk` is a read buffer that is reused after this call. */
  private onData(chunk: Buffer, transient = false): void {
    if (this.state === 'closed') return;
    let pdus: Pdu[];
    try {
      pdus = this.reader.push(chunk, transient);
    } catch (err) {
      this.protocolFailure(err instanceof PduError ? err.message : String(err), err instanceof PduError ? err.abortReason : 0);
      return;
    }
    for (const p of pdus) {
      if ((this.state as State) === 'closed') return;
      try {
        this.onPdu(p);
      } catch (err) {
        if (err instanceof PduError) this.protocolFailure(err.message, err.abortReason);
        else if (err instanceof CommandError) this.protocolFailure(err.message, AbortReason.InvalidPduParameterValue);
        else this.protocolFailure(err instanceof Error ? err.message : String(err), AbortReason.NotSpecified);
        return;
      }
    }
  }

  private protocolFailure(message: string, reason: number): void {
    log.warn(`protocol error from ${this.socket.remoteAddress}:${this.socket.remotePort} (${this.role === 'requestor' ? this.calledAe : this.callingAe}); aborting: ${message}`);
    if (!this.socket.destroyed) this.socket.write(encodePdu({ type: 'abort', source: 2, reason }));
    this.destroy(new ProtocolError(message, reason));
  }

  private onPdu(p: Pdu): void {
    switch (p.type) {
      case 'associate-ac':
        if (this.state !== 'awaiting-ac') throw new PduError('unexpected A-ASSOCIATE-AC', AbortReason.UnexpectedPdu);
        this.clearTimer();
        this.state = 'established';
        this.associateWaiter?.resolve(p);
        this.associateWaiter = null;
        return;
      case 'associate-rj':
        if (this.state !== 'awaiting-ac') throw new PduError('unexpected A-ASSOCIATE-RJ', AbortReason.UnexpectedPdu);
        this.destroy(new AssociationRejected(p.result, p.source, p.reason));
        return;
      case 'associate-rq':
        if (this.state !== 'awaiting-rq' || !this.negotiator) throw new PduError('unexpected A-ASSOCIATE-RQ', AbortReason.UnexpectedPdu);
        this.onAssociateRq(p);
        return;
      case 'p-data':
        if (this.state !== 'established' && this.state !== 'releasing') throw new PduError('P-DATA-TF outside an association', AbortReason.UnexpectedPdu);
        for (const pdv of p.pdvs) this.onPdv(pdv);
        return;
      case 'release-rq':
        if (this.state !== 'established' && this.state !== 'releasing') throw new PduError('unexpected A-RELEASE-RQ', AbortReason.UnexpectedPdu);
        this.socket.write(encodePdu({ type: 'release-rp' }));
        this.state = 'closed';
        this.finish({ reason: 'released' });
        this.socket.end();
        return;
      case 'release-rp':
        if (this.state !== 'releasing') throw new PduError('unexpected A-RELEASE-RP', AbortReason.UnexpectedPdu);
        this.clearTimer();
        this.finish({ reason: 'released' });
        this.socket.end();
        this.releaseWaiter?.resolve();
        return;
      case 'abort':
        this.destroy(new Aborted(p.source, p.reason, true));
        return;
    }
  }

  private onAssociateRq(rq: AssociateRq): void {
    this.clearTimer();
    this.callingAe = rq.callingAe;
    this.calledAe = rq.calledAe;
    const decision = this.negotiator!(rq, { address: this.socket.remoteAddress ?? '', port: this.socket.remotePort ?? 0 });
    if ('reject' in decision) {
      this.socket.write(encodePdu({ type: 'associate-rj', ...decision.reject }));
      this.destroy(new AssociationRejected(decision.reject.result, decision.reject.source, decision.reject.reason), true);
      return;
    }
    for (const c of decision.contexts) this.contexts.set(c.id, c);
    this.peerMaxPdu = rq.user.maxPduLength;
    this.peerImplementation = rq.user.implementationVersionName || rq.user.implementationClassUid;
    const ac: AssociateAc = {
      type: 'associate-ac',
      protocolVersion: 1,
      calledAe: rq.calledAe,
      callingAe: rq.callingAe,
      applicationContext: APPLICATION_CONTEXT,
      contexts: decision.contexts.map((c) => ({ id: c.id, result: c.result, transferSyntax: c.accepted ? c.transferSyntax : '' })),
      user: { maxPduLength: this.maxPdu, implementationClassUid: IMPLEMENTATION_CLASS_UID, implementationVersionName: IMPLEMENTATION_VERSION, roles: decision.roles },
    };
    this.socket.write(encodePdu(ac));
    this.state = 'established';
  }

  private onPdv(pdv: Pdv): void {
    const ctx = this.contexts.get(pdv.contextId);
    if (!ctx?.accepted) throw new PduError(`PDV on presentation context ${pdv.contextId}, which was not accepted`, AbortReason.InvalidPduParameterValue);
    let m = this.inbound;
    if (!m) {
      if (!pdv.command) throw new PduError('dataset fragment without a command', AbortReason.UnexpectedPduParameter);
      m = this.inbound = { contextId: pdv.contextId, commandChunks: [], datasetChunks: [], datasetSize: 0 };
    }
    if (pdv.contextId !== m.contextId) throw new PduError('message fragments on different presentation contexts', AbortReason.InvalidPduParameterValue);
    if (pdv.command) {
      if (m.command) throw new PduError('command fragment after the command was complete', AbortReason.UnexpectedPduParameter);
      m.commandChunks.push(Buffer.from(pdv.data));
      if (!pdv.last) return;
      m.command = decodeCommand(Buffer.concat(m.commandChunks));
      m.commandChunks = [];
      if (!hasDataset(m.command)) {
        this.inbound = null;
        this.dispatch(m);
        return;
      }
      const path = m.command.CommandField === CommandField.CStoreRq && this.storeTo ? this.storeTo(m.command) : null;
      if (path) {
        m.filePath = path;
        m.fileFd = openSync(path, 'w');
      }
      return;
    }
    if (!m.command) throw new PduError('dataset fragment before the command was complete', AbortReason.UnexpectedPduParameter);
    m.datasetSize += pdv.data.length;
    if (m.fileFd !== undefined) writeSync(m.fileFd, pdv.data);
    else {
      if (m.datasetSize > MAX_MEMORY_DATASET) throw new PduError(`dataset larger than ${MAX_MEMORY_DATASET} bytes`, AbortReason.NotSpecified);
      m.datasetChunks.push(Buffer.from(pdv.data));
    }
    if (!pdv.last) return;
    if (m.fileFd !== undefined) {
      closeSync(m.fileFd);
      m.fileFd = undefined;
    }
    this.inbound = null;
    this.dispatch(m);
  }

  private dispatch(m: Inbound): void {
    const command = m.command!;
    const dataset = m.filePath ? undefined : m.datasetChunks.length ? Buffer.concat(m.datasetChunks) : hasDataset(command) ? Buffer.alloc(0) : undefined;
    if (isResponse(command)) {
      const id = command.MessageIDBeingRespondedTo ?? -1;
      const p = this.pending.get(id);
      if (!p) throw new PduError(`${commandName(command.CommandField)} for unknown message ${id}`, AbortReason.UnexpectedPduParameter);
      const status = statusInfo(command.Status ?? 0);
      if (status.category === 'pending') return; // C-FIND/C-GET style pending: wait for the final one
      this.pending.delete(id);
      if (p.timer) clearTimeout(p.timer);
      if (this.followUp) {
        // The next request goes out before anything else runs; after "Refused: Out of Resources"
        // (A7xx, PS3.4 B.2.3) the sender waits before storing more, so the follow-up is withdrawn.
        if (isOutOfResources(status.code)) this.withdrawFollowUp('the peer was out of resources');
        else if (this.pending.size === 1) this.sendFollowUp();
      }
      p.resolve({ command, status, dataset });
      return;
    }
    const ctx = this.contexts.get(m.contextId)!;
    void this.answer({ command, contextId: m.contextId, abstractSyntax: ctx.abstractSyntax, transferSyntax: ctx.transferSyntax, dataset, datasetPath: m.filePath, association: this });
  }

  private async answer(req: IncomingRequest): Promise<void> {
    const { command } = req;
    let reply: Reply;
    try {
      if (this.onRequest) reply = await this.onRequest(req);
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
    if (this.state !== 'established' && this.state !== 'releasing') return;
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
  }

  // -------------------------------------------------------------------------------------------
  // Ending

  private fail(err: DimseError): void {
    if (this.state === 'closed') return;
    this.destroy(err);
  }

  private finish(info: CloseInfo): void {
    this.clearTimer();
    this.state = 'closed';
    const err = info.reason === 'released' ? new PeerClosed('The association was released') : info.reason;
    this.withdrawFollowUp(`the association ended first (${err.message})`);
    for (const [, p] of this.pending) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    this.associateWaiter?.reject(err);
    this.associateWaiter = null;
    this.releaseWaiter?.resolve();
    this.releaseWaiter = null;
    for (const w of this.drainWaiters) w();
    this.drainWaiters = [];
    if (this.inbound?.fileFd !== undefined) {
      try {
        closeSync(this.inbound.fileFd);
        unlinkSync(this.inbound.filePath!);
      } catch {
        // best effort
      }
    }
    this.inbound = null;
    this.closeResolve(info);
  }

  private destroy(err: DimseError, graceful = false): void {
    if (this.state === 'closed') return;
    this.failure = err;
    this.finish({ reason: err });
    if (graceful) this.socket.end();
    else {
      // Let the A-ABORT we may have written go out before closing.
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 50).unref();
    }
  }
}
