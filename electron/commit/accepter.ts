/**
 * The accepter: our SCP on one port, for the node to call back. Verification, and Storage
 * Commitment Push Model with SCP/SCU role selection: a PACS that opens an association to deliver
 * a report proposes itself as SCP of the SOP class (role selection SCU=0, SCP=1, PS3.4 J.3.3,
 * PS3.7 D.3.3.4) and we grant exactly that. Calling AEs that are not known nodes are rejected
 * with A-ASSOCIATE-RJ rejected-permanent, service-user, "calling AE title not recognized"
 * (PS3.8 Table 9-21, reason 3). Plain TCP and DICOM over TLS share the port.
 */
import type { IncomingRequest, Reply } from '../dimse/association.ts';
import { startServer, type DimseServer } from '../dimse/server.ts';
import type { TlsCredentials } from '../dimse/tls.ts';
import { STORAGE_COMMITMENT_SOP_CLASS } from '../dimse/commitMessages.ts';
import { EXPLICIT_LE, IMPLICIT_LE } from '../dicom/transferSyntax.ts';
import { logger } from '../log.ts';

const log = logger('commit');

/** What the accepter needs. */
export interface AccepterOptions {
  aeTitle: string;
  port: number;
  host?: string;
  /** Decides on a calling AE, its address and whether it came over TLS (false: A-ASSOCIATE-RJ, reason 3). */
  acceptCalling: (callingAe: string, address: string, tls: boolean) => boolean | Promise<boolean>;
  /** Handles an N-EVENT-REPORT-RQ (delivery on a new association). */
  onReport: (req: IncomingRequest) => Reply;
  /** Rejections, for the log. */
  onRejected?: (info: { callingAe: string; calledAe: string; reason: string }) => void;
  /** Our TLS credentials, for nodes that report over TLS on the same port (server.ts). */
  tls?: () => TlsCredentials | null;
}

/** A running accepter. */
export interface Accepter {
  aeTitle: string;
  port: number;
  close(): Promise<void>;
}

/** Starts the accepter; resolves once it listens. */
export async function startAccepter(o: AccepterOptions): Promise<Accepter> {
  const server: DimseServer = await startServer(
    {
      aeTitle: o.aeTitle,
      acceptCalling: (callingAe, peer) => o.acceptCalling(callingAe, peer.address, peer.tls),
      abstractSyntaxes: [STORAGE_COMMITMENT_SOP_CLASS],
      transferSyntaxes: [IMPLICIT_LE, EXPLICIT_LE],
      // The reporter is SCP of Storage Commitment; it may also keep the SCU role if it asks for it.
      roleSelection: (uid, proposed) => (uid === STORAGE_COMMITMENT_SOP_CLASS ? { scu: proposed.scu, scp: proposed.scp } : { scu: true, scp: false }),
      handlers: {
        nEventReport: (req) => o.onReport(req),
        // An N-ACTION to us makes no sense: we are not a commitment SCP.
        nAction: () => ({ status: 0x0211 }),
      },
      tls: o.tls,
      onRejected: (info) => {
        if (o.onRejected) o.onRejected(info);
        else log.warn(`accepter rejected ${info.callingAe || info.calledAe ? `${info.callingAe} → ${info.calledAe}: ` : 'a connection: '}${info.reason}`);
      },
    },
    o.port,
    o.host ?? '0.0.0.0',
  );
  return { aeTitle: o.aeTitle, port: server.port, close: () => server.close() };
}
