/**
 * DIMSE command sets (PS3.7 §9.3, §10.3, Annex E): always Implicit VR Little Endian, group 0000.
 * Statuses are values, with their meanings from PS3.7 Annex C and the service classes in PS3.4.
 */

/** Command Field values (PS3.7 Annex E). */
export const CommandField = {
  CStoreRq: 0x0001,
  CStoreRsp: 0x8001,
  CGetRq: 0x0010,
  CGetRsp: 0x8010,
  CFindRq: 0x0020,
  CFindRsp: 0x8020,
  CMoveRq: 0x0021,
  CMoveRsp: 0x8021,
  CEchoRq: 0x0030,
  CEchoRsp: 0x8030,
  NEventReportRq: 0x0100,
  NEventReportRsp: 0x8100,
  NGetRq: 0x0110,
  NGetRsp: 0x8110,
  NSetRq: 0x0120,
  NSetRsp: 0x8120,
  NActionRq: 0x0130,
  NActionRsp: 0x8130,
  NCreateRq: 0x0140,
  NCreateRsp: 0x8140,
  NDeleteRq: 0x0150,
  NDeleteRsp: 0x8150,
  CCancelRq: 0x0fff,
} as const;

/** Command Data Set Type value meaning "no dataset" (PS3.7 §E.1). */
export const NO_DATASET = 0x0101;

/** Priorities (PS3.7 §9.3.1.1). */
export const Priority = { Medium: 0x0000, High: 0x0001, Low: 0x0002 } as const;

/** A command set as plain data: keywords of PS3.7 Annex E. */
export interface Command {
  CommandField: number;
  MessageID?: number;
  MessageIDBeingRespondedTo?: number;
  AffectedSOPClassUID?: string;
  RequestedSOPClassUID?: string;
  AffectedSOPInstanceUID?: string;
  RequestedSOPInstanceUID?: string;
  MoveDestination?: string;
  Priority?: number;
  /** 0x0101 when no dataset follows; anything else when one does. */
  CommandDataSetType: number;
  Status?: number;
  OffendingElement?: number[];
  ErrorComment?: string;
  ErrorID?: number;
  EventTypeID?: number;
  AttributeIdentifierList?: number[];
  ActionTypeID?: number;
  MoveOriginatorApplicationEntityTitle?: string;
  MoveOriginatorMessageID?: number;
  NumberOfRemainingSuboperations?: number;
  NumberOfCompletedSuboperations?: number;
  NumberOfFailedSuboperations?: number;
  NumberOfWarningSuboperations?: number;
}

type Vr = 'UI' | 'AE' | 'LO' | 'US' | 'UL' | 'AT';
type Key = Exclude<keyof Command, never>;

/** Command elements by tag (element number in group 0000), keyword and VR. */
const ELEMENTS: [number, Key, Vr][] = [
  [0x0002, 'AffectedSOPClassUID', 'UI'],
  [0x0003, 'RequestedSOPClassUID', 'UI'],
  [0x0100, 'CommandField', 'US'],
  [0x0110, 'MessageID', 'US'],
  [0x0120, 'MessageIDBeingRespondedTo', 'US'],
  [0x0600, 'MoveDestination', 'AE'],
  [0x0700, 'Priority', 'US'],
  [0x0800, 'CommandDataSetType', 'US'],
  [0x0900, 'Status', 'US'],
  [0x0901, 'OffendingElement', 'AT'],
  [0x0902, 'ErrorComment', 'LO'],
  [0x0903, 'ErrorID', 'US'],
  [0x1000, 'AffectedSOPInstanceUID', 'UI'],
  [0x1001, 'RequestedSOPInstanceUID', 'UI'],
  [0x1002, 'EventTypeID', 'US'],
  [0x1005, 'AttributeIdentifierList', 'AT'],
  [0x1008, 'ActionTypeID', 'US'],
  [0x1020, 'NumberOfRemainingSuboperations', 'US'],
  [0x1021, 'NumberOfCompletedSuboperations', 'US'],
  [0x1022, 'NumberOfFailedSuboperations', 'US'],
  [0x1023, 'NumberOfWarningSuboperations', 'US'],
  [0x1030, 'MoveOriginatorApplicationEntityTitle', 'AE'],
  [0x1031, 'MoveOriginatorMessageID', 'US'],
];
const BY_ELEMENT = new Map(ELEMENTS.map((e) => [e[0], e]));

