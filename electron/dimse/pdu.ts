/**
 * DICOM Upper Layer PDUs (PS3.8 §9.3): encoding, decoding and a streaming reader.
 *
 * Our own code rather than dcmjs-dimse's: we need a reader that never throws on the socket's data
 * event (a bad PDU becomes a typed error and an A-ABORT), P-DATA-TF PDUs whose data can be read
 * straight from a file into the outgoing buffer, and no per-message re-parsing (see
 * docs/dimse.md for what we measured).
 */
import { MAX_CONTROL_PDU } from './limits.ts';

/** PDU types (PS3.8 Table 9-11 …). */
export const PduType = {
  AssociateRq: 0x01,
  AssociateAc: 0x02,
  AssociateRj: 0x03,
  PData: 0x04,
  ReleaseRq: 0x05,
  ReleaseRp: 0x06,
  Abort: 0x07,
} as const;

/** The DICOM Application Context Name (PS3.7 Annex A.2.1). */
export const APPLICATION_CONTEXT = '1.2.840.10008.3.1.1.1';
/** Courier's implementation class UID and version name (electron/dicom/implementation.ts). */
export { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME as IMPLEMENTATION_VERSION } from '../dicom/implementation.ts';

/** A proposed presentation context (PS3.8 §9.3.2.2). */
export interface ProposedContext {
  id: number;
  abstractSyntax: string;
  transferSyntaxes: string[];
}

/** An SCP/SCU role selection sub-item (PS3.7 §D.3.3.4). */
export interface RoleSelection {
  sopClassUid: string;
  scu: boolean;
  scp: boolean;
}

/** User information (PS3.8 §9.3.2.3, PS3.7 Annex D.3.3). */
export interface UserInformation {
  /** Maximum P-DATA-TF PDU variable-field length we can receive; 0 = no limit. */
  maxPduLength: number;
  implementationClassUid: string;
  implementationVersionName?: string;
  /** Asynchronous operations window (invoked, performed); absent = 1/1. */
  asyncOps?: { invoked: number; performed: number };
  roles: RoleSelection[];
}

/** A-ASSOCIATE-RQ. */
export interface AssociateRq {
  type: 'associate-rq';
  protocolVersion: number;
  calledAe: string;
  callingAe: string;
  applicationContext: string;
  contexts: ProposedContext[];
  user: UserInformation;
}

/** Presentation context results (PS3.8 Table 9-18). */
export const ContextResult = {
  Acceptance: 0,
  UserRejection: 1,
  NoReason: 2,
  AbstractSyntaxNotSupported: 3,
  TransferSyntaxesNotSupported: 4,
} as const;

/** An accepted or rejected presentation context (PS3.8 §9.3.3.2). */
export interface ContextReply {
  id: number;
  result: number;
  transferSyntax: string;
}

/** A-ASSOCIATE-AC. */
export interface AssociateAc {
  type: 'associate-ac';
  protocolVersion: number;
  calledAe: string;
  callingAe: string;
  applicationContext: string;
  contexts: ContextReply[];
  user: UserInformation;
}

/** A-ASSOCIATE-RJ (PS3.8 §9.3.4). */
export interface AssociateRj {
  type: 'associate-rj';
  /** 1 rejected-permanent, 2 rejected-transient. */
  result: number;
  /** 1 service-user, 2 service-provider (ACSE), 3 service-provider (presentation). */
  source: number;
  reason: number;
}

/** One presentation data value (PS3.8 §9.3.5.1). */
export interface Pdv {
  contextId: number;
  command: boolean;
  last: boolean;
  data: Uint8Array;
}

/** P-DATA-TF. */
export interface PData {
  type: 'p-data';
  pdvs: Pdv[];
  /** Set by PduReader on a piece of a P-DATA-TF whose bytes have not all arrived: more of it follows. */
  continued?: boolean;
}

/** A-RELEASE-RQ / A-RELEASE-RP. */
export interface Release {
  type: 'release-rq' | 'release-rp';
}

/** A-ABORT (PS3.8 §9.3.8): source 0 service-user, 2 service-provider. */
export interface Abort {
  type: 'abort';
  source: number;
  reason: number;
}

/** Any PDU. */
export type Pdu = AssociateRq | AssociateAc | AssociateRj | PData | Release | Abort;

