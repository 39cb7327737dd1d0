/**
 * Storage Commitment Push Model datasets (PS3.4 J.3): the N-ACTION-RQ's Action Information and
 * the N-EVENT-REPORT-RQ's Event Information, in Implicit or Explicit VR Little Endian, read and
 * written by the one dataset codec (dicom/dataset.ts). The VRs of these few attributes are known
 * here, so decoding never loads the data dictionary; a 10,000-reference report takes milliseconds.
 */
import { CommandField, type Command } from './command.ts';
import { ascii, DatasetError, encode, EXPLICIT_VR_LE, find, IMPLICIT_VR_LE, readDataset, textElement, uint16, usElement, type Element } from '../dicom/dataset.ts';

/** Storage Commitment Push Model SOP Class (PS3.4 J.3). */
export const STORAGE_COMMITMENT_SOP_CLASS = '1.2.840.10008.1.20.1';
/** Its well-known SOP Instance (PS3.4 J.3.5). */
export const STORAGE_COMMITMENT_SOP_INSTANCE = '1.2.840.10008.1.20.1.1';
/** Action Type ID of "Request Storage Commitment" (PS3.4 J.3.2.1). */
export const ACTION_REQUEST_COMMIT = 1;
/** The N-ACTION-RQ command asking for storage commitment (PS3.4 J.3.2; its dataset follows: CommandDataSetType 0). */
export const COMMIT_ACTION_COMMAND: Readonly<Command> = {
  CommandField: CommandField.NActionRq,
  RequestedSOPClassUID: STORAGE_COMMITMENT_SOP_CLASS,
  RequestedSOPInstanceUID: STORAGE_COMMITMENT_SOP_INSTANCE,
  ActionTypeID: ACTION_REQUEST_COMMIT,
  CommandDataSetType: 0,
};
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

/** The VRs of the attributes these datasets hold (PS3.6); any other tag is read as UN, or SQ when of undefined length. */
const VR_OF = new Map<number, string>([
  [TRANSACTION_UID, 'UI'],
  [REFERENCED_SOP_SEQUENCE, 'SQ'],
  [FAILED_SOP_SEQUENCE, 'SQ'],
  [REFERENCED_SOP_CLASS_UID, 'UI'],
  [REFERENCED_SOP_INSTANCE_UID, 'UI'],
  [FAILURE_REASON, 'US'],
  [RETRIEVE_AE_TITLE, 'AE'],
]);
const vrOf = (tag: number) => VR_OF.get(tag) ?? 'UN';

/** A malformed commitment dataset. */
export class CommitDatasetError extends Error {
  override name = 'CommitDatasetError';
}

// ---------------------------------------------------------------------------------------------
// Encoding

const refElements = (r: SopReference): Element[] => [textElement(REFERENCED_SOP_CLASS_UID, 'UI', r.SOPClassUID), textElement(REFERENCED_SOP_INSTANCE_UID, 'UI', r.SOPInstanceUID)];
const sequence = (tag: number, items: Element[][]): Element => ({ tag, vr: 'SQ', items });

/** Encodes the N-ACTION-RQ dataset: Transaction UID and Referenced SOP Sequence (tags in ascending order). */
export function encodeCommitRequest(d: CommitRequestDataset, explicit = false): Buffer {
  return encode([textElement(TRANSACTION_UID, 'UI', d.TransactionUID), sequence(REFERENCED_SOP_SEQUENCE, d.referenced.map(refElements))], explicit ? EXPLICIT_VR_LE : IMPLICIT_VR_LE);
}

/** Encodes the N-EVENT-REPORT-RQ dataset (used by the test PACS and the tests). */
export function encodeCommitReport(d: CommitReportDataset, explicit = false): Buffer {
  const elements: Element[] = [];
  if (d.RetrieveAETitle) elements.push(textElement(RETRIEVE_AE_TITLE, 'AE', d.RetrieveAETitle));
  if (d.TransactionUID !== null) elements.push(textElement(TRANSACTION_UID, 'UI', d.TransactionUID));
  if (d.failed.length) elements.push(sequence(FAILED_SOP_SEQUENCE, d.failed.map((r) => [...refElements(r), usElement(FAILURE_REASON, r.FailureReason)])));
  if (d.referenced.length) elements.push(sequence(REFERENCED_SOP_SEQUENCE, d.referenced.map(refElements)));
  return encode(elements, explicit ? EXPLICIT_VR_LE : IMPLICIT_VR_LE);
}

// ---------------------------------------------------------------------------------------------
// Decoding

function decodeAll(bytes: Buffer, explicit: boolean): Element[] {
  try {
    return readDataset(bytes, 0, explicit ? EXPLICIT_VR_LE : IMPLICIT_VR_LE, undefined, { vrOf });
  } catch (err) {
    if (err instanceof DatasetError) throw new CommitDatasetError(err.message);
    throw err;
  }
}

function refOf(item: Element[], where: string): SopReference {
  const SOPClassUID = ascii(item, REFERENCED_SOP_CLASS_UID);
  const SOPInstanceUID = ascii(item, REFERENCED_SOP_INSTANCE_UID);
  if (!find(item, REFERENCED_SOP_CLASS_UID)?.value || !SOPInstanceUID) {
    throw new CommitDatasetError(`an item of the ${where} lacks Referenced SOP Class or Instance UID`);
  }
  return { SOPClassUID, SOPInstanceUID };
}

/** The items of a sequence; a sequence given as bytes (explicit UN of defined length) holds no items we read. */
const itemsOf = (top: Element[], tag: number): Element[][] | null => find(top, tag)?.items ?? null;

/** Decodes an N-EVENT-REPORT-RQ dataset; throws CommitDatasetError when malformed. */
export function decodeCommitReport(bytes: Buffer, explicit = false): CommitReportDataset {
  const top = decodeAll(bytes, explicit);
  const uid = ascii(top, TRANSACTION_UID);
  const refs = itemsOf(top, REFERENCED_SOP_SEQUENCE);
  const failed = itemsOf(top, FAILED_SOP_SEQUENCE);
  const retrieve = ascii(top, RETRIEVE_AE_TITLE);
  return {
    TransactionUID: uid || null,
    referenced: refs ? refs.map((i) => refOf(i, 'Referenced SOP Sequence')) : [],
    failed: failed
      ? failed.map((i) => {
          const reason = uint16(i, FAILURE_REASON);
          if (reason === undefined) throw new CommitDatasetError('an item of the Failed SOP Sequence lacks its Failure Reason');
          return { ...refOf(i, 'Failed SOP Sequence'), FailureReason: reason };
        })
      : [],
    ...(retrieve ? { RetrieveAETitle: retrieve } : {}),
  };
}

/** Decodes an N-ACTION-RQ dataset (the test PACS's side); throws CommitDatasetError when malformed. */
export function decodeCommitRequest(bytes: Buffer, explicit = false): CommitRequestDataset {
  const top = decodeAll(bytes, explicit);
  const uid = ascii(top, TRANSACTION_UID);
  const refs = itemsOf(top, REFERENCED_SOP_SEQUENCE);
  if (!uid) throw new CommitDatasetError('the request has no Transaction UID');
  if (!refs) throw new CommitDatasetError('the request has no Referenced SOP Sequence');
  return { TransactionUID: uid, referenced: refs.map((i) => refOf(i, 'Referenced SOP Sequence')) };
}