/** A command set that cannot be decoded. */
export class CommandError extends Error {
  override name = 'CommandError';
}

/** A value's string form as written: padded to even length (PS3.5 §6.2: UI with NUL, others with a space). */
function paddedString(vr: Vr, v: unknown): string {
  const s = String(v);
  return s.length % 2 ? s + (vr === 'UI' ? '\0' : ' ') : s;
}

/** Length of a value's bytes. */
function valueLength(vr: Vr, v: unknown, text: string | null): number {
  if (vr === 'US') return 2;
  if (vr === 'UL') return 4;
  if (vr === 'AT') return (v as number[]).length * 4;
  return Buffer.byteLength(text!, 'latin1');
}

/**
 * Encodes a command set, with Command Group Length first (PS3.7 §6.3.1), into one buffer: every
 * C-STORE-RQ goes through here, so no per-element buffers.
 */
export function encodeCommand(cmd: Command): Buffer {
  const present: { element: number; vr: Vr; v: unknown; text: string | null; len: number }[] = [];
  let body = 0;
  // Indexed loops, not destructuring for…of: until V8 has optimized this, each iteration of those
  // allocates iterator results, and 600 stores' worth of that garbage meant another scavenge.
  for (let i = 0; i < ELEMENTS.length; i++) {
    const element = ELEMENTS[i][0];
    const key = ELEMENTS[i][1];
    const vr = ELEMENTS[i][2];
    const v = cmd[key];
    if (v === undefined || v === null) continue;
    const text = vr === 'US' || vr === 'UL' || vr === 'AT' ? null : paddedString(vr, v);
    const len = valueLength(vr, v, text);
    present.push({ element, vr, v, text, len });
    body += 8 + len;
  }
  const out = Buffer.allocUnsafe(12 + body);
  out.writeUInt32LE(0x00000000, 0); // (0000,0000) Command Group Length, UL
  out.writeUInt32LE(4, 4);
  out.writeUInt32LE(body, 8);
  let p = 12;
  for (let i = 0; i < present.length; i++) {
    const { element, vr, v, text, len } = present[i];
    out.writeUInt16LE(0x0000, p);
    out.writeUInt16LE(element, p + 2);
    out.writeUInt32LE(len, p + 4);
    p += 8;
    if (vr === 'US') out.writeUInt16LE(Number(v) & 0xffff, p);
    else if (vr === 'UL') out.writeUInt32LE(Number(v) >>> 0, p);
    else if (vr === 'AT') {
      (v as number[]).forEach((t, i) => {
        out.writeUInt16LE((t >>> 16) & 0xffff, p + i * 4);
        out.writeUInt16LE(t & 0xffff, p + i * 4 + 2);
      });
    } else out.write(text!, p, len, 'latin1');
    p += len;
  }
  return out;
}

