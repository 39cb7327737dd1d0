/**
 * The browser host without a browser: public pages, the token as a WebSocket subprotocol (never a
 * cookie), per-image capabilities, Host and Origin checks, and the contract over its WebSocket
 * (RFC 6455 framing, events forwarded) with a raw client.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { indexPath } from '../../../electron/library/indexer.ts';
import { instanceCapability } from '../../../shared/capability.ts';
import { startHost } from '../../../electron/host/server.ts';
import { createServices } from '../../../electron/services.ts';
import { PYDICOM_TEST_FILES, tempDir } from '../../helpers.ts';

/** A minimal WebSocket client over a raw socket: masked text frames out, unmasked frames in. */
function wsClient(port: number, path: string, origin: string, protocols: string[] = []) {
  const socket: Socket = connect(port, '127.0.0.1');
  const messages: string[] = [];
  const waiters: (() => void)[] = [];
  let buf = Buffer.alloc(0);
  let upgraded = false;
  let status = '';
  let response = '';
  const opened = new Promise<string>((resolve) => {
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        status = buf.subarray(0, buf.indexOf('\r\n')).toString();
        response = buf.subarray(0, end).toString();
        buf = buf.subarray(end + 4);
        upgraded = true;
        resolve(status);
      }
      while (buf.length >= 2) {
        let len = buf[1] & 0x7f;
        let at = 2;
        if (len === 126) {
          len = buf.readUInt16BE(2);
          at = 4;
        } else if (len === 127) {
          len = Number(buf.readBigUInt64BE(2));
          at = 10;
        }
        if (buf.length < at + len) return;
        if ((buf[0] & 0x0f) === 0x1) messages.push(buf.subarray(at, at + len).toString());
        buf = buf.subarray(at + len);
        waiters.splice(0).forEach((w) => w());
      }
    });
    socket.on('close', () => resolve(status || 'closed'));
  });
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nOrigin: ${origin}\r\n` +
      (protocols.length ? `Sec-WebSocket-Protocol: ${protocols.join(', ')}\r\n` : '') +
      '\r\n',
  );
  return {
    opened,
    /** The handshake response's header lines. */
    response: () => response,
    send(text: string, fragmentAt?: number) {
      const payload = Buffer.from(text);
      const parts = fragmentAt ? [payload.subarray(0, fragmentAt), payload.subarray(fragmentAt)] : [payload];
      parts.forEach((p, i) => {
        const mask = randomBytes(4);
        const opcode = i === 0 ? 0x1 : 0x0;
        const fin = i === parts.length - 1 ? 0x80 : 0;
        const header = p.length < 126 ? Buffer.from([fin | opcode, 0x80 | p.length]) : Buffer.from([fin | opcode, 0x80 | 126, p.length >> 8, p.length & 0xff]);
        const masked = Buffer.from(p.map((b, j) => b ^ mask[j & 3]));
        socket.write(Buffer.concat([header, mask, masked]));
      });
    },
    async next(match: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
      for (;;) {
        const i = messages.findIndex((m) => match(JSON.parse(m)));
        if (i >= 0) return JSON.parse(messages.splice(i, 1)[0]);
        await new Promise<void>((r) => waiters.push(r));
      }
    },
    close: () => socket.destroy(),
  };
}

test('the browser host guards, serves and speaks the contract over its WebSocket', async (t) => {
  const home = tempDir();
  const renderer = tempDir();
  t.after(home.cleanup);
  t.after(renderer.cleanup);
  writeFileSync(join(renderer.path, 'index.html'), '<!doctype html><title>x</title>');
  mkdirSync(join(renderer.path, 'sub'));
  writeFileSync(join(renderer.path, 'sub', 'a.worker.js'), '//');
  const services = createServices(home.path);
  t.after(() => services.close());
  const host = await startHost({ services, rendererDir: renderer.path, version: '9.9.9' });
  t.after(() => host.close());
  const base = `http://127.0.0.1:${host.port}`;

  await t.test('the pages are public (no data in them) and no cookie carries the token', async () => {
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('set-cookie'), null, 'a cookie would reach every server on 127.0.0.1, whatever its port');
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'(;|$)/);
    const worker = await fetch(`${base}/sub/a.worker.js`);
    // Decode workers compile WebAssembly; nothing may eval.
    assert.match(worker.headers.get('content-security-policy') ?? '', /'wasm-unsafe-eval'/);
    assert.doesNotMatch(worker.headers.get('content-security-policy') ?? '', /'unsafe-eval'/);
    assert.equal((await fetch(`${base}/missing.js`)).status, 404);
    assert.equal((await fetch(`${base}/%2e%2e/%2e%2e/etc/passwd`)).status, 404);
    assert.equal((await fetch(`${base}/`, { headers: { origin: 'http://evil.example' } })).status, 403);
    assert.equal(host.url, `${base}/#token=${host.token}`);
    assert.equal(host.pageUrl({ series: '3' }), `${base}/?series=3#token=${host.token}`);
  });

  await t.test('invoke, errors and events over the WebSocket', async () => {
    const good = ['courier', `courier.token.${host.token}`];
    assert.match(await wsClient(host.port, '/ws', 'http://evil.example', good).opened, /403/);
    assert.match(await wsClient(host.port, '/ws', base, ['courier', 'courier.token.wrong']).opened, /403/);
    assert.match(await wsClient(host.port, '/ws', base, [`courier.token.${host.token}`]).opened, /403/);
    // The old ways in (token in the query, or a cookie) open nothing.
    assert.match(await wsClient(host.port, `/ws?token=${host.token}`, base).opened, /403/);
    const ws = wsClient(host.port, '/ws', base, good);
    t.after(() => ws.close());
    assert.match(await ws.opened, /101/);
    // The host answers with its protocol, never echoing the token.
    assert.match(ws.response(), /^Sec-WebSocket-Protocol: courier$/im);
    assert.ok(!ws.response().includes(host.token));
    ws.send(JSON.stringify({ type: 'invoke', id: 1, channel: 'app.info', request: null }));
    const info = await ws.next((m) => m.id === 1);
    assert.deepEqual(info.result, { ok: true, value: { version: '9.9.9', host: 'browser', libraryPath: home.path } });
    ws.send(JSON.stringify({ type: 'invoke', id: 2, channel: 'no.such', request: {} }));
    assert.equal(((await ws.next((m) => m.id === 2)).result as { error: { code: string } }).error.code, 'UNKNOWN_CHANNEL');
    // A long message in two fragments (continuation frame), extended 16-bit length.
    ws.send(JSON.stringify({ type: 'invoke', id: 3, channel: 'library.patients', request: { filter: 'x'.repeat(150) } }), 40);
    assert.deepEqual((await ws.next((m) => m.id === 3)).result, { ok: true, value: [] });
    // Index through the contract: job events reach the client.
    const folder = tempDir();
    t.after(folder.cleanup);
    writeFileSync(join(folder.path, 'ct.dcm'), (await import('node:fs')).readFileSync(join(PYDICOM_TEST_FILES, 'CT_small.dcm')));
    ws.send(JSON.stringify({ type: 'invoke', id: 4, channel: 'library.index', request: { path: folder.path } }));
    const { jobId } = ((await ws.next((m) => m.id === 4)).result as { value: { jobId: string } }).value;
    const finished = await ws.next((m) => m.type === 'event' && m.event === 'job.finished');
    assert.equal((finished.payload as { jobId: string; status: string }).jobId, jobId);
    assert.equal((finished.payload as { status: string }).status, 'done');
    await ws.next((m) => m.type === 'event' && m.event === 'library.changed');
  });

  await t.test('instance bytes by id, with that instance\'s capability only', async () => {
    const folder = tempDir();
    t.after(folder.cleanup);
    await indexPath(services.db, services.library, join(PYDICOM_TEST_FILES, 'MR_small.dcm'));
    const mr = services.library.patients('MR1')[0];
    const series = services.library.series(services.library.studies(mr.id)[0].id)[0];
    const [instance] = services.library.instances(series.id);
    assert.equal((await fetch(`${base}/instances/${instance.id}`)).status, 403);
    assert.equal((await fetch(`${base}/instances/${instance.id}?token=${host.token}`)).status, 403);
    assert.equal((await fetch(`${base}/instances/${instance.id}?cap=${instanceCapability(host.token, instance.id + 1)}`)).status, 403);
    assert.equal((await fetch(`${base}/instances/${instance.id}?cap=${instanceCapability('another run', instance.id)}`)).status, 403);
    const res = await fetch(`${base}/instances/${instance.id}?cap=${instanceCapability(host.token, instance.id)}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/dicom');
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(bytes.subarray(128, 132).toString(), 'DICM');
    assert.equal(res.headers.get('set-cookie'), null);
    assert.equal((await fetch(`${base}/instances/424242?cap=${instanceCapability(host.token, 424242)}`)).status, 404);
  });
});