/** A malformed PDU; `abortReason` is the A-ABORT reason to send (PS3.8 Table 9-26). */
export class PduError extends Error {
  override name = 'PduError';
  readonly abortReason: number;
  constructor(message: string, abortReason = 0) {
    super(message);
    this.abortReason = abortReason;
  }
}

/** A-ABORT reasons from the service provider (PS3.8 Table 9-26). */
export const AbortReason = {
  NotSpecified: 0,
  UnrecognizedPdu: 1,
  UnexpectedPdu: 2,
  UnrecognizedPduParameter: 4,
  UnexpectedPduParameter: 5,
  InvalidPduParameterValue: 6,
} as const;

// ---------------------------------------------------------------------------------------------
// Encoding

const ascii = (s: string) => Buffer.from(s, 'latin1');

function aeField(ae: string): Buffer {
  const b = Buffer.alloc(16, 0x20);
  b.write(ae.slice(0, 16), 'latin1');
  return b;
}

function item(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h[0] = type;
  h.writeUInt16BE(body.length, 2);
  return Buffer.concat([h, body]);
}

function pdu(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(6);
  h[0] = type;
  h.writeUInt32BE(body.length, 2);
  return Buffer.concat([h, body]);
}

function encodeUser(u: UserInformation): Buffer {
  const parts: Buffer[] = [];
  const max = Buffer.alloc(4);
  max.writeUInt32BE(u.maxPduLength >>> 0);
  parts.push(item(0x51, max));
  parts.push(item(0x52, ascii(u.implementationClassUid)));
  if (u.asyncOps) {
    const a = Buffer.alloc(4);
    a.writeUInt16BE(u.asyncOps.invoked, 0);
    a.writeUInt16BE(u.asyncOps.performed, 2);
    parts.push(item(0x53, a));
  }
  for (const r of u.roles) {
    const uid = ascii(r.sopClassUid);
    const b = Buffer.alloc(4 + uid.length);
    b.writeUInt16BE(uid.length, 0);
    uid.copy(b, 2);
    b[2 + uid.length] = r.scu ? 1 : 0;
    b[3 + uid.length] = r.scp ? 1 : 0;
    parts.push(item(0x54, b));
  }
  if (u.implementationVersionName) parts.push(item(0x55, ascii(u.implementationVersionName.slice(0, 16))));
  return item(0x50, Buffer.concat(parts));
}

function associateHeader(calledAe: string, callingAe: string, version: number): Buffer {
  const b = Buffer.alloc(68);
  b.writeUInt16BE(version, 0);
  aeField(calledAe).copy(b, 4);
  aeField(callingAe).copy(b, 20);
  return b;
}

/** Encodes any PDU into one buffer (for P-DATA of large datasets, use `pDataHeader`). */
export function encodePdu(p: Pdu): Buffer {
  switch (p.type) {
    case 'associate-rq': {
      const parts = [associateHeader(p.calledAe, p.callingAe, p.protocolVersion), item(0x10, ascii(p.applicationContext))];
      for (const c of p.contexts) {
        const head = Buffer.from([c.id, 0, 0, 0]);
        parts.push(item(0x20, Buffer.concat([head, item(0x30, ascii(c.abstractSyntax)), ...c.transferSyntaxes.map((t) => item(0x40, ascii(t)))])));
      }
      parts.push(encodeUser(p.user));
      return pdu(PduType.AssociateRq, Buffer.concat(parts));
    }
    case 'associate-ac': {
      const parts = [associateHeader(p.calledAe, p.callingAe, p.protocolVersion), item(0x10, ascii(p.applicationContext))];
      for (const c of p.contexts) {
        parts.push(item(0x21, Buffer.concat([Buffer.from([c.id, 0, c.result, 0]), item(0x40, ascii(c.transferSyntax))])));
      }
      parts.push(encodeUser(p.user));
      return pdu(PduType.AssociateAc, Buffer.concat(parts));
    }
    case 'associate-rj':
      return pdu(PduType.AssociateRj, Buffer.from([0, p.result, p.source, p.reason]));
    case 'p-data': {
      const parts: Buffer[] = [];
      for (const v of p.pdvs) {
        const h = Buffer.alloc(6);
        h.writeUInt32BE(v.data.length + 2, 0);
        h[4] = v.contextId;
        h[5] = (v.command ? 1 : 0) | (v.last ? 2 : 0);
        parts.push(h, Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength));
      }
      return pdu(PduType.PData, Buffer.concat(parts));
    }
    case 'release-rq':
      return pdu(PduType.ReleaseRq, Buffer.alloc(4));
    case 'release-rp':
      return pdu(PduType.ReleaseRp, Buffer.alloc(4));
    case 'abort':
      return pdu(PduType.Abort, Buffer.from([0, 0, p.source, p.reason]));
  }
}

