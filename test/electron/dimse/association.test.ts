import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, writeFileSync, renameSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  Aborted,
  Association,
  AssociationRejected,
  CommandField,
  PeerClosed,
  ProtocolError,
  Timeout,
  VERIFICATION,
  decodeDataset,
  echo,
  encodeDataset,
  encodePdu,
  startServer,
  PduReader,
  type ConnectOptions,
  type IncomingRequest,
} from '../../../electron/dimse/index.ts';
import { EXPLICIT_LE, IMPLICIT_LE } from '../../../electron/dicom/transferSyntax.ts';
import { freePort, tempDir } from '../../helpers.ts';
import { missingPeers } from '../../peers.ts';
import { startStorescp } from './peers.ts';

const execFileAsync = promisify(execFile);

/** An association from ME to our own server "SCP" on loopback, 16 KiB PDUs. */
const connectToScp = (port: number, opts: Pick<ConnectOptions, 'contexts' | 'onRequest'>) =>
  Association.connect({ host: '127.0.0.1', port, callingAe: 'ME', calledAe: 'SCP', maxPdu: 16384, ...opts });
const CT = '1.2.840.10008.5.1.4.1.1.2';
const COMMIT = '1.2.840.10008.1.20.1';

test('echo, store and N-ACTION/N-EVENT-REPORT against our own server', async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const stored: string[] = [];
  let assocSeen: Association | null = null;
  const server = await startServer({
    aeTitle: 'SCP',
    abstractSyntaxes: [CT, COMMIT],
    tempDir: tmp.path,
    handlers: {
      store: (req) => {
        const dest = join(tmp.path, `${req.command.AffectedSOPInstanceUID}.ds`);
        renameSync(req.datasetPath!, dest);
        stored.push(dest);
        return { status: 0 };
      },
      nAction: async (req) => {
        const ds = decodeDataset(req.dataset!, req.transferSyntax);
        // Report on the same association, before answering.
        const report = encodeDataset({ TransactionUID: ds.TransactionUID, ReferencedSOPSequence: ds.ReferencedSOPSequence }, req.transferSyntax);
        const rsp = await req.association.request(
          { CommandField: CommandField.NEventReportRq, AffectedSOPClassUID: COMMIT, AffectedSOPInstanceUID: '1.2.840.10008.1.20.1.1', EventTypeID: 1, CommandDataSetType: 0 },
          req.contextId,
          report,
        );
        assert.equal(rsp.status.code, 0);
        return { status: 0, fields: { ActionTypeID: 1 } };
      },
    },
    onAssociation: (a) => (assocSeen = a),
  });
  t.after(() => server.close());

  const r = await echo({ host: '127.0.0.1', port: server.port, calledAe: 'SCP', callingAe: 'ME' });
  assert.equal(r.status.code, 0);

  const reports: IncomingRequest[] = [];
  const assoc = await connectToScp(server.port, {
    contexts: [
      { abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] },
      { abstractSyntax: COMMIT, transferSyntaxes: [IMPLICIT_LE], role: { scu: true, scp: false } },
      { abstractSyntax: '1.2.3.999', transferSyntaxes: [IMPLICIT_LE] },
    ],
    onRequest: (req) => {
      reports.push(req);
      return { status: 0 };
    },
  });
  assert.ok(assocSeen);
  assert.equal(assoc.contextFor('1.2.3.999'), undefined);
  assert.equal([...assoc.contexts.values()].find((c) => c.abstractSyntax === '1.2.3.999')?.result, 3);
  assert.deepEqual(assoc.contextFor(COMMIT)?.role, { scu: true, scp: false });
  // A file with a fake 300-byte header, dataset of 100 KiB (several PDUs) and an odd small one
  const big = Buffer.alloc(300 + 100 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
  writeFileSync(join(tmp.path, 'big.dcm'), big);
  const ctx = assoc.contextFor(CT)!;
  let rsp = await assoc.store({ path: join(tmp.path, 'big.dcm'), offset: 300 }, ctx.id, { sopClassUid: CT, sopInstanceUid: '1.2.3.1' });
  assert.equal(rsp.status.category, 'success');
  assert.deepEqual(readFileSync(stored[0]), big.subarray(300));
  const bigger = Buffer.alloc(3 * 1024 * 1024 + 5, 0x5a);
  writeFileSync(join(tmp.path, 'bigger.dcm'), bigger);
  rsp = await assoc.store({ path: join(tmp.path, 'bigger.dcm'), offset: 5 }, ctx.id, { sopClassUid: CT, sopInstanceUid: '1.2.3.2' });
  assert.equal(rsp.status.code, 0);
  assert.equal(readFileSync(stored[1]).length, bigger.length - 5);

  const commit = assoc.contextFor(COMMIT)!;
  const action = await assoc.request(
    { CommandField: CommandField.NActionRq, RequestedSOPClassUID: COMMIT, RequestedSOPInstanceUID: '1.2.840.10008.1.20.1.1', ActionTypeID: 1, CommandDataSetType: 0 },
    commit.id,
    encodeDataset({ TransactionUID: '2.25.1', ReferencedSOPSequence: [{ ReferencedSOPClassUID: CT, ReferencedSOPInstanceUID: '1.2.3.1' }] }, commit.transferSyntax),
  );
  assert.equal(action.status.code, 0);
  assert.equal(action.command.ActionTypeID, 1);
  assert.equal(reports.length, 1);
  assert.equal(decodeDataset(reports[0].dataset!, IMPLICIT_LE).TransactionUID, '2.25.1');
  await assoc.release();
  assert.deepEqual(await assoc.closed, { reason: 'released' });
});

