/**
 * Courier's DICOM networking layer (PS3.7 DIMSE over the PS3.8 upper layer), our own rather than
 * dcmjs-dimse's Client/Server: docs/dimse.md says why, with the measurements.
 *
 * Usage — an SCU asking for storage commitment (the constants and `encodeCommitRequest` come from
 * ./commitMessages.ts, `IMPLICIT_LE` from ../dicom/transferSyntax.ts):
 * ```ts
 * const assoc = await Association.connect({ host, port, callingAe: 'COURIER', calledAe: 'PACS',
 *   contexts: [{ abstractSyntax: STORAGE_COMMITMENT_SOP_CLASS, transferSyntaxes: [IMPLICIT_LE], role: { scu: true, scp: false } }],
 *   onRequest: async (req) => ({ status: 0 }) }); // requests the peer sends us (e.g. N-EVENT-REPORT)
 * const ctx = assoc.contextFor(STORAGE_COMMITMENT_SOP_CLASS)!;
 * const rsp = await assoc.request({ ...COMMIT_ACTION_COMMAND }, ctx.id,
 *   encodeCommitRequest({ TransactionUID, referenced: [{ SOPClassUID, SOPInstanceUID }] }));
 * rsp.status.category === 'success'; // statuses are values (statusInfo), failures are typed errors (errors.ts)
 * await assoc.release();
 * ```
 * An SCP: `startServer({ aeTitle, abstractSyntaxes, roleSelection, handlers: { store, nAction, nEventReport },
 * onAssociation }, port)`; a handler returns `{ status, fields?, dataset? }`, a throw becomes 0x0110.
 * The acceptor side can also send requests on the same association: `assoc.request(...)`.
 * `assoc.store({ path, offset }, ctx.id, { sopClassUid, sopInstanceUid }, { afterWrite })` sends a file's
 * dataset bytes as they are (electron/send/sender.ts adds contexts, checks, retries, parallelism).
 * Incoming datasets: `req.dataset` (Buffer; decode with `decodeDataset(bytes, req.transferSyntax)`) or,
 * for C-STORE, `req.datasetPath` (a temp file; dicom/part10.ts's `writePart10File` turns it into a Part 10 file).
 */
export * from './pdu.ts';
export * from './command.ts';
export * from './dataset.ts';
export * from './errors.ts';
export * from './association.ts';
export * from './server.ts';
export * from './echo.ts';
