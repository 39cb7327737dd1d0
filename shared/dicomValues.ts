/**
 * Validators and helpers for DICOM values that both the UI forms and the main process check.
 */

/** AE titles: 1–16 characters of the default repertoire, no backslash or control characters
 * (PS3.5 §6.2, VR AE). Leading and trailing spaces are not significant. */
export function aeTitleProblem(ae: string): string | null {
  const trimmed = ae.trim();
  if (trimmed.length === 0) return 'AE title is empty';
  if (ae.length > 16) return 'AE title has more than 16 characters';
  if (/[\\\x00-\x1f\x7f-\uffff]/.test(ae)) return 'AE title may not contain a backslash, control or non-ASCII characters';
  return null;
}

/** UIDs: at most 64 characters, components of digits separated by dots, no leading zeros
 * (PS3.5 §9.1). */
export function uidProblem(uid: string): string | null {
  if (uid.length === 0) return 'UID is empty';
  if (uid.length > 64) return 'UID has more than 64 characters';
  if (!/^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/.test(uid)) return 'UID must be digits separated by dots, without leading zeros';
  return null;
}

/** TCP ports 1–65535. */
export function portProblem(port: number): string | null {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? null : 'Port must be a whole number from 1 to 65535';
}

/** A node address as written on the command line: AE@host:port. */
export interface NodeAddress {
  aeTitle: string;
  host: string;
  port: number;
}

/** Parses "AE@host:port"; throws an Error with a readable message when malformed. */
export function parseNodeAddress(text: string): NodeAddress {
  const m = /^([^@]+)@(\[[^\]]+\]|[^:]+):(\d+)$/.exec(text);
  if (!m) throw new Error(`"${text}" is not of the form AE@host:port`);
  const [, aeTitle, host, portText] = m;
  const port = Number(portText);
  const problem = aeTitleProblem(aeTitle) ?? portProblem(port);
  if (problem) throw new Error(`${problem} in "${text}"`);
  return { aeTitle, host: host.replace(/^\[|\]$/g, ''), port };
}

/** Renders a DICOM date (YYYYMMDD) as YYYY-MM-DD; other input comes back unchanged. */
export function formatDicomDate(da: string | null | undefined): string {
  if (!da) return '';
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(da.trim());
  return m ? `${m[1]}-${m[2]}-${m[3]}` : da;
}

/** Renders a Person Name (PN) value: "Family^Given^Middle^Prefix^Suffix" → "Family, Given Middle". */
export function formatPersonName(pn: string | null | undefined): string {
  if (!pn) return '';
  const alphabetic = pn.split('=')[0];
  const [family = '', given = '', middle = '', prefix = '', suffix = ''] = alphabetic.split('^');
  const rest = [prefix, given, middle, suffix].filter(Boolean).join(' ');
  return family && rest ? `${family}, ${rest}` : family || rest;
}