/** Decodes a command set; unknown elements are skipped. Throws CommandError when malformed. */
export function decodeCommand(b: Uint8Array): Command {
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const out: Record<string, unknown> = {};
  let p = 0;
  while (p < buf.length) {
    if (p + 8 > buf.length) throw new CommandError('command set ends inside an element header');
    const group = buf.readUInt16LE(p);
    const element = buf.readUInt16LE(p + 2);
    const len = buf.readUInt32LE(p + 4);
    if (group !== 0) throw new CommandError(`command set has an element outside group 0000 (${group.toString(16)},${element.toString(16)})`);
    if (len === 0xffffffff || p + 8 + len > buf.length) throw new CommandError(`command element (0000,${element.toString(16).padStart(4, '0')}) runs past the command set`);
    const start = p + 8;
    p = start + len;
    const def = BY_ELEMENT.get(element);
    if (!def) continue;
    const key = def[1];
    const vr = def[2];
    if (vr === 'US') {
      if (len < 2) throw new CommandError(`${key} is shorter than 2 bytes`);
      out[key] = buf.readUInt16LE(start);
    } else if (vr === 'UL') {
      if (len < 4) throw new CommandError(`${key} is shorter than 4 bytes`);
      out[key] = buf.readUInt32LE(start);
    } else if (vr === 'AT') {
      const tags: number[] = [];
      for (let i = start; i + 4 <= p; i += 4) tags.push(((buf.readUInt16LE(i) << 16) | buf.readUInt16LE(i + 2)) >>> 0);
      out[key] = tags;
    } else out[key] = trimValue(buf.toString('latin1', start, p));
  }
  if (typeof out.CommandField !== 'number') throw new CommandError('command set has no Command Field (0000,0100)');
  if (typeof out.CommandDataSetType !== 'number') out.CommandDataSetType = NO_DATASET;
  return out as unknown as Command;
}

