/**
 * The built-in test PACS (`courier pacs`): a Storage SCP that writes what it receives as Part 10
 * files, and a Storage Commitment Push Model SCP (PS3.4 J.3) that reports on the same
 * association, on a new association to --reply-to (as Orthanc does, possibly before the
 * N-ACTION-RSP), or on the requester's next association — after an optional delay, refusing the
 * instances named by --fail. For demos and tests; it trusts every calling AE.
 */
import { mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { Association, type IncomingRequest, type Reply } from '../dimse/association.ts';
import { CommandField, statusHex } from '../dimse/command.ts';
import { writePart10File } from '../dicom/part10.ts';
import { startServer, type DimseServer } from '../dimse/server.ts';
import {
  EVENT_ALL_COMMITTED,
  EVENT_SOME_FAILED,
  STORAGE_COMMITMENT_SOP_CLASS,
  STORAGE_COMMITMENT_SOP_INSTANCE,
  decodeCommitRequest,
  encodeCommitReport,
  type CommitReportDataset,
  type FailedSopReference,
} from '../dimse/commitMessages.ts';
import { IMPLICIT_LE } from '../dicom/transferSyntax.ts';
import type { NodeAddress } from '../../shared/dicomValues.ts';


/** How the commitment report is delivered. */
export type Delivery = 'same' | 'new' | 'next';

/** The test PACS's settings. */
export interface PacsOptions {
  port: number;
  host?: string;
  aeTitle: string;
  /** Where received instances are written (one file per SOP Instance UID). */
  dir: string;
  delivery: Delivery;
  /** For `new`: the requester's accepter. */
  replyTo?: NodeAddress;
  /** Wait this long after the N-ACTION before reporting. */
  delayMs: number;
  /** SOP Instance UIDs to refuse, with the Failure Reason to give (default 0x0110). */
  fail: Map<string, number>;
  /** One line per event, for a person. */
  log?: (line: string) => void;
}

/** A running test PACS. */
export interface Pacs {
  port: number;
  /** Instances received: SOP Instance UID → SOP Class UID and file. */
  readonly stored: ReadonlyMap<string, { sopClassUid: string; path: string }>;
  /** Reports waiting for the requester's next association (delivery `next`). */
  readonly held: ReadonlyMap<string, CommitReportDataset[]>;
  close(): Promise<void>;
}

/** Parses `--fail` values: "UID" or "UID:0x0112". */
export function parseFailures(values: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const v of values) {
    const [uid, reason] = v.split(':');
    out.set(uid, reason ? Number(reason.startsWith('0x') ? reason : `0x${reason}`) : 0x0110);
  }
  return out;
}