/** Size of the header `pDataHeader` writes before a single PDV's data. */
export const PDATA_HEADER_SIZE = 12;

/** Writes the header of a P-DATA-TF with one PDV of `dataLength` bytes into `buf` at `at`..`at` + 11. */
export function pDataHeader(buf: Buffer, contextId: number, command: boolean, last: boolean, dataLength: number, at = 0): void {
  buf[at] = PduType.PData;
  buf[at + 1] = 0;
  buf.writeUInt32BE(dataLength + 6, at + 2);
  buf.writeUInt32BE(dataLength + 2, at + 6);
  buf[at + 10] = contextId;
  buf[at + 11] = (command ? 1 : 0) | (last ? 2 : 0);
}

// ---------------------------------------------------------------------------------------------
// Decoding

const text = (b: Buffer, start: number, end: number) => b.toString('latin1', start, end).replace(/[\0 ]+$/, '').replace(/^ +/, '');

interface Item {
  type: number;
  body: Buffer;
}

function items(b: Buffer, start: number, end: number, where: string): Item[] {
  const out: Item[] = [];
  let p = start;
  while (p < end) {
    if (p + 4 > end) throw new PduError(`${where}: item header runs past the end`, AbortReason.InvalidPduParameterValue);
    const len = b.readUInt16BE(p + 2);
    if (p + 4 + len > end) throw new PduError(`${where}: item 0x${b[p].toString(16)} runs past the end`, AbortReason.InvalidPduParameterValue);
    out.push({ type: b[p], body: b.subarray(p + 4, p + 4 + len) });
    p += 4 + len;
  }
  return out;
}

function decodeUser(body: Buffer): UserInformation {
  const u: UserInformation = { maxPduLength: 0, implementationClassUid: '', roles: [] };
  for (const it of items(body, 0, body.length, 'user information')) {
    const b = it.body;
    if (it.type === 0x51) {
      if (b.length !== 4) throw new PduError('maximum length sub-item is not 4 bytes', AbortReason.InvalidPduParameterValue);
      u.maxPduLength = b.readUInt32BE(0);
    } else if (it.type === 0x52) u.implementationClassUid = text(b, 0, b.length);
    else if (it.type === 0x55) u.implementationVersionName = text(b, 0, b.length);
    else if (it.type === 0x53 && b.length === 4) u.asyncOps = { invoked: b.readUInt16BE(0), performed: b.readUInt16BE(2) };
    else if (it.type === 0x54) {
      if (b.length < 4) throw new PduError('role selection sub-item too short', AbortReason.InvalidPduParameterValue);
      const n = b.readUInt16BE(0);
      if (2 + n + 2 > b.length) throw new PduError('role selection UID runs past the sub-item', AbortReason.InvalidPduParameterValue);
      u.roles.push({ sopClassUid: text(b, 2, 2 + n), scu: b[2 + n] === 1, scp: b[3 + n] === 1 });
    }
    // Other sub-items (user identity, extended negotiation …) are ignored (PS3.7 §D.3.3).
  }
  return u;
}

