/**
 * The upper layer's state machine (PS3.8 §9.2), as far as Courier needs it: the association's
 * state, which PDU may arrive in which state, the timers that bound each wait (the ARTIM timer of
 * §9.1.5 and ours), the association, release and abort exchanges, and how an association ends.
 * PDUs are read from the transport here; P-DATA goes up to the message layer (messages.ts) and an
 * A-ASSOCIATE-RQ to the acceptor's negotiation (association.ts).
 *
 * Every failure ends as a typed error (errors.ts) that `closed` resolves with; nothing thrown on a
 * socket event escapes.
 */
import { AbortReason, PduError, PduReader, encodePdu, type AssociateAc, type AssociateRq, type AssociateRj, type Pdu, type Pdv } from './pdu.ts';
import { CommandError } from './command.ts';
import { Aborted, AssociationRejected, PeerClosed, ProtocolError, Timeout, type DimseError } from './errors.ts';
import type { Transport } from './transport.ts';
import { inboundMemory } from './limits.ts';
import { throttled } from './throttle.ts';
import { logger } from '../log.ts';

const log = logger('dimse');

/** Associations we abort (protocol errors, silence), logged 20 per 10 s at most: a flood of them must not flood the log. */
const warn = throttled<string>(
  (line) => log.warn(line),
  (n, ms) => `… and ${n} more associations aborted in ${ms / 1000} s (not listed one by one)`,
);

/** Timeouts in milliseconds. */
export interface Timeouts {
  connect: number;
  /** Waiting for A-ASSOCIATE-AC/RJ (or, as acceptor, for the A-ASSOCIATE-RQ). */
  associate: number;
  /** Waiting for a DIMSE response. */
  response: number;
  release: number;
  /**
   * Silence from the peer while it is the peer's turn: as acceptor, between its requests; in either
   * role, in the middle of a message it has begun (an unfinished command or dataset). The
   * association is aborted (PS3.8 §9.1.5's ARTIM timer, after association). 0: no limit.
   */
  idle: number;
}

/** Defaults: generous enough for a busy PACS, short enough to notice a dead one. */
export const DEFAULT_TIMEOUTS: Timeouts = { connect: 10_000, associate: 30_000, response: 60_000, release: 10_000, idle: 60_000 };

/** Why an association ended. */
export interface CloseInfo {
  /** 'released' for a normal end; otherwise the error that ended it. */
  reason: 'released' | DimseError;
}

/**
 * The states an association goes through (PS3.8 Table 9-10's, merged where we act alike);
 * 'negotiating' is the acceptor deciding on an A-ASSOCIATE-RQ (Sta3).
 */
export type State = 'connecting' | 'awaiting-ac' | 'awaiting-rq' | 'negotiating' | 'established' | 'releasing' | 'closed';

/** Which PDU may arrive in which state; any other is an unexpected PDU (PS3.8 §9.2.3, A-ABORT reason 2). */
const EXPECTED: Record<Exclude<Pdu['type'], 'abort'>, readonly State[]> = {
  'associate-ac': ['awaiting-ac'],
  'associate-rj': ['awaiting-ac'],
  'associate-rq': ['awaiting-rq'],
  'p-data': ['established', 'releasing'],
  'release-rq': ['established', 'releasing'],
  'release-rp': ['releasing'],
};

/** What the state machine hands to the layers above it. */
export interface UpperLayerEvents {
  /** The acceptor's decision on an A-ASSOCIATE-RQ: the A-ASSOCIATE-AC or -RJ to answer with. */
  associateRq?(rq: AssociateRq): AssociateAc | AssociateRj | Promise<AssociateAc | AssociateRj>;
  /** A presentation data value of an established association, or a piece of one (PduReader); throws PduError/CommandError for a bad one. */
  pdv(pdv: Pdv): void;
  /** The association ended (`err` says why; released: a PeerClosed that says so): fail what waits. */
  ended(err: DimseError): void;
  /** Who the peer is, for the log: its AE title. */
  peerAe(): string;
  /** Bytes held for a message not yet whole (counted against `inboundMemory`). */
  held(): number;
  /** Whether we wait on the peer: 'message' in the middle of one of its messages, 'idle' with nothing going on, null while we work. */
  waitingForPeer(): 'message' | 'idle' | null;
}

/** One association's state, timers and upper-layer exchanges. */
export class UpperLayer {
  /** Resolves once the association has ended, however it ended. */
  readonly closed: Promise<CloseInfo>;
  private current: State;
  private failed: DimseError | null = null;
  private readonly transport: Transport;
  private readonly events: UpperLayerEvents;
  private readonly timeouts: Timeouts;
  private readonly reader: PduReader;
  private closeResolve!: (c: CloseInfo) => void;
  private associateWaiter: { resolve: (ac: AssociateAc) => void; reject: (e: Error) => void } | null = null;
  private releaseWaiter: { resolve: () => void } | null = null;
  private stateTimer: NodeJS.Timeout | null = null;
  private readonly role: 'requestor' | 'acceptor';
  /** Bytes counted against `inboundMemory` for this association. */
  private counted = 0;
  /** When we last heard from the peer or did something ourselves (Date.now()), for the idle timeout. */
  private lastActivity = 0;
  private idleTimer: NodeJS.Timeout | null = null;

