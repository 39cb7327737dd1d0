/**
 * Our SCP (electron/dimse/server.ts) against a hostile peer over real sockets: what it must not
 * hold, for how long, and from whom (issue: a peer on the network cannot exhaust or fool Courier).
 * The peers are raw sockets (rawPeer.ts) and our own requestor.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Association, PeerClosed, echo, startServer, type ServerOptions } from '../../../electron/dimse/index.ts';
import { CommandField } from '../../../electron/dimse/command.ts';
import { encodePdu } from '../../../electron/dimse/pdu.ts';
import { MAX_COMMAND_BYTES, MAX_PDU_SENT, inboundMemory } from '../../../electron/dimse/limits.ts';
import { readTlsCredentials } from '../../../electron/dimse/tls.ts';
import { EXPLICIT_LE } from '../../../electron/dicom/transferSyntax.ts';
import { tempDir } from '../../helpers.ts';
import { missingPeers } from '../../peers.ts';
import { makePki } from './pki.ts';
import { RawPeer, commandBytes, pdata } from './rawPeer.ts';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const COMMIT = '1.2.840.10008.1.20.1';

async function server(t: { after: (fn: () => unknown) => void }, opts: Partial<ServerOptions> = {}) {
  const s = await startServer({ aeTitle: 'SCP', ...opts });
  t.after(() => s.close());
  return s;
}

const echoFrom = (port: number) => echo({ host: '127.0.0.1', port, calledAe: 'SCP', callingAe: 'ME', timeouts: { connect: 2000, associate: 2000, response: 2000 } });

test('CommandFragmentsThatNeverEnd_AreAbortedPastTheCommandLimit', async (t) => {
  const s = await server(t);
  const raw = await RawPeer.open(s.port);
  assert.ok(await raw.associate('SCP'));
  // Command fragments, none of them the last, 1 KiB each: the server must stop us soon after the limit.
  const fragment = Buffer.alloc(1024, 0x20);
  for (let i = 0; i < 64 && !raw.isClosed; i++) {
    raw.write(pdata(1, true, false, fragment));
    await new Promise((r) => setImmediate(r));
  }
  await raw.closed;
  assert.ok(raw.aborted, 'an A-ABORT came back');
  assert.ok(raw.sent < 64 * 1024, `the connection ended after ${raw.sent} bytes`);
  // The limit itself is taken: one command of exactly MAX_COMMAND_BYTES in 4 fragments is fine.
  const ok = await RawPeer.open(s.port);
  assert.ok(await ok.associate('SCP'));
  const echoRq = commandBytes({ CommandField: CommandField.CEchoRq, MessageID: 1, AffectedSOPClassUID: '1.2.840.10008.1.1', CommandDataSetType: 0x0101, ErrorComment: 'x'.repeat(MAX_COMMAND_BYTES - 100) });
  const padded = Buffer.concat([echoRq, Buffer.alloc(MAX_COMMAND_BYTES - echoRq.length)]);
  for (let at = 0; at < padded.length; at += padded.length / 4) ok.write(pdata(1, true, at + padded.length / 4 >= padded.length, padded.subarray(at, at + padded.length / 4)));
  assert.ok(await ok.until(() => ok.received.some((p) => p.type === 'p-data')), 'the C-ECHO-RSP came back');
  ok.destroy();
});

test('SilentConnection_OrAHalfSentAssociationRequest_IsClosedAfterTheAssociateTimeout', async (t) => {
  // (PS3.8 §9.1.5: the ARTIM timer of an acceptor waiting for the A-ASSOCIATE-RQ.) Both ways a
  // connection is taken: plain TCP only, and plain or TLS told apart by the first byte.
  for (const tls of [undefined, () => null]) {
    const s = await server(t, { timeouts: { associate: 300 }, tls });
    const silent = await RawPeer.open(s.port);
    const half = await RawPeer.open(s.port);
    const rq = encodePdu({ type: 'associate-rq', protocolVersion: 1, calledAe: 'SCP', callingAe: 'RAW', applicationContext: '1.2.840.10008.3.1.1.1', contexts: [{ id: 1, abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: [EXPLICIT_LE] }], user: { maxPduLength: 16384, implementationClassUid: '1.2.3', roles: [] } });
    half.write(rq.subarray(0, 40));
    for (const [what, p] of [['silent', silent], ['half an A-ASSOCIATE-RQ', half]] as const) {
      assert.ok(await p.until(() => p.isClosed, 3000), `${tls ? 'TLS-capable' : 'plain'} server, ${what}: still open after 3 s`);
      const ms = await p.closed;
      assert.ok(ms >= 250 && ms < 3000, `${tls ? 'TLS-capable' : 'plain'} server, ${what}: closed after ${ms} ms`);
    }
    assert.equal((await echoFrom(s.port)).status.code, 0, 'the server still answers');
  }
});

test('IdleAssociation_IsAbortedAfterTheIdleTimeout_ABusyOneIsNot', async (t) => {
  const s = await server(t, { timeouts: { idle: 400 } });
  const raw = await RawPeer.open(s.port);
  assert.ok(await raw.associate('SCP'));
  const ms = await raw.closed;
  assert.ok(raw.aborted);
  assert.ok(ms >= 350 && ms < 3000, `closed after ${ms} ms`);
  // An association that keeps asking stays open.
  const busy = await Association.connect({ host: '127.0.0.1', port: s.port, callingAe: 'ME', calledAe: 'SCP', contexts: [{ abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: [EXPLICIT_LE] }] });
  for (let i = 0; i < 8; i++) {
    assert.equal((await busy.echo()).status.code, 0);
    await new Promise((r) => setTimeout(r, 150));
  }
  await busy.release();
});

test('UnfinishedDataset_IsAbortedAfterTheIdleTimeout_ItsTempFileRemoved', async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  let stored = 0;
  const s = await server(t, { abstractSyntaxes: [CT], tempDir: tmp.path, timeouts: { idle: 400 }, handlers: { store: () => ((stored++), { status: 0 }) } });
  const raw = await RawPeer.open(s.port);
  const ac = await raw.associate('SCP', 'RAW', [CT]);
  assert.ok(ac);
  raw.write(pdata(3, true, true, commandBytes({ CommandField: CommandField.CStoreRq, MessageID: 1, AffectedSOPClassUID: CT, AffectedSOPInstanceUID: '1.2.3', Priority: 0, CommandDataSetType: 0 })));
  raw.write(pdata(3, false, false, Buffer.alloc(10_000)));
  await raw.until(() => readdirSync(tmp.path).length > 0, 2000);
  assert.equal(readdirSync(tmp.path).length, 1, 'the dataset was being written to a file');
  const ms = await raw.closed;
  assert.ok(raw.aborted && ms < 3000, `aborted after ${ms} ms`);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(readdirSync(tmp.path), [], 'the half-received file is gone');
  assert.equal(stored, 0);
});

test('HugeDeclaredPduLength_IsAbortedAtItsHeader_AHalfSentOneAfterTheIdleTimeout', async (t) => {
  const s = await server(t, { timeouts: { idle: 400 } });
  const raw = await RawPeer.open(s.port);
  assert.ok(await raw.associate('SCP'));
  const header = Buffer.from([0x04, 0, 0xff, 0xff, 0xff, 0xf0]);
  raw.write(header);
  const ms = await raw.closed;
  assert.ok(raw.aborted && ms < 1000, `aborted ${ms} ms after connecting`);
  // A P-DATA-TF within our limit, declared at 1 MB: a whole command, then a PDV of its dataset of
  // which only 100 KB ever come. What is kept of it is counted; the PDU's other bytes are not held at all.
  const slow = await RawPeer.open(s.port);
  assert.ok(await slow.associate('SCP'));
  const command = commandBytes({ CommandField: CommandField.CEchoRq, MessageID: 1, AffectedSOPClassUID: '1.2.840.10008.1.1', CommandDataSetType: 0 });
  const pdu = Buffer.alloc(6 + 6 + command.length + 6 + 100_000, 7);
  pdu[0] = 0x04;
  pdu.writeUInt32BE(1_000_000, 2);
  pdu.writeUInt32BE(2 + command.length, 6);
  pdu[10] = 1;
  pdu[11] = 0x03; // command, last fragment
  command.copy(pdu, 12);
  const dataPdv = 12 + command.length;
  pdu.writeUInt32BE(1_000_000 - 6 - command.length - 4, dataPdv);
  pdu[dataPdv + 4] = 1;
  pdu[dataPdv + 5] = 0x00; // dataset, not last
  slow.write(pdu);
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(!slow.isClosed, 'a well-formed PDU that is slow to come is no protocol error');
  assert.ok(inboundMemory.inUse >= 100_000 && inboundMemory.inUse < 200_000, `the unfinished dataset is counted (${inboundMemory.inUse} bytes)`);
  await slow.closed;
  assert.ok(slow.aborted);
  assert.equal(inboundMemory.inUse, 0, 'nothing is counted once it is gone');
});

test('IncomingMemory_IsBoundedForAllAssociationsTogether', async (t) => {
  const s = await server(t, { abstractSyntaxes: [COMMIT], handlers: { nEventReport: () => ({ status: 0 }) } });
  // Seven associations each send 6 MB of an N-EVENT-REPORT dataset (kept in memory) and stop:
  // 42 MB, more than all associations together may hold.
  const peers = await Promise.all(Array.from({ length: 7 }, () => RawPeer.open(s.port)));
  for (const p of peers) assert.ok(await p.associate('SCP', 'RAW', [COMMIT], 256 * 1024));
  const piece = Buffer.alloc(200 * 1024, 1);
  for (const p of peers) {
    p.write(pdata(3, true, true, commandBytes({ CommandField: CommandField.NEventReportRq, MessageID: 1, AffectedSOPClassUID: COMMIT, AffectedSOPInstanceUID: '1.2.840.10008.1.20.1.1', EventTypeID: 1, CommandDataSetType: 0 })));
    for (let i = 0; i < 30; i++) p.write(pdata(3, false, false, piece));
  }
  await peers[0].until(() => peers.filter((p) => p.isClosed).length >= 2, 5000);
  await new Promise((r) => setTimeout(r, 300));
  const ended = peers.filter((p) => p.isClosed).length;
  assert.ok(ended >= 1 && ended < peers.length, `${ended} of 7 aborted: those that would pass the limit, not the others`);
  assert.ok(inboundMemory.inUse <= inboundMemory.limit, `${inboundMemory.inUse} bytes held`);
  assert.ok(inboundMemory.inUse >= 4 * 6_000_000, `the others' ${inboundMemory.inUse} bytes are held`);
  assert.equal((await echoFrom(s.port)).status.code, 0, 'the server still answers');
  for (const p of peers) p.destroy();
  await Promise.all(peers.map((p) => p.closed));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(inboundMemory.inUse, 0);
});

test('RequestsSentWithoutWaitingForAnswers_WaitTheirTurn_TooManyAbort', async (t) => {
  const order: number[] = [];
  const s = await server(t, {
    handlers: {
      echo: async (req) => {
        order.push(req.command.MessageID!);
        await new Promise((r) => setTimeout(r, 20));
        return { status: 0 };
      },
    },
  });
  const echoRq = (id: number) => pdata(1, true, true, commandBytes({ CommandField: CommandField.CEchoRq, MessageID: id, AffectedSOPClassUID: '1.2.840.10008.1.1', CommandDataSetType: 0x0101 }));
  // Five at once: answered one after the other, in order.
  const few = await RawPeer.open(s.port);
  assert.ok(await few.associate('SCP'));
  few.write(Buffer.concat([1, 2, 3, 4, 5].map(echoRq)));
  assert.ok(await few.until(() => few.received.filter((p) => p.type === 'p-data').length === 5));
  assert.deepEqual(order, [1, 2, 3, 4, 5]);
  few.destroy();
  // A hundred at once: aborted, having answered no more than the one in hand and those waiting.
  const many = await RawPeer.open(s.port);
  assert.ok(await many.associate('SCP'));
  many.write(Buffer.concat(Array.from({ length: 100 }, (_, i) => echoRq(i + 1))));
  await many.closed;
  assert.ok(order.length - 5 <= 17, `${order.length - 5} of 100 answered`);
});

test('RequestsThatKeepFailing_AreSlowedDown', async (t) => {
  const s = await server(t, { handlers: { echo: () => ({ status: 0x0110 }) } });
  const raw = await RawPeer.open(s.port);
  assert.ok(await raw.associate('SCP'));
  const answered = () => raw.received.filter((p) => p.type === 'p-data').length;
  const started = Date.now();
  for (let id = 1; id <= 40; id++) {
    raw.write(pdata(1, true, true, commandBytes({ CommandField: CommandField.CEchoRq, MessageID: id, AffectedSOPClassUID: '1.2.840.10008.1.1', CommandDataSetType: 0x0101 })));
    assert.ok(await raw.until(() => answered() >= id, 5000));
  }
  const ms = Date.now() - started;
  // 20 failures at once, then 20 a second: the other 20 take about a second.
  assert.ok(ms >= 800, `40 failures answered in ${ms} ms`);
  raw.destroy();
});

test('Connections_AreCappedPerPeerAndInAll_OtherPeersStillServed', async (t) => {
  const s = await server(t, { limits: { connections: 4, connectionsPerPeer: 2 } });
  const fromB = [await RawPeer.open(s.port, '127.0.0.2'), await RawPeer.open(s.port, '127.0.0.2')];
  for (const p of fromB) assert.ok(await p.associate('SCP'));
  const third = await RawPeer.open(s.port, '127.0.0.2');
  const ms = await third.closed;
  assert.ok(ms < 1000 && third.received.length === 0, 'a third connection from one address is closed at once, unread');
  assert.equal((await echoFrom(s.port)).status.code, 0, 'another address is served meanwhile');
  const fromC = [await RawPeer.open(s.port, '127.0.0.3'), await RawPeer.open(s.port, '127.0.0.3')];
  for (const p of fromC) assert.ok(await p.associate('SCP'));
  await assert.rejects(echoFrom(s.port), PeerClosed, 'four connections in all: the fifth is closed');
  fromC[0].destroy();
  await fromC[0].closed;
  await new Promise((r) => setTimeout(r, 50));
  assert.equal((await echoFrom(s.port)).status.code, 0, 'served again once one has gone');
  for (const p of [...fromB, ...fromC]) p.destroy();
});

test('TlsCaller_WithACertificateFromAnotherCa_IsRefused_OneWeTrustIsAdmittedAsTls', { skip: missingPeers('openssl') }, async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const pki = makePki(join(tmp.path, 'pki'));
  const callers: { ae: string; tls: boolean }[] = [];
  const refused: string[] = [];
  const s = await server(t, {
    tls: () => readTlsCredentials({ certificateFile: pki.serverCert, keyFile: pki.serverKey, caFile: pki.ca }),
    acceptCalling: (ae, peer) => (callers.push({ ae, tls: peer.tls }), true),
    onRejected: (info) => refused.push(info.reason),
  });
  const call = (tls?: { cert: string; key: string }) =>
    echo({
      host: '127.0.0.1', port: s.port, calledAe: 'SCP', callingAe: tls ? 'SECURE' : 'PLAIN',
      tls: tls ? { ...readTlsCredentials({ certificateFile: tls.cert, keyFile: tls.key, caFile: pki.ca }) } : undefined,
      timeouts: { connect: 3000, associate: 3000, response: 3000 },
    });
  await assert.rejects(call({ cert: pki.strangerCert, key: pki.strangerKey }));
  assert.match(refused.at(-1) ?? '', /not signed by a CA we trust/);
  assert.deepEqual(callers, [], 'no association was even considered');
  assert.equal((await call({ cert: pki.clientCert, key: pki.clientKey })).status.code, 0);
  assert.equal((await call()).status.code, 0);
  assert.deepEqual(callers, [{ ae: 'SECURE', tls: true }, { ae: 'PLAIN', tls: false }]);
});

test('PeerMaxPduOf4GiB_OurPdusStayWithin1MiB_AndTheDatasetArrivesWhole', async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const received: Buffer[] = [];
  const s = await server(t, {
    abstractSyntaxes: [CT],
    tempDir: tmp.path,
    maxPdu: 0xffffffff,
    handlers: {
      store: (req) => {
        copyFileSync(req.datasetPath!, join(tmp.path, 'got'));
        received.push(readFileSync(join(tmp.path, 'got')));
        return { status: 0 };
      },
    },
  });
  const assoc = await Association.connect({ host: '127.0.0.1', port: s.port, callingAe: 'ME', calledAe: 'SCP', contexts: [{ abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] }] });
  t.after(() => assoc.release());
  assert.equal(assoc.peerMaxPdu, 0xffffffff);
  const ctx = assoc.contextFor(CT)!;
  const small = join(tmp.path, 'small');
  writeFileSync(small, randomBytes(1_500_000));
  const framed = assoc.frameFile(small, 0, 1_500_000, ctx.id)!;
  const lengths: number[] = [];
  for (const frame of framed.frames) for (let at = 0; at < frame.length; at += 6 + frame.readUInt32BE(at + 2)) lengths.push(frame.readUInt32BE(at + 2));
  assert.ok(lengths.length >= 2 && Math.max(...lengths) <= MAX_PDU_SENT, `P-DATA-TF lengths ${lengths.join(', ')}`);
  // Every PDU that goes on the wire, read back from what is written to the socket (each write is whole PDUs).
  const written: number[] = [];
  const write = assoc.socket.write.bind(assoc.socket) as (b: Uint8Array, cb?: () => void) => boolean;
  (assoc.socket as { write: unknown }).write = (b: Uint8Array, cb?: () => void) => {
    const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    for (let at = 0; at + 6 <= buf.length; at += 6 + buf.readUInt32BE(at + 2)) if (buf[at] === 0x04) written.push(buf.readUInt32BE(at + 2));
    return write(b, cb);
  };
  assert.equal((await assoc.store(framed, ctx.id, { sopClassUid: CT, sopInstanceUid: '1.2.3.1' })).status.code, 0);
  // A larger one, streamed from the file.
  const large = join(tmp.path, 'large');
  writeFileSync(large, randomBytes(5_000_000));
  assert.equal((await assoc.store({ path: large, offset: 0 }, ctx.id, { sopClassUid: CT, sopInstanceUid: '1.2.3.2' })).status.code, 0);
  assert.ok(received[0].equals(readFileSync(small)) && received[1].equals(readFileSync(large)));
  assert.ok(written.length >= 2 + 2 + 5, `${written.length} P-DATA-TFs written`);
  assert.ok(Math.max(...written) <= MAX_PDU_SENT, `P-DATA-TFs of ${Math.max(...written)} bytes written, more than ${MAX_PDU_SENT}`);
  assert.ok(written.reduce((a, b) => a + b, 0) > 6_500_000, 'the counted PDUs carry both datasets');
});
