/**
 * Storage commitment for the app's send jobs, over the send queue's public API: request
 * commitment of what a finished send job stored (the send panel's "request storage commitment",
 * or the send queue when a node asks for it), and re-send then re-request the failed and
 * timed-out instances of a transaction. Results arrive in the background as `commit.changed`.
 */
import { dirname } from 'node:path';
import { CourierError } from '../../shared/errors.ts';
import type { Services } from '../services.ts';
import { requestAfterSend } from './afterSend.ts';
import { logger } from '../log.ts';

const background = (p: Promise<unknown>) => void p.catch((err) => logger('commit').error('background commitment failed:', err));

/** Requests commitment of the stored instances of a send job; returns the transaction ids. */
export async function requestForSendJob(services: Services, sendJobId: number, deleteAfterCommit: boolean): Promise<number[]> {
  const job = services.send.store.job(sendJobId);
  if (!job) throw new CourierError('NOT_FOUND', `No send job ${sendJobId}`);
  const rows = services.send.store.instances(sendJobId, { limit: 10_000_000 });
  const sent = rows
    .filter((r) => (r.state === 'success' || r.state === 'warning') && r.SOPInstanceUID && r.SOPClassUID)
    .map((r) => ({ path: r.path, sopInstanceUid: r.SOPInstanceUID!, sopClassUid: r.SOPClassUID!, store: r.state as 'success' | 'warning' }));
  if (!sent.length) throw new CourierError('CONFLICT', 'This job stored nothing to commit');
  // Deletion is limited to the folders of the files sent (the library's own files).
  const roots = [...new Set(sent.map((s) => dirname(s.path)))];
  const ids = await requestAfterSend(services.commit, {
    node: { aeTitle: job.aeTitle, host: job.host, port: job.port },
    sent,
    roots,
    deleteAfterCommit,
    sendJobId: String(sendJobId),
  });
  background(services.commit.settle(ids));
  return ids;
}

/** Re-sends (C-STORE) the failed and timed-out instances of a transaction, then requests their commitment. Returns the send job id. */
export function resendTransaction(services: Services, transactionId: number): number {
  const t = services.commit.store.byId(transactionId);
  if (!t) throw new CourierError('NOT_FOUND', `No commitment transaction ${transactionId}`);
  const rows = services.commit.store.instanceRows(transactionId).filter((r) => r.state === 'failed' || r.state === 'timed-out');
  if (!rows.length) throw new CourierError('CONFLICT', 'No failed or timed-out instance to re-send');
  const sendJobId = services.send.queueFiles(
    { nodeId: null, aeTitle: t.node.aeTitle, host: t.node.host, port: t.node.port, maxAssociations: 1 },
    t.callingAe,
    `re-send of ${rows.length} uncommitted instance(s) of ${t.transactionUid}`,
    rows.map((r) => ({ path: r.path, SOPInstanceUID: r.SOPInstanceUID, SOPClassUID: r.SOPClassUID })),
  );
  services.send.start(sendJobId);
  background(
    (async () => {
      await services.send.wait(sendJobId);
      const ids = await requestAfterSend(services.commit, {
        node: { aeTitle: t.node.aeTitle, host: t.node.host, port: t.node.port },
        sent: services.send.store
          .instances(sendJobId, { limit: 10_000_000 })
          .filter((r) => r.SOPInstanceUID && r.SOPClassUID)
          .map((r) => ({ path: r.path, sopInstanceUid: r.SOPInstanceUID!, sopClassUid: r.SOPClassUID!, store: r.state === 'success' || r.state === 'warning' ? r.state : 'failed' })),
        roots: t.roots,
        deleteAfterCommit: t.deleteAfterCommit,
        sendJobId: String(sendJobId),
      });
      await services.commit.settle(ids);
    })(),
  );
  return sendJobId;
}