  /** `maxPdu`: the largest P-DATA-TF we told the peer we take (0 = no limit). */
  constructor(transport: Transport, role: 'requestor' | 'acceptor', timeouts: Timeouts, maxPdu: number, events: UpperLayerEvents) {
    this.transport = transport;
    this.role = role;
    this.events = events;
    this.timeouts = timeouts;
    // Peers must respect our max PDU; allow slack for the ones that count the header in.
    this.reader = new PduReader(Math.max(maxPdu || 64 * 1024 * 1024, 1024 * 1024) + 1024);
    this.current = role === 'requestor' ? 'connecting' : 'awaiting-rq';
    this.closed = new Promise((resolve) => (this.closeResolve = resolve));
    if (role === 'acceptor') this.armTimer('associate', timeouts.associate);
  }

  /** The current state. */
  get state(): State {
    return this.current;
  }

  /** The error the association ended with (null while open, or after a release). */
  get failure(): DimseError | null {
    return this.failed;
  }

  /** The transport failed. */
  onError(err: DimseError): void {
    this.destroy(err);
  }

  /** The transport closed. */
  onClose(): void {
    this.destroy(new PeerClosed(this.reader.pending ? 'The peer closed the connection in the middle of a PDU' : 'The peer closed the connection'));
  }

  /** Something happened on the association: the idle timeout counts from now. */
  touch(): void {
    this.lastActivity = Date.now();
  }

  /** Bytes from the peer; `transient` when `chunk` is a read buffer that is reused after this call. */
  onData(chunk: Buffer, transient: boolean): void {
    if (this.current === 'closed') return;
    this.lastActivity = Date.now();
    this.readPdus(chunk, transient);
    if (this.state !== 'closed') this.countHeld();
  }