test('datasets read ahead into reused frames arrive whole: a small one first, then same-size files in a row with other sizes between them', async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const stored = new Map<string, Buffer>();
  const server = await startServer({
    aeTitle: 'SCP',
    abstractSyntaxes: [CT],
    tempDir: tmp.path,
    handlers: {
      store: (req) => {
        stored.set(req.command.AffectedSOPInstanceUID!, readFileSync(req.datasetPath!));
        return { status: 0 };
      },
    },
  });
  t.after(() => server.close());
  const assoc = await connectToScp(server.port, { contexts: [{ abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] }] });
  const ctx = assoc.contextFor(CT)!;
  // A frame's PDU slots are kept for the next dataset of the same length: each must still carry its own bytes.
  const sizes = [16385, 200 * 1024, 200 * 1024, 200 * 1024, 150 * 1024 + 1, 200 * 1024, 200 * 1024, 16384, 200 * 1024, 200 * 1024, 200 * 1024];
  const sent: Buffer[] = [];
  for (const [i, size] of sizes.entries()) {
    const file = Buffer.alloc(128 + size);
    for (let j = 0; j < file.length; j++) file[j] = (j * 31 + i * 17) & 0xff;
    const path = join(tmp.path, `f${i}.dcm`);
    writeFileSync(path, file);
    sent.push(file.subarray(128));
    const framed = assoc.frameFile(path, 128, size, ctx.id);
    assert.ok(framed, `file ${i} is framed ahead`);
    const rsp = await assoc.store(framed, ctx.id, { sopClassUid: CT, sopInstanceUid: `1.2.3.${i}` });
    assert.equal(rsp.status.code, 0);
  }
  // Datasets of exactly two frames, one after another: a frame memory that held a dataset's last
  // frame comes back for a first one, laid out alike but for the last-fragment bit of its final PDU.
  const max = assoc.peerMaxPdu - 6;
  const twoFrames = 2 * Math.floor((1024 * 1024) / max) * max; // FRAME_BYTES in association.ts
  for (let k = 0; k < 3; k++) {
    const i = sizes.length + k;
    const file = Buffer.alloc(128 + twoFrames, 0x40 + k);
    const path = join(tmp.path, `f${i}.dcm`);
    writeFileSync(path, file);
    sent.push(file.subarray(128));
    const framed = assoc.frameFile(path, 128, twoFrames, ctx.id);
    assert.equal(framed?.frames.length, 2);
    const rsp = await assoc.store(framed!, ctx.id, { sopClassUid: CT, sopInstanceUid: `1.2.3.${i}` });
    assert.equal(rsp.status.code, 0);
  }
  await assoc.release();
  for (const [i, data] of sent.entries()) assert.ok(stored.get(`1.2.3.${i}`)?.equals(data), `dataset ${i} (${data.length} bytes) arrived byte for byte`);
});

test('a handler that throws becomes status 0x0110; unknown calling AE is rejected', async (t) => {
  const server = await startServer({
    aeTitle: 'SCP',
    acceptCalling: (ae) => ae === 'FRIEND',
    handlers: { echo: () => { throw new Error('boom'); } },
  });
  t.after(() => server.close());
  const r = await echo({ host: '127.0.0.1', port: server.port, calledAe: 'SCP', callingAe: 'FRIEND' });
  assert.equal(r.status.code, 0x0110);
  await assert.rejects(echo({ host: '127.0.0.1', port: server.port, calledAe: 'SCP', callingAe: 'STRANGER' }), (e: unknown) => {
    assert.ok(e instanceof AssociationRejected);
    assert.equal(e.source, 1);
    assert.equal(e.reason, 3);
    assert.match(e.message, /calling AE title not recognized/);
    return true;
  });
  await assert.rejects(echo({ host: '127.0.0.1', port: server.port, calledAe: 'OTHER', callingAe: 'FRIEND' }), /called AE title not recognized/);
});