/** A string value without its padding (trailing NULs and spaces, leading spaces). */
function trimValue(s: string): string {
  let end = s.length;
  while (end > 0 && (s.charCodeAt(end - 1) === 0 || s.charCodeAt(end - 1) === 0x20)) end--;
  let start = 0;
  while (start < end && s.charCodeAt(start) === 0x20) start++;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/** True when a dataset follows the command. */
export const hasDataset = (cmd: Command) => cmd.CommandDataSetType !== NO_DATASET;
/** True for response command fields (bit 15 set). */
export const isResponse = (cmd: Command) => (cmd.CommandField & 0x8000) !== 0;

/** Name of a command field, e.g. "C-STORE-RQ". */
export function commandName(field: number): string {
  const names: Record<number, string> = {
    0x0001: 'C-STORE',
    0x0010: 'C-GET',
    0x0020: 'C-FIND',
    0x0021: 'C-MOVE',
    0x0030: 'C-ECHO',
    0x0100: 'N-EVENT-REPORT',
    0x0110: 'N-GET',
    0x0120: 'N-SET',
    0x0130: 'N-ACTION',
    0x0140: 'N-CREATE',
    0x0150: 'N-DELETE',
    0x0fff: 'C-CANCEL',
  };
  const base = names[field & 0x7fff] ?? `0x${field.toString(16)}`;
  return field === 0x0fff ? base : `${base}-${field & 0x8000 ? 'RSP' : 'RQ'}`;
}

// ---------------------------------------------------------------------------------------------
// Statuses

/** What kind of status a code is (PS3.7 §C.1). */
export type StatusCategory = 'success' | 'warning' | 'failure' | 'cancel' | 'pending';

/** A status with its meaning and where it is defined. */
export interface StatusInfo {
  code: number;
  /** "0x0000" style, as the CLI and the database show it. */
  hex: string;
  category: StatusCategory;
  meaning: string;
  reference: string;
}

/** Specific statuses (PS3.7 Annex C; C-STORE from PS3.4 §B.2.3). */
const STATUS_TABLE: [number, StatusCategory, string, string][] = [
  [0x0000, 'success', 'Success', 'PS3.7 C.1.1'],
  [0x0001, 'warning', 'Requested optional attributes are not supported', 'PS3.7 C.4.1'],
  [0x0107, 'warning', 'Attribute list error', 'PS3.7 C.4.2'],
  [0x0116, 'warning', 'Attribute value out of range', 'PS3.7 C.4.3'],
  [0xb000, 'warning', 'Coercion of data elements', 'PS3.4 B.2.3'],
  [0xb006, 'warning', 'Elements discarded', 'PS3.4 B.2.3'],
  [0xb007, 'warning', 'Data set does not match SOP class', 'PS3.4 B.2.3'],
  [0xfe00, 'cancel', 'Cancelled', 'PS3.7 C.3'],
  [0xff00, 'pending', 'Pending', 'PS3.7 C.2'],
  [0xff01, 'pending', 'Pending (optional keys not supported)', 'PS3.4 C.4.1.1.4'],
  [0x0105, 'failure', 'No such attribute', 'PS3.7 C.5.1'],
  [0x0106, 'failure', 'Invalid attribute value', 'PS3.7 C.5.2'],
  [0x0110, 'failure', 'Processing failure', 'PS3.7 C.5.5'],
  [0x0111, 'failure', 'Duplicate SOP instance', 'PS3.7 C.5.6'],
  [0x0112, 'failure', 'No such SOP instance', 'PS3.7 C.5.7'],
  [0x0113, 'failure', 'No such event type', 'PS3.7 C.5.8'],
  [0x0114, 'failure', 'No such argument', 'PS3.7 C.5.9'],
  [0x0115, 'failure', 'Invalid argument value', 'PS3.7 C.5.10'],
  [0x0117, 'failure', 'Invalid object instance', 'PS3.7 C.5.11'],
  [0x0118, 'failure', 'No such SOP class', 'PS3.7 C.5.12'],
  [0x0119, 'failure', 'Class-instance conflict', 'PS3.7 C.5.13'],
  [0x0120, 'failure', 'Missing attribute', 'PS3.7 C.5.14'],
  [0x0121, 'failure', 'Missing attribute value', 'PS3.7 C.5.15'],
  [0x0122, 'failure', 'Refused: SOP class not supported', 'PS3.7 C.5.16'],
  [0x0123, 'failure', 'No such action', 'PS3.7 C.5.17'],
  [0x0124, 'failure', 'Refused: not authorized', 'PS3.7 C.5.18'],
  [0x0210, 'failure', 'Duplicate invocation', 'PS3.7 C.5.19'],
  [0x0211, 'failure', 'Unrecognized operation', 'PS3.7 C.5.20'],
  [0x0212, 'failure', 'Mistyped argument', 'PS3.7 C.5.21'],
  [0x0213, 'failure', 'Resource limitation', 'PS3.7 C.5.22'],
];
const BY_CODE = new Map(STATUS_TABLE.map(([code, category, meaning, reference]) => [code, { category, meaning, reference }]));

/** "0x0000" form of a status code. */
export const statusHex = (code: number) => `0x${(code & 0xffff).toString(16).toUpperCase().padStart(4, '0')}`;

/** C-STORE "Refused: Out of Resources" (A7xx, PS3.4 B.2.3): the peer may take the instance later. */
export const isOutOfResources = (code: number) => code >= 0xa700 && code <= 0xa7ff;

/** The meaning of a status code; ranges per PS3.4 §B.2.3 and PS3.7 Annex C. */
export function statusInfo(code: number): StatusInfo {
  const hex = statusHex(code);
  const known = BY_CODE.get(code);
  if (known) return { code, hex, ...known };
  if (isOutOfResources(code)) return { code, hex, category: 'failure', meaning: 'Refused: out of resources', reference: 'PS3.4 B.2.3' };
  if (code >= 0xa900 && code <= 0xa9ff) return { code, hex, category: 'failure', meaning: 'Error: data set does not match SOP class', reference: 'PS3.4 B.2.3' };
  if (code >= 0xc000 && code <= 0xcfff) return { code, hex, category: 'failure', meaning: 'Error: cannot understand', reference: 'PS3.4 B.2.3' };
  if (code >= 0xb000 && code <= 0xbfff) return { code, hex, category: 'warning', meaning: 'Warning', reference: 'PS3.7 C.4' };
  if (code >= 0xa000 && code <= 0xafff) return { code, hex, category: 'failure', meaning: 'Failure', reference: 'PS3.7 C.5' };
  return { code, hex, category: 'failure', meaning: `Unknown status ${hex}`, reference: 'PS3.7 Annex C' };
}