  private readPdus(chunk: Buffer, transient: boolean): void {
    let pdus: Pdu[];
    try {
      pdus = this.reader.push(chunk, transient);
    } catch (err) {
      this.protocolFailure(err instanceof PduError ? err.message : String(err), err instanceof PduError ? err.abortReason : 0);
      return;
    }
    for (const p of pdus) {
      if (this.state === 'closed') return; // (a getter: an earlier PDU may have ended the association)
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

  /** Counts what this association holds against the process's budget; aborts it if that would pass the limit. */
  private countHeld(): void {
    const held = this.reader.held + this.events.held();
    if (held === this.counted) return;
    if (!inboundMemory.take(held - this.counted)) {
      this.protocolFailure(`it would hold more incoming data than the ${inboundMemory.limit >> 20} MiB all associations may hold together`, AbortReason.NotSpecified);
      return;
    }
    this.counted = held;
  }

  /**
   * As requestor: sends the A-ASSOCIATE-RQ and resolves with the A-ASSOCIATE-AC. `onAc` runs
   * synchronously when the AC is read, before the next PDU of the same TCP chunk: a peer may send a
   * request right behind its AC (a storage commitment report "on our next association" does).
   */
  associate(rq: AssociateRq, onAc: (ac: AssociateAc) => void): Promise<AssociateAc> {
    return new Promise<AssociateAc>((resolve, reject) => {
      this.associateWaiter = {
        resolve: (ac) => {
          onAc(ac);
          resolve(ac);
        },
        reject,
      };
      this.current = 'awaiting-ac';
      this.armTimer('associate', this.timeouts.associate);
      this.transport.send(encodePdu(rq));
    });
  }

  /** Sends A-RELEASE-RQ and resolves once the association has ended (PS3.8 §7.2). */
  async release(): Promise<void> {
    if (this.current !== 'established') return;
    this.current = 'releasing';
    await new Promise<void>((resolve) => {
      this.releaseWaiter = { resolve };
      this.armTimer('release', this.timeouts.release);
      this.transport.send(encodePdu({ type: 'release-rq' }));
    });
  }

  /** A-ABORT from the service user (us), and the end. */
  abort(): void {
    if (this.current === 'closed') return;
    if (this.current !== 'connecting') this.transport.send(encodePdu({ type: 'abort', source: 0, reason: 0 }));
    this.destroy(new Aborted(0, 0, false, 'The association was aborted by us'));
  }

  /** Ends the association with `err` (nothing is sent); `graceful` lets the socket finish writing. */
  destroy(err: DimseError, graceful = false): void {
    if (this.current === 'closed') return;
    this.failed = err;
    this.finish({ reason: err });
    this.transport.end(err, graceful);
  }

  private onPdu(p: Pdu): void {
    if (p.type !== 'abort' && !EXPECTED[p.type].includes(this.current)) {
      const what = { 'associate-ac': 'A-ASSOCIATE-AC', 'associate-rj': 'A-ASSOCIATE-RJ', 'associate-rq': 'A-ASSOCIATE-RQ', 'p-data': 'P-DATA-TF', 'release-rq': 'A-RELEASE-RQ', 'release-rp': 'A-RELEASE-RP' }[p.type];
      throw new PduError(p.type === 'p-data' ? 'P-DATA-TF outside an association' : `unexpected ${what}`, AbortReason.UnexpectedPdu);
    }
    switch (p.type) {
      case 'associate-ac':
        this.clearTimer();
        this.established();
        this.associateWaiter?.resolve(p);
        this.associateWaiter = null;
        return;
      case 'associate-rj':
        this.destroy(new AssociationRejected(p.result, p.source, p.reason));
        return;
      case 'associate-rq':
        this.onAssociateRq(p);
        return;
      case 'p-data':
        for (const pdv of p.pdvs) this.events.pdv(pdv);
        return;
      case 'release-rq':
        this.transport.send(encodePdu({ type: 'release-rp' }));
        this.finish({ reason: 'released' });
        this.transport.end(null, true);
        return;
      case 'release-rp':
        this.finish({ reason: 'released' });
        this.transport.end(null, true);
        return;
      case 'abort':
        this.destroy(new Aborted(p.source, p.reason, true));
        return;
    }
  }

  private onAssociateRq(rq: AssociateRq): void {
    if (!this.events.associateRq) throw new PduError('unexpected A-ASSOCIATE-RQ', AbortReason.UnexpectedPdu);
    const answer = this.events.associateRq(rq);
    if (!(answer instanceof Promise)) return this.answerAssociateRq(answer);
    // Deciding takes a while (e.g. resolving a node's host name): anything the peer sends meanwhile
    // is an unexpected PDU (PS3.8 Sta3), and the associate timer still runs.
    this.current = 'negotiating';
    answer.then(
      (a) => {
        if (this.current === 'negotiating') this.answerAssociateRq(a);
      },
      (err) => {
        log.error('deciding on an association failed:', err);
        if (this.current === 'negotiating') this.answerAssociateRq({ type: 'associate-rj', result: 2, source: 1, reason: 1 });
      },
    );
  }

  private answerAssociateRq(answer: AssociateAc | AssociateRj): void {
    this.clearTimer();
    this.transport.send(encodePdu(answer));
    if (answer.type === 'associate-rj') {
      this.destroy(new AssociationRejected(answer.result, answer.source, answer.reason), true);
      return;
    }
    this.established();
  }

  private established(): void {
    this.current = 'established';
    this.lastActivity = Date.now();
    if (this.timeouts.idle > 0) this.watchIdle(this.timeouts.idle);
  }

  /**
   * Aborts the association when the peer stays silent for `ms` while we wait on it (Timeouts.idle).
   * The timer is not re-armed per PDU: it wakes up when the silence could have lasted `ms` at the
   * earliest, and looks at when we last heard from the peer.
   */
  private watchIdle(ms: number): void {
    const check = () => {
      this.idleTimer = null;
      if (this.current !== 'established' && this.current !== 'releasing') return;
      const waiting = this.events.waitingForPeer();
      const now = Date.now();
      if (waiting === 'message' || (waiting === 'idle' && this.role === 'acceptor')) {
        const silent = now - this.lastActivity;
        if (silent >= ms) {
          warn(`${this.transport.peer} (${this.events.peerAe()}) sent nothing for ${ms} ms ${waiting === 'message' ? 'in the middle of a message' : 'on an idle association'}; aborting`);
          this.transport.send(encodePdu({ type: 'abort', source: 2, reason: 0 }));
          this.destroy(new Timeout('idle', ms));
          return;
        }
        this.idleTimer = setTimeout(check, ms - silent).unref();
        return;
      }
      // We are the one working (or, as requestor, nothing is asked of the peer): silence is fine.
      this.lastActivity = now;
      this.idleTimer = setTimeout(check, ms).unref();
    };
    this.idleTimer = setTimeout(check, ms).unref();
  }

  private protocolFailure(message: string, reason: number): void {
    warn(`protocol error from ${this.transport.peer} (${this.events.peerAe()}); aborting: ${message}`);
    this.transport.send(encodePdu({ type: 'abort', source: 2, reason }));
    this.destroy(new ProtocolError(message, reason));
  }

  private armTimer(phase: Timeout['phase'], ms: number): void {
    this.clearTimer();
    this.stateTimer = setTimeout(() => {
      // A wait for the peer that ran out: A-ABORT from the provider (PS3.8 §9.1.5), except that a
      // release that was never answered just ends.
      if (phase !== 'release') this.transport.send(encodePdu({ type: 'abort', source: 2, reason: 0 }));
      this.destroy(new Timeout(phase, ms));
    }, ms);
  }

  private clearTimer(): void {
    if (this.stateTimer) clearTimeout(this.stateTimer);
    this.stateTimer = null;
  }

  private finish(info: CloseInfo): void {
    this.clearTimer();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    inboundMemory.take(-this.counted);
    this.counted = 0;
    this.current = 'closed';
    const err = info.reason === 'released' ? new PeerClosed('The association was released') : info.reason;
    this.events.ended(err);
    this.associateWaiter?.reject(err);
    this.associateWaiter = null;
    this.releaseWaiter?.resolve();
    this.releaseWaiter = null;
    this.closeResolve(info);
  }
}
