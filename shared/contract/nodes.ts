/**
 * DICOM nodes: the remote AEs Courier sends to, and our own AE title and listening port.
 * Validators reuse shared/dicomValues.ts, as the Settings form does.
 */
import { aeTitleProblem, portProblem } from '../dicomValues.ts';
import { ValidationError, bool, int, none, object, optional, str, type Validator } from '../validate.ts';
import { channel } from './channel.ts';

/** A remote node. */
export interface NodeRow {
  id: number;
  /** A name for people; the AE title when not given. */
  name: string;
  aeTitle: string;
  host: string;
  port: number;
  /** DICOM over TLS (PS3.15 Annex B.9) with our certificate and trusted CAs from `LocalAe.tls`. */
  tls: boolean;
  /** Associations Courier opens at once to this node. */
  maxAssociations: number;
  /** Ask this node for storage commitment after a send (the send dialog's default). */
  requestCommitment: boolean;
  /** Delete local files once this node committed them (the send dialog's default; always confirmed there). */
  deleteAfterCommit: boolean;
  /** Seconds to wait for a report to each commitment request before asking again or giving up. */
  commitTimeoutS: number;
  /** Requests after the first when no report came in time or the node could not be reached. */
  commitRetries: number;
}

/** Storage commitment defaults of a node when not given (a new node, or one saved before they existed). */
export const DEFAULT_NODE_COMMITMENT = { requestCommitment: false, deleteAfterCommit: false, commitTimeoutS: 60, commitRetries: 2 } as const;

/** What the Settings form sends to add or change a node (absent optional fields take the defaults). */
export interface NodeInput {
  name?: string;
  aeTitle: string;
  host: string;
  port: number;
  tls?: boolean;
  maxAssociations?: number;
  requestCommitment?: boolean;
  deleteAfterCommit?: boolean;
  commitTimeoutS?: number;
  commitRetries?: number;
}

/** PEM files for DICOM over TLS; '' when not set. */
export interface TlsFiles {
  /** Our certificate, presented to peers (DICOM peers usually require one). */
  certificateFile: string;
  /** Its private key (unencrypted PEM). */
  keyFile: string;
  /** The CA certificates we trust for peers' certificates; '' trusts the system's CAs. */
  caFile: string;
}

/** Our own AE title, the port the accepter listens on, and our TLS files. */
export interface LocalAe {
  aeTitle: string;
  port: number;
  tls: TlsFiles;
}

/** The outcome of "Test connection" (C-ECHO). */
export interface EchoOutcome {
  ok: boolean;
  /** "0x0000 Success", or why it failed (rejected with result/source/reason, refused, timed out). */
  message: string;
  ms: number;
}

/** An AE title (PS3.5 §6.2: ≤ 16 characters, no backslash or control characters). */
export const aeTitle: Validator<string> = (v, path = '') => {
  const s = str({ max: 64 })(v, path);
  const problem = aeTitleProblem(s);
  if (problem) throw new ValidationError(`${path || 'AE title'}: ${problem}`);
  return s.trim();
};

/** A TCP port. */
export const port: Validator<number> = (v, path = '') => {
  const n = int()(v, path);
  const problem = portProblem(n);
  if (problem) throw new ValidationError(`${path || 'port'}: ${problem}`);
  return n;
};

/** A host name or address. */
export const host = str({ min: 1, max: 253, pattern: /^[A-Za-z0-9.:\-_[\]%]+$/, label: 'host name or address' });

const pemPath = str({ max: 4096 });
/** Paths of our TLS files ('' for none). */
export const tlsFiles: Validator<TlsFiles> = object({ certificateFile: pemPath, keyFile: pemPath, caFile: pemPath });

const nodeFields = {
  name: optional(str({ max: 64 })),
  aeTitle,
  host,
  port,
  tls: optional(bool),
  maxAssociations: optional(int(1, 16)),
  requestCommitment: optional(bool),
  deleteAfterCommit: optional(bool),
  commitTimeoutS: optional(int(1, 86_400)),
  commitRetries: optional(int(0, 10)),
};

/** Node channels. */
export const nodeChannels = {
  'nodes.list': channel<NodeRow[]>()(none),
  'nodes.save': channel<NodeRow>()(object({ id: optional(int(1)), ...nodeFields })),
  'nodes.remove': channel<{ removed: boolean }>()(object({ id: int(1) })),
  /** C-ECHO to a saved node (`id`) or to an address being edited. */
  'nodes.echo': channel<EchoOutcome>()(object({ id: optional(int(1)), aeTitle: optional(aeTitle), host: optional(host), port: optional(port), tls: optional(bool) })),
  'nodes.local': channel<LocalAe>()(none),
  /** `tls` left out keeps the saved files. */
  'nodes.setLocal': channel<LocalAe>()(object({ aeTitle, port, tls: optional(tlsFiles) })),
};
