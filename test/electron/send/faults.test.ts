/**
 * Failure modes of sending, each against a real or scripted peer: rejection, SOP class not
 * supported, out of resources, peer abort, timeouts, malformed PDUs, transcoding when the peer
 * refuses the file's own syntax. Every instance gets one clear result; nothing crashes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { PYDICOM_TEST_FILES } from '../../helpers.ts';
import { sendFiles, type InstanceResult, type SendOptions } from '../../../electron/send/sender.ts';
import { startServer, type ServerOptions, type Handler } from '../../../electron/dimse/server.ts';
import { PduReader, encodePdu } from '../../../electron/dimse/pdu.ts';
import { EXPLICIT_LE, IMPLICIT_LE } from '../../../electron/dicom/transferSyntax.ts';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const MR = '1.2.840.10008.5.1.4.1.1.4';
const f = (name: string) => join(PYDICOM_TEST_FILES, name);

async function scp(t: { after(fn: () => unknown): void }, opts: Partial<ServerOptions> & { store?: Handler }) {
  const server = await startServer({ aeTitle: 'SCP', abstractSyntaxes: [CT, MR], ...opts, handlers: { store: opts.store ?? (() => ({ status: 0 })), ...opts.handlers } });
  t.after(() => server.close());
  return server.port;
}

async function send(port: number, files: string[], extra: Partial<SendOptions> = {}): Promise<InstanceResult[]> {
  const results: InstanceResult[] = [];
  await sendFiles(files.map((path, key) => ({ key, path })), {
    callingAe: 'COURIER',
    target: { aeTitle: 'SCP', host: '127.0.0.1', port },
    policy: { retryDelayMs: 10 },
    ...extra,
    onResult: (r) => results.push(r),
  });
  return results.sort((a, b) => a.key - b.key);
}

test('association rejected: every instance fails with result, source and reason', async (t) => {
  const port = await scp(t, { acceptCalling: () => false });
  const r = await send(port, [f('CT_small.dcm'), f('MR_small.dcm')]);
  assert.equal(r.length, 2);
  for (const x of r) {
    assert.equal(x.state, 'failed');
    assert.match(x.message, /Association rejected \(permanent\) by the service user: calling AE title not recognized/);
  }
});

test('SOP class not supported: that instance fails, the others go', async (t) => {
  const port = await scp(t, { abstractSyntaxes: [CT] });
  const r = await send(port, [f('MR_small.dcm'), f('CT_small.dcm')]);
  assert.equal(r[0].state, 'failed');
  assert.match(r[0].message, /does not support MR Image ?Storage|does not support MRImage/);
  assert.equal(r[1].state, 'success');
});

test('status 0x0122 and 0xA9xx from the peer are failures with their meaning; 0xB000 a warning', async (t) => {
  const port = await scp(t, {
    abstractSyntaxes: () => true,
    store: async (req) => ({ status: req.command.AffectedSOPInstanceUID?.endsWith('12322') ? 0x0122 : req.command.AffectedSOPClassUID === MR ? 0xa900 : 0xb000 }),
  });
  const r = await send(port, [f('CT_small.dcm'), f('MR_small.dcm'), f('JPEG2000.dcm')]);
  assert.deepEqual(r.map((x) => [x.state, x.status]), [['failed', 0x0122], ['failed', 0xa900], ['warning', 0xb000]]);
  assert.match(r[0].message, /SOP class not supported/);
  assert.match(r[1].message, /does not match SOP class/);
});

test('out of resources (A7xx): retried per policy, then failed with the status', async (t) => {
  let calls = 0;
  const port = await scp(t, { store: () => ({ status: ++calls === 1 ? 0xa701 : 0 }) });
  const once = await send(port, [f('CT_small.dcm')]);
  assert.equal(once[0].state, 'success', 'the retry succeeded');
  assert.equal(calls, 2);
  const port2 = await scp(t, { store: () => ({ status: 0xa702 }) });
  const always = await send(port2, [f('CT_small.dcm')], { policy: { instanceAttempts: 3, retryDelayMs: 5 } });
  assert.equal(always[0].state, 'failed');
  assert.equal(always[0].status, 0xa702);
  assert.match(always[0].message, /out of resources/);
});

test('a store queued behind the current one: withdrawn on out of resources or cancel, never sent twice or unreported', async (t) => {
  // Every store after the first goes out as a follow-up (written the moment the previous response
  // arrives). An A7xx response withdraws the one queued behind it; it is sent again later, once.
  const seen: string[] = [];
  const port = await scp(t, {
    store: (req) => {
      seen.push(req.command.AffectedSOPInstanceUID!);
      return { status: seen.length === 2 ? 0xa701 : 0 };
    },
  });
  const files = [f('CT_small.dcm'), f('MR_small.dcm'), f('CT_small.dcm'), f('MR_small.dcm'), f('CT_small.dcm')];
  const r = await send(port, files);
  assert.deepEqual(r.map((x) => x.state), ['success', 'success', 'success', 'success', 'success']);
  assert.equal(seen.length, 6, 'five stores and one retry: the withdrawn follow-up went out once');

  // Cancelled after two results: whatever reached the peer was reported, the rest counted as not sent.
  const stored: string[] = [];
  const port2 = await scp(t, {
    store: async (req) => {
      stored.push(req.command.AffectedSOPInstanceUID!);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { status: 0 };
    },
  });
  const ac = new AbortController();
  const results: InstanceResult[] = [];
  const summary = await sendFiles([...files, ...files].map((path, key) => ({ key, path })), {
    callingAe: 'COURIER',
    target: { aeTitle: 'SCP', host: '127.0.0.1', port: port2 },
    signal: ac.signal,
    onResult: (x) => {
      results.push(x);
      if (results.length === 2) ac.abort();
    },
  });
  assert.equal(stored.length, results.length, 'no store reached the peer without a result');
  assert.ok(summary.notSent > 0 && results.length < 10, 'the cancel left files unsent');
  assert.equal(results.length + summary.notSent, 10, 'every file is either reported or not sent');
  assert.ok(results.every((x) => x.state === 'success'));
});

test('peer aborts during a store: retried on a new association', async (t) => {
  let calls = 0;
  const port = await scp(t, {
    store: (req) => {
      if (++calls === 1) req.association.abort();
      return { status: 0 };
    },
  });
  const r = await send(port, [f('CT_small.dcm'), f('MR_small.dcm')]);
  assert.deepEqual(r.map((x) => x.state), ['success', 'success']);
  assert.equal(calls, 3);
  // With one attempt only, the aborted instance fails and says why; the next one still goes.
  calls = 0;
  const r2 = await send(port, [f('CT_small.dcm'), f('MR_small.dcm')], { policy: { instanceAttempts: 1 } });
  assert.equal(r2[0].state, 'failed');
  assert.match(r2[0].message, /aborted/);
  assert.equal(r2[1].state, 'success');
});

test('no response in time: Timeout, the instance fails, the job goes on', async (t) => {
  let calls = 0;
  const port = await scp(t, { store: () => (++calls === 1 ? new Promise(() => {}) : { status: 0 }) });
  const r = await send(port, [f('CT_small.dcm'), f('MR_small.dcm')], { timeouts: { response: 300 }, policy: { instanceAttempts: 1 } });
  assert.equal(r[0].state, 'failed');
  assert.match(r[0].message, /Timed out after 300 ms waiting for a response/);
  assert.equal(r[1].state, 'success');
});

test('nobody listening, and a listener that never answers: clear failures', async () => {
  const srv = createServer((s) => {
    s.resume();
    s.on('error', () => {});
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const mute = (srv.address() as { port: number }).port;
  try {
    const r = await send(mute, [f('CT_small.dcm')], { timeouts: { associate: 200 }, policy: { associationAttempts: 2, retryDelayMs: 10 } });
    assert.match(r[0].message, /Timed out after 200 ms waiting for the association to be accepted/);
  } finally {
    srv.close();
  }
  const r2 = await send(1, [f('CT_small.dcm')], { policy: { associationAttempts: 1 } });
  assert.match(r2[0].message, /ECONNREFUSED/);
});

test('malformed PDU from the peer: ProtocolError on that instance, no crash', async (t) => {
  const sockets: Socket[] = [];
  const srv = createServer((sock) => {
    sockets.push(sock);
    const reader = new PduReader(1 << 22);
    sock.on('error', () => {});
    sock.on('data', (d) => {
      for (const p of reader.push(d)) {
        if (p.type === 'associate-rq') {
          sock.write(encodePdu({ type: 'associate-ac', protocolVersion: 1, calledAe: p.calledAe, callingAe: p.callingAe, applicationContext: p.applicationContext, contexts: p.contexts.map((c) => ({ id: c.id, result: 0, transferSyntax: c.transferSyntaxes[0] })), user: { maxPduLength: 16384, implementationClassUid: '1.2.3', roles: [] } }));
        } else if (p.type === 'p-data' && p.pdvs.some((v) => !v.command && v.last)) {
          sock.write(Buffer.from([0x04, 0, 0, 0, 0, 8, 0, 0, 0, 0x7f, 1, 3, 0, 0])); // PDV longer than its PDU
        }
      }
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    srv.close();
  });
  const r = await send((srv.address() as { port: number }).port, [f('CT_small.dcm')], { policy: { instanceAttempts: 1 } });
  assert.equal(r[0].state, 'failed');
  assert.match(r[0].message, /Protocol error, association aborted: PDV length/);
});

test('peer refuses the file syntax: files transcoded (compressed ones decompressed) and recorded; with transcoding off, refused clearly', async (t) => {
  const got: { ts: string; bytes: number }[] = [];
  const port = await scp(t, {
    abstractSyntaxes: () => true,
    transferSyntaxes: [IMPLICIT_LE],
    store: (req) => {
      got.push({ ts: req.transferSyntax, bytes: 1 });
      return { status: 0 };
    },
  });
  const r = await send(port, [f('CT_small.dcm'), f('MR_small_bigendian.dcm'), f('JPEG2000.dcm')]);
  assert.equal(r[0].state, 'success');
  assert.equal(r[0].transferSyntax, IMPLICIT_LE);
  assert.equal(r[0].transcodedFrom, EXPLICIT_LE);
  assert.equal(r[1].state, 'success');
  assert.equal(r[1].transcodedFrom, '1.2.840.10008.1.2.2');
  assert.equal(r[2].state, 'success', r[2].message);
  assert.equal(r[2].transcodedFrom, '1.2.840.10008.1.2.4.91'); // JPEG 2000 (lossy or lossless)
  assert.match(r[2].message, /^Success \(decompressed from JPEG 2000.*, in Implicit VR Little Endian\)$/);
  assert.deepEqual(got.map((g) => g.ts), [IMPLICIT_LE, IMPLICIT_LE, IMPLICIT_LE]);
  // With transcoding off, each is refused, and the message says why.
  const r2 = await send(port, [f('CT_small.dcm'), f('JPEG2000.dcm')], { allowTranscode: false });
  assert.deepEqual(r2.map((x) => x.state), ['failed', 'failed']);
  assert.match(r2[1].message, /accepts .* only in Implicit VR Little Endian, and transcoding is off/);
});

test('several associations in parallel share the work', async (t) => {
  let peak = 0;
  let open = 0;
  const port = await scp(t, {
    abstractSyntaxes: () => true,
    onAssociation: (a) => {
      peak = Math.max(peak, ++open);
      void a.closed.then(() => open--);
    },
    store: async () => {
      await new Promise((r) => setTimeout(r, 5));
      return { status: 0 };
    },
  });
  const files = Array.from({ length: 24 }, (_, i) => f(['CT_small.dcm', 'MR_small.dcm', 'JPEG2000.dcm'][i % 3]));
  const r = await send(port, files, { target: { aeTitle: 'SCP', host: '127.0.0.1', port, maxAssociations: 3 } });
  assert.equal(r.length, 24);
  assert.ok(r.every((x) => x.state === 'success'));
  assert.equal(peak, 3);
});

test('a file that vanishes after its check fails alone; the association goes on', async (t) => {
  const { tempDir } = await import('../../helpers.ts');
  const { copyFileSync, rmSync } = await import('node:fs');
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const a = join(tmp.path, 'a.dcm');
  const b = join(tmp.path, 'b.dcm');
  copyFileSync(f('CT_small.dcm'), a);
  copyFileSync(f('MR_small.dcm'), b);
  let associations = 0;
  const port = await scp(t, { onAssociation: () => associations++ });
  const r = await send(port, [a, b], { onStart: (key) => key === 0 && rmSync(a) });
  assert.equal(r[0].state, 'failed');
  assert.equal(r[0].message, 'The file could not be read: it does not exist');
  assert.equal(r[1].state, 'success');
  assert.equal(associations, 1);
});

test('more SOP classes than one association can propose (128 contexts, PS3.8 §9.3.2.2): split over associations, every instance stored', async (t) => {
  const { tempDir } = await import('../../helpers.ts');
  const { readFileSync, writeFileSync } = await import('node:fs');
  const tmp = tempDir();
  t.after(tmp.cleanup);
  // CT_small.dcm as 70 SOP classes: its class UID (25 characters and a pad byte) swapped for one as long.
  const ct = readFileSync(f('CT_small.dcm'));
  const from = Buffer.from(`${CT}\0`, 'latin1');
  const files = Array.from({ length: 70 }, (_, i) => {
    const to = Buffer.from(`1.2.826.0.1.3680043.9.7.${String(i + 10)}`, 'latin1');
    assert.equal(to.length, from.length);
    const bytes = Buffer.from(ct);
    for (let at = bytes.indexOf(from); at >= 0; at = bytes.indexOf(from, at + 1)) to.copy(bytes, at);
    const path = join(tmp.path, `class${i}.dcm`);
    writeFileSync(path, bytes);
    return path;
  });
  const proposed: number[] = [];
  const classes = new Set<string>();
  const port = await scp(t, {
    abstractSyntaxes: () => true,
    onAssociation: (a) => proposed.push(a.contexts.size),
    store: (req) => {
      classes.add(`${req.command.AffectedSOPClassUID}`);
      return { status: 0 };
    },
  });
  const r = await send(port, files);
  assert.equal(r.length, 70);
  assert.deepEqual(r.filter((x) => x.state !== 'success'), []);
  assert.equal(classes.size, 70);
  // Two contexts a class (the file's own syntax, Explicit VR Little Endian, and Implicit VR Little Endian): 140, over two associations.
  assert.equal(proposed.length, 2, JSON.stringify(proposed));
  assert.ok(proposed.every((n) => n <= 128), JSON.stringify(proposed));
});
