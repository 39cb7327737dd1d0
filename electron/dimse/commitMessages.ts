/**
 * Storage Commitment Push Model datasets (PS3.4 J.3): the N-ACTION-RQ's Action Information and
 * the N-EVENT-REPORT-RQ's Event Information, encoded and decoded in Implicit or Explicit VR Little
 * Endian. The generic dataset codec of this folder is not needed for these few attributes, and decoding a 10,000-reference report must take milliseconds.
 */

/** Storage Commitment Push Model SOP Class (PS3.4 J.3). */
export const STORAGE_COMMITMENT_SOP_CLASS = '1.2.840.10008.1.20.1';
/** Its well-known SOP Instance (PS3.4 J.3.5). */
export const STORAGE_COMMITMENT_SOP_INSTANCE = '1.2.840.10008.1.20.1.1';
/** Action Type ID of "Request Storage Commitment" (PS3.4 J.3.2.1). */
export const ACTION_REQUEST_COMMIT = 1;
/** Event Type IDs of the report (PS3.4 J.3.3.1): all committed / some failed. */
export const EVENT_ALL_COMMITTED = 1;
export const EVENT_SOME_FAILED = 2;

/** A referenced instance: SOP Class and SOP Instance UIDs. */
export interface SopReference {
  SOPClassUID: string;
  SOPInstanceUID: string;
}

/** A failed reference with its Failure Reason (0008,1197). */
export interface FailedSopReference extends SopReference {
  FailureReason: number;
}

/** The N-EVENT-REPORT's Event Information (PS3.4 Table J.3-2). */
export interface CommitReportDataset {
  TransactionUID: string | null;
  /** Referenced SOP Sequence (0008,1199): committed instances. */
  referenced: SopReference[];
  /** Failed SOP Sequence (0008,1198). */
  failed: FailedSopReference[];
  RetrieveAETitle?: string;
}

/** The N-ACTION's Action Information (PS3.4 Table J.3-1). */
export interface CommitRequestDataset {
  TransactionUID: string;
  referenced: SopReference[];
}

const TRANSACTION_UID = 0x00081195;
const REFERENCED_SOP_SEQUENCE = 0x00081199;
const FAILED_SOP_SEQUENCE = 0x00081198;
const REFERENCED_SOP_CLASS_UID = 0x00081150;
const REFERENCED_SOP_INSTANCE_UID = 0x00081155;
const FAILURE_REASON = 0x00081197;
const RETRIEVE_AE_TITLE = 0x00080054;
const ITEM = 0xfffee000;
const ITEM_DELIMITATION = 0xfffee00d;
const SEQUENCE_DELIMITATION = 0xfffee0dd;
const UNDEFINED = 0xffffffff;

const VR_OF: Record<number, string> = {
  [TRANSACTION_UID]: 'UI',
  [REFERENCED_SOP_SEQUENCE]: 'SQ',
  [FAILED_SOP_SEQUENCE]: 'SQ',
  [REFERENCED_SOP_CLASS_UID]: 'UI',
  [REFERENCED_SOP_INSTANCE_UID]: 'UI',
  [FAILURE_REASON]: 'US',
  [RETRIEVE_AE_TITLE]: 'AE',
};
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/** A malformed commitment dataset. */
export class CommitDatasetError extends Error {
  override name = 'CommitDatasetError';
}

// ---------------------------------------------------------------------------------------------
// Encoding

class Writer {
  private chunks: Buffer[] = [];
  private buf = Buffer.allocUnsafe(64 * 1024);
  private pos = 0;
  private readonly explicit: boolean;
  constructor(explicit: boolean) {
    this.explicit = explicit;
  }