function decodeAssociate(type: number, b: Buffer): AssociateRq | AssociateAc {
  if (b.length < 68) throw new PduError('A-ASSOCIATE PDU shorter than its fixed fields', AbortReason.InvalidPduParameterValue);
  const protocolVersion = b.readUInt16BE(0);
  const calledAe = text(b, 4, 20);
  const callingAe = text(b, 20, 36);
  let applicationContext = '';
  let user: UserInformation | null = null;
  const proposed: ProposedContext[] = [];
  const replies: ContextReply[] = [];
  for (const it of items(b, 68, b.length, 'A-ASSOCIATE')) {
    if (it.type === 0x10) applicationContext = text(it.body, 0, it.body.length);
    else if (it.type === 0x20 && type === PduType.AssociateRq) {
      if (it.body.length < 4) throw new PduError('presentation context item too short', AbortReason.InvalidPduParameterValue);
      const ctx: ProposedContext = { id: it.body[0], abstractSyntax: '', transferSyntaxes: [] };
      for (const sub of items(it.body, 4, it.body.length, 'presentation context')) {
        if (sub.type === 0x30) ctx.abstractSyntax = text(sub.body, 0, sub.body.length);
        else if (sub.type === 0x40) ctx.transferSyntaxes.push(text(sub.body, 0, sub.body.length));
      }
      proposed.push(ctx);
    } else if (it.type === 0x21 && type === PduType.AssociateAc) {
      if (it.body.length < 4) throw new PduError('presentation context item too short', AbortReason.InvalidPduParameterValue);
      let ts = '';
      for (const sub of items(it.body, 4, it.body.length, 'presentation context')) if (sub.type === 0x40) ts = text(sub.body, 0, sub.body.length);
      replies.push({ id: it.body[0], result: it.body[2], transferSyntax: ts });
    } else if (it.type === 0x50) user = decodeUser(it.body);
    else throw new PduError(`unexpected item 0x${it.type.toString(16)} in A-ASSOCIATE`, AbortReason.UnexpectedPduParameter);
  }
  if (!user) throw new PduError('A-ASSOCIATE without user information', AbortReason.InvalidPduParameterValue);
  if (type === PduType.AssociateRq) return { type: 'associate-rq', protocolVersion, calledAe, callingAe, applicationContext, contexts: proposed, user };
  return { type: 'associate-ac', protocolVersion, calledAe, callingAe, applicationContext, contexts: replies, user };
}

/** Decodes one PDU's variable field (`body`) of the given type. Throws PduError when malformed. */
export function decodePdu(type: number, body: Buffer): Pdu {
  switch (type) {
    case PduType.AssociateRq:
    case PduType.AssociateAc:
      return decodeAssociate(type, body);
    case PduType.AssociateRj:
      if (body.length < 4) throw new PduError('A-ASSOCIATE-RJ too short', AbortReason.InvalidPduParameterValue);
      return { type: 'associate-rj', result: body[1], source: body[2], reason: body[3] };
    case PduType.PData: {
      const pdvs: Pdv[] = [];
      let p = 0;
      while (p < body.length) {
        if (p + 6 > body.length) throw new PduError('PDV header runs past the P-DATA-TF', AbortReason.InvalidPduParameterValue);
        const len = body.readUInt32BE(p);
        if (len < 2 || p + 4 + len > body.length) throw new PduError(`PDV length ${len} does not fit the P-DATA-TF`, AbortReason.InvalidPduParameterValue);
        const mch = body[p + 5];
        pdvs.push({ contextId: body[p + 4], command: (mch & 1) === 1, last: (mch & 2) === 2, data: body.subarray(p + 6, p + 4 + len) });
        p += 4 + len;
      }
      if (!pdvs.length) throw new PduError('P-DATA-TF without a PDV', AbortReason.InvalidPduParameterValue);
      return { type: 'p-data', pdvs };
    }
    case PduType.ReleaseRq:
      return { type: 'release-rq' };
    case PduType.ReleaseRp:
      return { type: 'release-rp' };
    case PduType.Abort:
      return { type: 'abort', source: body.length >= 4 ? body[2] : 0, reason: body.length >= 4 ? body[3] : 0 };
    default:
      throw new PduError(`unrecognised PDU type 0x${type.toString(16)}`, AbortReason.UnrecognizedPdu);
  }
}

/**
 * Reads PDUs from a byte stream. `push` returns the PDUs its bytes complete; it throws PduError for
 * a malformed PDU or one longer than `maxLength` (after which the stream is dead).
 *
 * A P-DATA-TF is not gathered whole: its PDVs go up as their bytes arrive, a PDV that spans reads in
 * pieces (`Pdv.last` on the piece that ends it; `PData.continued` while the PDU goes on), so a peer
 * that declares a megabyte and sends it slowly makes us hold nothing here: what is kept of an
 * unfinished message is the message layer's business, counted against the memory budget there.
 * Other PDUs (association, release, abort) are gathered whole; they are short
 * (MAX_CONTROL_PDU), and one that arrives in one chunk is decoded where it lies.
 */
