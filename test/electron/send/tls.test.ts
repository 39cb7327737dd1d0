/**
 * DICOM over TLS (PS3.15 Annex B.9) against DCMTK storescp with `+tls`, which requires a client
 * certificate by default: a test PKI made with openssl, echo and send over TLS, byte-identical
 * datasets, and each way it can go wrong (untrusted peer, no client certificate, a plain
 * connection to a TLS port, unreadable files) failing with a message that says what to do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { datasetOf, fixtureFolder, freePort, runCli, tempDir } from '../../helpers.ts';
import { missingPeers } from '../../peers.ts';
import { startStorescp, type Peer } from '../dimse/peers.ts';
import { makePki, type Pki } from '../dimse/pki.ts';
import { createServices } from '../../../electron/services.ts';
import { nodeHandlers } from '../../../electron/api/nodes.ts';
import { startOrthanc } from '../commit/orthanc.ts';
import { makeStudy } from '../commit/study.ts';
import { runCliAsync } from '../commit/net.ts';
import { startAccepter } from '../../../electron/commit/accepter.ts';
import { readTlsCredentials } from '../../../electron/dimse/tls.ts';
import type { TlsFiles } from '../../../shared/contract/nodes.ts';

const skip = missingPeers('storescp', 'openssl');

async function tlsStorescp(root: string, pki: Pki): Promise<Peer> {
  return startStorescp(root, 'STORESCP', ['+tls', pki.serverKey, pki.serverCert, '-pw', '+cf', pki.ca]);
}

test('echo and send over TLS to storescp +tls: stored, byte-identical; failures say what to do', { skip }, async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const pki = makePki(join(tmp.path, 'pki'));
  const home = join(tmp.path, 'home');
  const scp = await tlsStorescp(tmp.path, pki);
  t.after(scp.stop);
  const to = `STORESCP@127.0.0.1:${scp.port}`;
  const ours = ['--tls-cert', pki.clientCert, '--tls-key', pki.clientKey];

  // Echo over TLS.
  const ok = runCli(['echo', to, '--tls', ...ours, '--tls-ca', pki.ca, '--json'], home);
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.deepEqual({ ...JSON.parse(ok.stdout), ms: 0 }, { ok: true, message: JSON.parse(ok.stdout).message, ms: 0, tls: true });
  assert.match(JSON.parse(ok.stdout).message, /^0x0000 Success/);

  // Send over TLS: every file arrives, byte for byte.
  const names = ['CT_small.dcm', 'JPEG2000.dcm', 'MR_small_bigendian.dcm', 'rtplan.dcm'];
  const dir = fixtureFolder(tmp.path, names);
  const sent = runCli(['send', dir, '--to', to, ...ours, '--tls-ca', pki.ca, '--json'], home);
  assert.equal(sent.status, 0, sent.stdout + sent.stderr);
  const out = JSON.parse(sent.stdout) as { instances: { store: string; status: string }[] };
  assert.deepEqual(out.instances.map((i) => i.store), names.map(() => 'success'));
  const received = readdirSync(scp.dir).map((f) => readFileSync(join(scp.dir, f))).map((b) => datasetOf(b).toString('base64'));
  for (const n of names) {
    const b = readFileSync(join(dir, n));
    assert.ok(received.includes(datasetOf(b).toString('base64')), `${n} arrived byte-identical over TLS`);
  }

  // A peer whose certificate we do not trust: refused before anything is sent.
  const untrusted = runCli(['echo', to, ...ours, '--tls-ca', pki.otherCa, '--json'], home);
  assert.equal(untrusted.status, 1);
  assert.match(JSON.parse(untrusted.stdout).message, /TLS: the peer's certificate is not signed by a CA we trust .*Settings/);

  // No certificate of ours: storescp requires one.
  const anonymous = runCli(['echo', to, '--tls', '--tls-ca', pki.ca, '--json'], home);
  assert.equal(anonymous.status, 1);
  assert.match(JSON.parse(anonymous.stdout).message, /^TLS: the peer refused our certificate or the handshake \(\w+\); set a certificate it trusts in Settings/);

  // Plain DICOM to the TLS port: a clear failure, and storescp still serves the next caller.
  const plain = runCli(['echo', to, '--json'], home);
  assert.equal(plain.status, 1);
  assert.match(JSON.parse(plain.stdout).message, /without answering the association request \(a port that expects DICOM over TLS does this; is the node TLS\?\)/);

  // Our files unreadable: a usage error naming the file, nothing queued.
  const missing = runCli(['send', dir, '--to', to, '--tls-cert', join(tmp.path, 'nope.pem'), '--tls-key', pki.clientKey, '--tls-ca', pki.ca], home);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /TLS: cannot read our certificate .*nope\.pem \(ENOENT\)/);

  const again = runCli(['echo', to, '--tls', ...ours, '--tls-ca', pki.ca, '--json'], home);
  assert.equal(JSON.parse(again.stdout).ok, true, 'storescp survived the failed handshakes');
});

test('a saved node marked TLS is reached over TLS with our saved files (Settings → Test connection)', { skip }, async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const pki = makePki(join(tmp.path, 'pki'));
  const scp = await tlsStorescp(tmp.path, pki);
  t.after(scp.stop);
  const services = createServices(join(tmp.path, 'home'));
  t.after(() => services.close());
  const api = nodeHandlers(services);
  const node = services.nodes.save({ aeTitle: 'STORESCP', host: '127.0.0.1', port: scp.port, tls: true });

  // Without our files the handshake fails, and says so; nothing falls back to plain TCP.
  const before = await api['nodes.echo']({ id: node.id });
  assert.equal(before.ok, false);
  assert.match(before.message, /^TLS: /);

  services.nodes.setLocal({ aeTitle: 'COURIER', port: 11113, tls: { certificateFile: pki.clientCert, keyFile: pki.clientKey, caFile: pki.ca } });
  assert.deepEqual(services.nodes.local().tls, { certificateFile: pki.clientCert, keyFile: pki.clientKey, caFile: pki.ca });
  const after = await api['nodes.echo']({ id: node.id });
  assert.equal(after.ok, true, after.message);
  // The same address typed in the form, with TLS ticked and not.
  assert.equal((await api['nodes.echo']({ aeTitle: 'STORESCP', host: '127.0.0.1', port: scp.port, tls: true })).ok, true);
  assert.equal((await api['nodes.echo']({ aeTitle: 'STORESCP', host: '127.0.0.1', port: scp.port })).ok, false);
  // Changing only our AE keeps the TLS files.
  services.nodes.setLocal({ aeTitle: 'COURIER2', port: 11113 });
  assert.equal(services.nodes.local().tls.caFile, pki.ca);
});

test('send and storage commitment over TLS to Orthanc (DicomTlsEnabled), its report over TLS to our accepter: every instance committed', { skip: missingPeers('storescp', 'openssl', 'Orthanc') }, async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const pki = makePki(join(tmp.path, 'pki'));
  const listen = await freePort();
  // Orthanc takes DICOM over TLS only and asks for our certificate; it reports on a new
  // association to our accepter, over TLS too (UseDicomTls), where it must show a certificate we trust.
  const orthanc = await startOrthanc(join(tmp.path, 'orthanc'), { aeTitle: 'COURIER', host: '127.0.0.1', port: listen }, {
    DicomModalities: { courier: { AET: 'COURIER', Host: '127.0.0.1', Port: listen, AllowStorageCommitment: true, UseDicomTls: true } },
    DicomTlsEnabled: true,
    DicomTlsCertificate: pki.serverCert,
    DicomTlsPrivateKey: pki.serverKey,
    DicomTlsTrustedCertificates: pki.ca,
    DicomTlsRemoteCertificateRequired: true,
  });
  t.after(() => orthanc.stop());
  const files = makeStudy(join(tmp.path, 'study'), 3);
  const to = `ORTHANC@127.0.0.1:${orthanc.dicomPort}`;
  const tls = ['--tls-cert', pki.clientCert, '--tls-key', pki.clientKey, '--tls-ca', pki.ca];
  const r = await runCliAsync(['send', join(tmp.path, 'study'), '--to', to, '--ae', 'COURIER', ...tls, '--commit', '--listen', String(listen), '--json'], join(tmp.path, 'home'));
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}\n--- Orthanc ---\n${orthanc.log().slice(-3000)}`);
  const out = JSON.parse(r.stdout) as { instances: { store: string; commit: string }[] };
  assert.deepEqual(out.instances.map((i) => [i.store, i.commit]), files.map(() => ['success', 'committed']));
  assert.equal((await orthanc.get<string[]>('/instances')).length, files.length);
  // The same port in plain TCP gets nowhere: TLS was what carried the stores.
  const plain = runCli(['echo', to, '--json'], join(tmp.path, 'home'));
  assert.equal(JSON.parse(plain.stdout).ok, false);
});

test('the accepter takes plain DICOM and DICOM over TLS on one port; a peer without a trusted certificate is refused', { skip: missingPeers('storescp', 'openssl', 'echoscu') }, async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const pki = makePki(join(tmp.path, 'pki'));
  let files: TlsFiles | null = { certificateFile: pki.clientCert, keyFile: pki.clientKey, caFile: pki.ca };
  const refused: string[] = [];
  const accepter = await startAccepter({
    aeTitle: 'COURIER',
    port: 0,
    host: '127.0.0.1',
    acceptCalling: () => true,
    onReport: () => ({ status: 0 }),
    onRejected: (info) => refused.push(info.reason),
    tls: () => (files ? readTlsCredentials(files) : null),
  });
  t.after(() => accepter.close());
  // Asynchronous: the accepter answers from this process.
  const echoscu = (...args: string[]) =>
    new Promise<{ status: number | null }>((resolve) => {
      const p = spawn('echoscu', ['-aec', 'COURIER', ...args, '127.0.0.1', String(accepter.port)], { stdio: 'ignore' });
      p.on('exit', (status) => resolve({ status }));
    });

  assert.equal((await echoscu('+tls', pki.serverKey, pki.serverCert, '+cf', pki.ca)).status, 0, 'DCMTK over TLS, its certificate from our CA');
  assert.equal((await echoscu()).status, 0, 'plain DICOM on the same port');
  assert.notEqual((await echoscu('+tla', '+cf', pki.ca)).status, 0, 'TLS without a certificate');
  assert.match(refused.at(-1)!, /^TLS handshake failed: /);
  files = null;
  assert.notEqual((await echoscu('+tls', pki.serverKey, pki.serverCert, '+cf', pki.ca)).status, 0);
  assert.match(refused.at(-1)!, /our certificate and key are not set/);
  assert.equal((await echoscu()).status, 0, 'plain DICOM still works');
});