  private ensure(n: number) {
    if (this.pos + n <= this.buf.length) return;
    this.chunks.push(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(Math.max(64 * 1024, n));
    this.pos = 0;
  }

  header(tag: number, vr: string, length: number) {
    this.ensure(12);
    this.buf.writeUInt16LE(tag >>> 16, this.pos);
    this.buf.writeUInt16LE(tag & 0xffff, this.pos + 2);
    this.pos += 4;
    if (!this.explicit || tag >>> 16 === 0xfffe) {
      this.buf.writeUInt32LE(length >>> 0, this.pos);
      this.pos += 4;
    } else if (LONG_VRS.has(vr)) {
      this.buf.write(vr, this.pos, 'latin1');
      this.buf.writeUInt16LE(0, this.pos + 2);
      this.buf.writeUInt32LE(length >>> 0, this.pos + 4);
      this.pos += 8;
    } else {
      this.buf.write(vr, this.pos, 'latin1');
      this.buf.writeUInt16LE(length, this.pos + 2);
      this.pos += 4;
    }
  }

  text(tag: number, vr: string, value: string) {
    // UI values are padded with NUL, other text VRs with a space, to an even length (PS3.5 §6.2).
    const padded = value.length % 2 ? value + (vr === 'UI' ? '\0' : ' ') : value;
    this.header(tag, vr, padded.length);
    this.ensure(padded.length);
    this.buf.write(padded, this.pos, 'latin1');
    this.pos += padded.length;
  }

  us(tag: number, value: number) {
    this.header(tag, 'US', 2);
    this.ensure(2);
    this.buf.writeUInt16LE(value, this.pos);
    this.pos += 2;
  }

  /** A sequence of undefined length whose items are of undefined length. */
  sequence<T>(tag: number, items: readonly T[], writeItem: (item: T) => void) {
    this.header(tag, 'SQ', UNDEFINED);
    for (const item of items) {
      this.header(ITEM, '', UNDEFINED);
      writeItem(item);
      this.header(ITEM_DELIMITATION, '', 0);
    }
    this.header(SEQUENCE_DELIMITATION, '', 0);
  }

  done(): Buffer {
    this.chunks.push(this.buf.subarray(0, this.pos));
    return Buffer.concat(this.chunks);
  }
}

function writeRef(w: Writer, r: SopReference) {
  w.text(REFERENCED_SOP_CLASS_UID, 'UI', r.SOPClassUID);
  w.text(REFERENCED_SOP_INSTANCE_UID, 'UI', r.SOPInstanceUID);
}

/** Encodes the N-ACTION-RQ dataset: Transaction UID and Referenced SOP Sequence (tags in ascending order). */
export function encodeCommitRequest(d: CommitRequestDataset, explicit = false): Buffer {
  const w = new Writer(explicit);
  w.text(TRANSACTION_UID, 'UI', d.TransactionUID);
  w.sequence(REFERENCED_SOP_SEQUENCE, d.referenced, (r) => writeRef(w, r));
  return w.done();
}

/** Encodes the N-EVENT-REPORT-RQ dataset (used by the test PACS and the tests). */
export function encodeCommitReport(d: CommitReportDataset, explicit = false): Buffer {
  const w = new Writer(explicit);
  if (d.RetrieveAETitle) w.text(RETRIEVE_AE_TITLE, 'AE', d.RetrieveAETitle);
  if (d.TransactionUID !== null) w.text(TRANSACTION_UID, 'UI', d.TransactionUID);
  if (d.failed.length) {
    w.sequence(FAILED_SOP_SEQUENCE, d.failed, (r) => {
      writeRef(w, r);
      w.us(FAILURE_REASON, r.FailureReason);
    });
  }
  if (d.referenced.length) w.sequence(REFERENCED_SOP_SEQUENCE, d.referenced, (r) => writeRef(w, r));
  return w.done();
}

// ---------------------------------------------------------------------------------------------
// Decoding

type Item = Map<number, string | number | Item[]>;

class Reader {
  pos = 0;
  private readonly b: Buffer;
  private readonly explicit: boolean;
  constructor(b: Buffer, explicit: boolean) {
    this.b = b;
    this.explicit = explicit;
  }

  /** Reads elements until `end` (exclusive) or a delimiter; returns them by tag. */
  elements(end: number, depth: number): Item {
    if (depth > 8) throw new CommitDatasetError('sequences nested too deeply');
    const out: Item = new Map();
    while (this.pos < end) {
      if (this.pos + 8 > this.b.length) throw new CommitDatasetError('truncated element header');
      const tag = ((this.b.readUInt16LE(this.pos) << 16) | this.b.readUInt16LE(this.pos + 2)) >>> 0;
      if (tag === ITEM_DELIMITATION || tag === SEQUENCE_DELIMITATION) {
        this.pos += 8;
        return out;
      }
      let vr: string;
      let length: number;
      if (this.explicit) {
        vr = this.b.toString('latin1', this.pos + 4, this.pos + 6);
        if (!/^[A-Z]{2}$/.test(vr)) throw new CommitDatasetError(`bad VR at offset ${this.pos}`);
        if (LONG_VRS.has(vr)) {
          if (this.pos + 12 > this.b.length) throw new CommitDatasetError('truncated element header');
          length = this.b.readUInt32LE(this.pos + 8);
          this.pos += 12;
        } else {
          length = this.b.readUInt16LE(this.pos + 6);
          this.pos += 8;
        }
      } else {
        length = this.b.readUInt32LE(this.pos + 4);
        vr = VR_OF[tag] ?? (length === UNDEFINED ? 'SQ' : 'UN');
        this.pos += 8;
      }
      if (vr === 'SQ' || (vr === 'UN' && length === UNDEFINED)) {
        out.set(tag, this.sequence(length, depth));
        continue;
      }
      if (length === UNDEFINED) throw new CommitDatasetError(`undefined length on a ${vr} element`);
      if (this.pos + length > this.b.length) throw new CommitDatasetError('element runs past the end of the dataset');
      if (vr === 'US' && length >= 2) out.set(tag, this.b.readUInt16LE(this.pos));
      else if (tag in VR_OF) out.set(tag, this.b.toString('latin1', this.pos, this.pos + length).replace(/[\0 ]+$/, '').replace(/^ +/, ''));
      this.pos += length;
    }
    return out;
  }