export class PduReader {
  private readonly maxLength: number;
  /** The 6-byte header of the PDU or of the PDV being read, while incomplete. */
  private readonly head = Buffer.alloc(6);
  private headFilled = 0;
  /** The PDU being read: its type (0 between PDUs), and the bytes of its variable field not read yet. */
  private pduType = 0;
  private pduLeft = 0;
  /** Bytes of the current PDU read so far, its header included. */
  private consumed = 0;
  /** A PDU other than P-DATA-TF being gathered, and how much of it is in. */
  private control: Buffer | null = null;
  private controlFilled = 0;
  /** Within a P-DATA-TF: the PDV whose data is being read (null while its header is), and its data bytes not read yet. */
  private pdv: Omit<Pdv, 'data'> | null = null;
  private pdvLeft = 0;

  /** `maxLength`: the largest PDU variable field accepted (our max PDU plus slack). */
  constructor(maxLength: number) {
    this.maxLength = maxLength;
  }

  /** Bytes received but not yet part of a complete PDU (nonzero at close = truncated PDU). */
  get pending(): number {
    return this.consumed;
  }

  /** Bytes of memory held for them (a PDU other than P-DATA-TF gathered whole). */
  get held(): number {
    return this.control?.length ?? 0;
  }

  /**
   * Adds bytes; returns the PDUs (and pieces of P-DATA-TFs) completed by them. A `transient` chunk
   * is a read buffer that will be reused: what is returned may point into it (use it at once);
   * what is kept of it is copied.
   */
  push(chunk: Buffer, _transient = false): Pdu[] {
    const out: Pdu[] = [];
    let at = 0;
    for (;;) {
      if (!this.pduType) {
        if (at >= chunk.length) break;
        // A PDU header; a whole PDU other than P-DATA-TF in the chunk is decoded where it lies.
        if (!this.headFilled && chunk.length - at >= 6) {
          const length = this.checkHeader(chunk, at);
          if (chunk[at] !== PduType.PData && chunk.length - at >= 6 + length) {
            out.push(decodePdu(chunk[at], chunk.subarray(at + 6, at + 6 + length)));
            at += 6 + length;
            continue;
          }
        }
        at += this.fillHead(chunk, at);
        this.consumed = this.headFilled;
        if (this.headFilled < 6) break;
        this.headFilled = 0;
        this.startPdu(this.head[0], this.checkHeader(this.head, 0));
      }
      if (this.pduType !== PduType.PData) {
        const body = this.control!;
        const n = Math.min(body.length - this.controlFilled, chunk.length - at);
        chunk.copy(body, this.controlFilled, at, at + n);
        this.controlFilled += n;
        this.consumed += n;
        at += n;
        if (this.controlFilled < body.length) break;
        const type = this.pduType;
        this.endPdu();
        out.push(decodePdu(type, body));
        continue;
      }
      if (at >= chunk.length) break;
      at = this.readPData(chunk, at, out);
    }
    return out;
  }

  /** Starts reading a PDU whose header said `type` and `length`. */
  private startPdu(type: number, length: number): void {
    this.pduType = type;
    this.pduLeft = length;
    if (type === PduType.PData) {
      if (length === 0) throw new PduError('P-DATA-TF without a PDV', AbortReason.InvalidPduParameterValue);
      return;
    }
    this.control = Buffer.allocUnsafe(length);
    this.controlFilled = 0;
  }

  /** The current PDU has been read whole. */
  private endPdu(): void {
    this.pduType = 0;
    this.pduLeft = 0;
    this.consumed = 0;
    this.control = null;
    this.controlFilled = 0;
  }