/** Starts the test PACS; resolves once it listens. */
export async function startPacs(o: PacsOptions): Promise<Pacs> {
  const log = o.log ?? (() => {});
  mkdirSync(o.dir, { recursive: true });
  const stored = new Map<string, { sopClassUid: string; path: string }>();
  const held = new Map<string, CommitReportDataset[]>();
  const timers = new Set<NodeJS.Timeout>();
  let closing = false;

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!closing) fn();
    }, ms);
    timers.add(t);
  };

  const store = (req: IncomingRequest): Reply => {
    const sopInstanceUid = req.command.AffectedSOPInstanceUID ?? '';
    const sopClassUid = req.command.AffectedSOPClassUID ?? '';
    if (!req.datasetPath || !/^[0-9.]{1,64}$/.test(sopInstanceUid)) return { status: 0xa900 };
    const path = join(o.dir, `${sopInstanceUid}.dcm`);
    const tmp = `${path}.tmp`;
    writePart10File(req.datasetPath, tmp, { sopClassUid, sopInstanceUid, transferSyntaxUid: req.transferSyntax, sourceAe: req.association.callingAe });
    renameSync(tmp, path);
    stored.set(sopInstanceUid, { sopClassUid, path });
    log(`stored ${sopInstanceUid} from ${req.association.callingAe}`);
    return { status: 0 };
  };

  const reportFor = (transactionUid: string, refs: { SOPClassUID: string; SOPInstanceUID: string }[]): CommitReportDataset => {
    const referenced: { SOPClassUID: string; SOPInstanceUID: string }[] = [];
    const failed: FailedSopReference[] = [];
    for (const r of refs) {
      const have = stored.get(r.SOPInstanceUID);
      const refused = o.fail.get(r.SOPInstanceUID);
      // PS3.3 C.14.1.1 Failure Reasons: refused on request, never received, or another SOP Class.
      if (refused !== undefined) failed.push({ ...r, FailureReason: refused });
      else if (!have) failed.push({ ...r, FailureReason: 0x0112 });
      else if (have.sopClassUid !== r.SOPClassUID) failed.push({ ...r, FailureReason: 0x0119 });
      else referenced.push(r);
    }
    return { TransactionUID: transactionUid, referenced, failed, RetrieveAETitle: o.aeTitle };
  };

  const sendReport = async (assoc: Association, report: CommitReportDataset): Promise<boolean> => {
    const ctx = assoc.contextFor(STORAGE_COMMITMENT_SOP_CLASS);
    if (!ctx || !assoc.isOpen) return false;
    const eventType = report.failed.length ? EVENT_SOME_FAILED : EVENT_ALL_COMMITTED;
    const rsp = await assoc.request(
      {
        CommandField: CommandField.NEventReportRq,
        AffectedSOPClassUID: STORAGE_COMMITMENT_SOP_CLASS,
        AffectedSOPInstanceUID: STORAGE_COMMITMENT_SOP_INSTANCE,
        EventTypeID: eventType,
        CommandDataSetType: 0,
      },
      ctx.id,
      encodeCommitReport(report, ctx.transferSyntax !== IMPLICIT_LE),
    );
    log(`report ${report.TransactionUID} (${report.referenced.length} committed, ${report.failed.length} failed) answered ${rsp.status.hex}`);
    return true;
  };

  const deliverNew = async (report: CommitReportDataset) => {
    if (!o.replyTo) {
      log(`report ${report.TransactionUID} lost: no --reply-to`);
      return;
    }
    let assoc: Association | undefined;
    try {
      assoc = await Association.connect({
        host: o.replyTo.host,
        port: o.replyTo.port,
        callingAe: o.aeTitle,
        calledAe: o.replyTo.aeTitle,
        // We are SCP of Storage Commitment on an association we open: role selection SCU=0, SCP=1.
        contexts: [{ abstractSyntax: STORAGE_COMMITMENT_SOP_CLASS, transferSyntaxes: [IMPLICIT_LE], role: { scu: false, scp: true } }],
        timeouts: { connect: 5000, associate: 10_000, response: 30_000, release: 5000 },
      });
      await sendReport(assoc, report);
      await assoc.release();
    } catch (err) {
      // Like Orthanc: a report that could not be delivered is lost; the requester must ask again.
      log(`report ${report.TransactionUID} lost: ${err instanceof Error ? err.message : String(err)}`);
      assoc?.abort();
    }
  };

  const hold = (callingAe: string, report: CommitReportDataset) => {
    const key = callingAe.trim();
    held.set(key, [...(held.get(key) ?? []), report]);
    log(`report ${report.TransactionUID} held for ${key}'s next association`);
  };

  const nAction = (req: IncomingRequest): Reply => {
    if (req.command.RequestedSOPClassUID !== STORAGE_COMMITMENT_SOP_CLASS) return { status: 0x0118 };
    if (req.command.RequestedSOPInstanceUID !== STORAGE_COMMITMENT_SOP_INSTANCE) return { status: 0x0117 };
    if (req.command.ActionTypeID !== 1) return { status: 0x0123 };
    let request;
    try {
      request = decodeCommitRequest(req.dataset ?? Buffer.alloc(0), req.transferSyntax !== IMPLICIT_LE);
    } catch (err) {
      log(`bad N-ACTION: ${err instanceof Error ? err.message : String(err)}`);
      return { status: 0x0110, fields: { ErrorComment: 'Malformed Storage Commitment request' } };
    }
    const assoc = req.association;
    const callingAe = assoc.callingAe;
    log(`N-ACTION ${request.TransactionUID} from ${callingAe}: ${request.referenced.length} references; delivery ${o.delivery}`);
    const report = () => reportFor(request.TransactionUID, request.referenced);
    if (o.delivery === 'same') {
      // After the N-ACTION-RSP has gone out (it is queued before this timer can fire).
      later(o.delayMs, () => {
        void sendReport(assoc, report()).then(
          (sent) => {
            if (!sent) hold(callingAe, report());
          },
          () => hold(callingAe, report()),
        );
      });
    } else if (o.delivery === 'new') {
      // With no delay the report may reach the requester before the N-ACTION-RSP, as with Orthanc.
      later(o.delayMs, () => void deliverNew(report()));
    } else {
      later(o.delayMs, () => hold(callingAe, report()));
    }
    return { status: 0, fields: { ActionTypeID: 1 } };
  };

  const server: DimseServer = await startServer(
    {
      aeTitle: o.aeTitle,
      abstractSyntaxes: () => true,
      handlers: { store, nAction },
      tempDir: join(o.dir, '.incoming'),
      onAssociation: (assoc) => {
        const waiting = held.get(assoc.callingAe.trim());
        if (!waiting?.length || !assoc.contextFor(STORAGE_COMMITMENT_SOP_CLASS)) return;
        held.delete(assoc.callingAe.trim());
        void (async () => {
          // Right behind the A-ASSOCIATE-AC, as an eager PACS does (a regression test of the
          // requester recording its contexts before the next PDU is read).
          for (const r of waiting) {
            try {
              if (!(await sendReport(assoc, r))) hold(assoc.callingAe, r);
            } catch {
              hold(assoc.callingAe, r);
            }
          }
        })();
      },
      onRejected: (info) => log(`rejected ${info.callingAe}: ${info.reason}`),
    },
    o.port,
    o.host ?? '127.0.0.1',
  );
  log(`${o.aeTitle} listening on ${o.host ?? '127.0.0.1'}:${server.port}, storing into ${o.dir}, delivery ${o.delivery}`);
  return {
    port: server.port,
    stored,
    held,
    async close() {
      closing = true;
      for (const t of timers) clearTimeout(t);
      await server.close();
    },
  };
}

/** "0x0110"-style text of a failure reason (for logs). */
export const reasonText = (r: number) => statusHex(r);