  sequence(length: number, depth: number): Item[] {
    const end = length === UNDEFINED ? this.b.length : this.pos + length;
    if (end > this.b.length) throw new CommitDatasetError('sequence runs past the end of the dataset');
    const items: Item[] = [];
    while (this.pos < end) {
      if (this.pos + 8 > this.b.length) throw new CommitDatasetError('truncated item header');
      const tag = ((this.b.readUInt16LE(this.pos) << 16) | this.b.readUInt16LE(this.pos + 2)) >>> 0;
      const itemLength = this.b.readUInt32LE(this.pos + 4);
      this.pos += 8;
      if (tag === SEQUENCE_DELIMITATION) return items;
      if (tag !== ITEM) throw new CommitDatasetError(`expected an item, found (${(tag >>> 16).toString(16)},${(tag & 0xffff).toString(16)})`);
      const itemEnd = itemLength === UNDEFINED ? this.b.length : this.pos + itemLength;
      if (itemEnd > this.b.length) throw new CommitDatasetError('item runs past the end of the dataset');
      items.push(this.elements(itemEnd, depth + 1));
    }
    if (length === UNDEFINED) throw new CommitDatasetError('sequence without delimitation item');
    return items;
  }
}

function refOf(item: Item, where: string): SopReference {
  const cls = item.get(REFERENCED_SOP_CLASS_UID);
  const inst = item.get(REFERENCED_SOP_INSTANCE_UID);
  if (typeof cls !== 'string' || typeof inst !== 'string' || !inst) {
    throw new CommitDatasetError(`an item of the ${where} lacks Referenced SOP Class or Instance UID`);
  }
  return { SOPClassUID: cls, SOPInstanceUID: inst };
}

function decodeAll(bytes: Buffer, explicit: boolean): Item {
  const r = new Reader(bytes, explicit);
  return r.elements(bytes.length, 0);
}

/** Decodes an N-EVENT-REPORT-RQ dataset; throws CommitDatasetError when malformed. */
export function decodeCommitReport(bytes: Buffer, explicit = false): CommitReportDataset {
  const top = decodeAll(bytes, explicit);
  const uid = top.get(TRANSACTION_UID);
  const refs = top.get(REFERENCED_SOP_SEQUENCE);
  const failed = top.get(FAILED_SOP_SEQUENCE);
  const retrieve = top.get(RETRIEVE_AE_TITLE);
  return {
    TransactionUID: typeof uid === 'string' && uid ? uid : null,
    referenced: Array.isArray(refs) ? refs.map((i) => refOf(i, 'Referenced SOP Sequence')) : [],
    failed: Array.isArray(failed)
      ? failed.map((i) => {
          const reason = i.get(FAILURE_REASON);
          if (typeof reason !== 'number') throw new CommitDatasetError('an item of the Failed SOP Sequence lacks its Failure Reason');
          return { ...refOf(i, 'Failed SOP Sequence'), FailureReason: reason };
        })
      : [],
    ...(typeof retrieve === 'string' && retrieve ? { RetrieveAETitle: retrieve } : {}),
  };
}

/** Decodes an N-ACTION-RQ dataset (the test PACS's side); throws CommitDatasetError when malformed. */
export function decodeCommitRequest(bytes: Buffer, explicit = false): CommitRequestDataset {
  const top = decodeAll(bytes, explicit);
  const uid = top.get(TRANSACTION_UID);
  const refs = top.get(REFERENCED_SOP_SEQUENCE);
  if (typeof uid !== 'string' || !uid) throw new CommitDatasetError('the request has no Transaction UID');
  if (!Array.isArray(refs)) throw new CommitDatasetError('the request has no Referenced SOP Sequence');
  return { TransactionUID: uid, referenced: refs.map((i) => refOf(i, 'Referenced SOP Sequence')) };
}