  /** Reads what `chunk` has of the current P-DATA-TF from `at`: PDV headers, and PDV data as pieces into `out`; returns where it stopped. */
  private readPData(chunk: Buffer, at: number, out: Pdu[]): number {
    let piece: PData | null = null;
    while (at < chunk.length && this.pduLeft > 0) {
      if (!this.pdv) {
        if (this.pduLeft < 6) throw new PduError('PDV header runs past the P-DATA-TF', AbortReason.InvalidPduParameterValue);
        const n = this.fillHead(chunk, at);
        at += n;
        this.consumed += n;
        // The chunk ends inside this PDV's header: what was read of earlier PDVs still goes up.
        if (this.headFilled < 6) break;
        this.headFilled = 0;
        const len = this.head.readUInt32BE(0);
        if (len < 2 || 4 + len > this.pduLeft) throw new PduError(`PDV length ${len} does not fit the P-DATA-TF`, AbortReason.InvalidPduParameterValue);
        const mch = this.head[5];
        this.pdv = { contextId: this.head[4], command: (mch & 1) === 1, last: (mch & 2) === 2 };
        this.pdvLeft = len - 2;
        this.pduLeft -= 6;
      }
      const n = Math.min(this.pdvLeft, chunk.length - at);
      this.pdvLeft -= n;
      this.pduLeft -= n;
      this.consumed += n;
      if (n > 0 || this.pdvLeft === 0) {
        piece ??= { type: 'p-data', pdvs: [] };
        piece.pdvs.push({ ...this.pdv, last: this.pdv.last && this.pdvLeft === 0, data: chunk.subarray(at, at + n) });
      }
      at += n;
      if (this.pdvLeft === 0) this.pdv = null;
    }
    if (this.pduLeft === 0) this.endPdu();
    else if (piece) piece.continued = true;
    if (piece) out.push(piece);
    return at;
  }

  /** Copies from `chunk` at `at` into the 6-byte header being read, up to its end; returns how much was used. */
  private fillHead(chunk: Buffer, at: number): number {
    const n = Math.min(6 - this.headFilled, chunk.length - at);
    chunk.copy(this.head, this.headFilled, at, at + n);
    this.headFilled += n;
    return n;
  }

  /** Checks a PDU header at `at` (type, declared length); returns the length of its variable field. */
  private checkHeader(b: Buffer, at: number): number {
    const type = b[at];
    const length = b.readUInt32BE(at + 2);
    if (type < 1 || type > 7) throw new PduError(`unrecognised PDU type 0x${type.toString(16)}`, AbortReason.UnrecognizedPdu);
    if (length > this.maxLength) throw new PduError(`PDU of ${length} bytes exceeds the limit of ${this.maxLength}`, AbortReason.InvalidPduParameterValue);
    if (type !== PduType.PData && length > MAX_CONTROL_PDU) throw new PduError(`${type === PduType.AssociateRq ? 'A-ASSOCIATE-RQ' : `PDU type 0x${type.toString(16)}`} of ${length} bytes exceeds the limit of ${MAX_CONTROL_PDU}`, AbortReason.InvalidPduParameterValue);
    return length;
  }
}

/** Human text for A-ASSOCIATE-RJ result/source/reason (PS3.8 Table 9-21). */
export function describeRejection(result: number, source: number, reason: number): string {
  const r = result === 1 ? 'rejected (permanent)' : result === 2 ? 'rejected (transient)' : `rejected (result ${result})`;
  const sources: Record<number, [string, Record<number, string>]> = {
    1: ['service user', { 1: 'no reason given', 2: 'application context name not supported', 3: 'calling AE title not recognized', 7: 'called AE title not recognized' }],
    2: ['service provider (ACSE)', { 1: 'no reason given', 2: 'protocol version not supported' }],
    3: ['service provider (presentation)', { 1: 'temporary congestion', 2: 'local limit exceeded' }],
  };
  const [src, reasons] = sources[source] ?? [`source ${source}`, {}];
  return `Association ${r} by the ${src}: ${reasons[reason] ?? `reason ${reason}`}`;
}

/** Human text for an A-ABORT (PS3.8 Table 9-26). */
export function describeAbort(source: number, reason: number): string {
  if (source === 0) return 'The peer aborted the association (service user)';
  const reasons: Record<number, string> = {
    0: 'reason not specified',
    1: 'unrecognized PDU',
    2: 'unexpected PDU',
    4: 'unrecognized PDU parameter',
    5: 'unexpected PDU parameter',
    6: 'invalid PDU parameter value',
  };
  return `The association was aborted by the service provider: ${reasons[reason] ?? `reason ${reason}`}`;
}