/** A scripted peer: accepts with our own codec, then does `then` with the socket. */
async function fakePeer(then: (sock: import('node:net').Socket, rqBytes: Buffer) => void) {
  const srv = createServer((sock) => {
    const reader = new PduReader(1 << 20);
    sock.on('data', (d) => {
      for (const p of reader.push(d)) {
        if (p.type === 'associate-rq') {
          sock.write(encodePdu({ type: 'associate-ac', protocolVersion: 1, calledAe: p.calledAe, callingAe: p.callingAe, applicationContext: p.applicationContext, contexts: p.contexts.map((c) => ({ id: c.id, result: 0, transferSyntax: c.transferSyntaxes[0] })), user: { maxPduLength: 16384, implementationClassUid: '1.2.3', roles: [] } }));
        } else then(sock, d);
      }
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as { port: number }).port, close: () => new Promise<void>((r) => srv.close(() => r())) };
}

const connect = (port: number, extra: object = {}) =>
  Association.connect({ host: '127.0.0.1', port, callingAe: 'ME', calledAe: 'X', contexts: [{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }], ...extra });

test('malformed PDU from the peer → ProtocolError and A-ABORT, no crash', async (t) => {
  let sawAbort = false;
  const peer = await fakePeer((sock, d) => {
    if (d[0] === 0x07) sawAbort = true;
    else sock.write(Buffer.from([0x04, 0, 0, 0, 0, 6, 0, 0, 0, 0x40, 1, 3])); // PDV longer than its PDU
  });
  t.after(peer.close);
  const a = await connect(peer.port);
  await assert.rejects(a.echo(), ProtocolError);
  const info = await a.closed;
  assert.ok(info.reason instanceof ProtocolError);
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(sawAbort);
});

test('peer A-ABORT → Aborted; peer vanishing → PeerClosed; silence → Timeout', async (t) => {
  const aborter = await fakePeer((sock) => sock.write(encodePdu({ type: 'abort', source: 0, reason: 0 })));
  t.after(aborter.close);
  await assert.rejects((await connect(aborter.port)).echo(), (e: unknown) => e instanceof Aborted && e.byPeer);

  const closer = await fakePeer((sock) => sock.destroy());
  t.after(closer.close);
  await assert.rejects((await connect(closer.port)).echo(), PeerClosed);

  const silent = await fakePeer(() => {});
  t.after(silent.close);
  await assert.rejects((await connect(silent.port, { timeouts: { response: 200 } })).echo(), (e: unknown) => e instanceof Timeout && e.phase === 'response');

  const port = await freePort();
  await assert.rejects(connect(port), (e: unknown) => e instanceof PeerClosed && e.code === 'ECONNREFUSED');

  // A listener that never answers the A-ASSOCIATE-RQ
  const mute = createServer((s) => {
    s.resume(); // read (and so notice our close) but never answer
    s.on('error', () => {});
  });
  await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => mute.close(() => r())));
  const mutePort = (mute.address() as { port: number }).port;
  await assert.rejects(connect(mutePort, { timeouts: { associate: 200 } }), (e: unknown) => e instanceof Timeout && e.phase === 'associate');
});

test('DCMTK: our echo against storescp, echoscu against our server', { skip: missingPeers('storescp', 'echoscu') }, async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const scp = await startStorescp(tmp.path);
  t.after(scp.stop);
  const r = await echo({ host: '127.0.0.1', port: scp.port, calledAe: 'STORESCP', callingAe: 'COURIER' });
  assert.equal(r.status.code, 0);
  assert.match(r.peerImplementation, /OFFIS|DCMTK/i);

  const server = await startServer({ aeTitle: 'COURIER' });
  t.after(() => server.close());
  // Asynchronously: our server runs in this process.
  await execFileAsync('echoscu', ['-aet', 'ECHOSCU', '-aec', 'COURIER', '127.0.0.1', String(server.port)], { env: { ...process.env, TCP_NODELAY: '1' } });
  assert.deepEqual(readdirSync(scp.dir), []);
});
