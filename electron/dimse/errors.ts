/**
 * The DIMSE error tree: transport and association failures. DIMSE statuses are not errors: they
 * come back as values (see command.ts).
 */
import { describeAbort, describeRejection } from './pdu.ts';

/** Base class of every association-level failure. */
export class DimseError extends Error {
  override name = 'DimseError';
}

/** The peer rejected the association (PS3.8 §9.3.4). */
export class AssociationRejected extends DimseError {
  override name = 'AssociationRejected';
  readonly result: number;
  readonly source: number;
  readonly reason: number;
  constructor(result: number, source: number, reason: number) {
    super(describeRejection(result, source, reason));
    this.result = result;
    this.source = source;
    this.reason = reason;
  }
  /** Rejected-transient: trying again later may work. */
  get transient(): boolean {
    return this.result === 2;
  }
}

/** The association was aborted, by the peer or by us after a protocol error (PS3.8 §9.3.8). */
export class Aborted extends DimseError {
  override name = 'Aborted';
  readonly source: number;
  readonly reason: number;
  /** True when the peer sent the A-ABORT; false when we aborted. */
  readonly byPeer: boolean;
  constructor(source: number, reason: number, byPeer: boolean, message?: string) {
    super(message ?? describeAbort(source, reason));
    this.source = source;
    this.reason = reason;
    this.byPeer = byPeer;
  }
}

/** The peer sent something that is not valid DICOM upper layer / DIMSE; we aborted. */
export class ProtocolError extends Aborted {
  override name = 'ProtocolError';
  constructor(message: string, reason: number) {
    super(2, reason, false, `Protocol error, association aborted: ${message}`);
  }
}

/** Something did not happen in time: connecting, association negotiation, a response. */
export class Timeout extends DimseError {
  override name = 'Timeout';
  readonly phase: 'connect' | 'associate' | 'response' | 'release' | 'idle';
  constructor(phase: Timeout['phase'], ms: number) {
    super(`Timed out after ${ms} ms waiting for ${phase === 'connect' ? 'the connection' : phase === 'associate' ? 'the association to be accepted' : phase === 'response' ? 'a response' : phase === 'release' ? 'the release reply' : 'the peer'}`);
    this.phase = phase;
  }
}

/** The TCP connection closed or failed without a release or abort. */
export class PeerClosed extends DimseError {
  override name = 'PeerClosed';
  readonly code?: string;
  constructor(message = 'The peer closed the connection', code?: string) {
    super(message);
    this.code = code;
  }
}

/** We asked for something the association cannot do (no accepted context, already closed). */
export class NotNegotiated extends DimseError {
  override name = 'NotNegotiated';
}

/** A request queued to follow the outstanding one (`followUp`) never went out: it was withdrawn, the
 * peer reported it was out of resources, or the association ended first. Sending it again is safe. */
export class NotSent extends DimseError {
  override name = 'NotSent';
}
