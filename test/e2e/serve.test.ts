/**
 * The browser host end to end: `courier serve --open <folder>` prints a URL at which Chromium shows
 * the folder's first series as an image, without page errors; the token (never a cookie) and Origin guard it.
 */
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { instanceCapability } from '../../shared/capability.ts';
import { PYDICOM_TEST_FILES, tempDir } from '../helpers.ts';
import { openApp } from './harness.ts';

function httpStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

test('serve --open shows the first series of the folder as an image, without page errors', async (t) => {
  const folder = tempDir();
  t.after(folder.cleanup);
  for (const f of ['CT_small.dcm', 'MR_small.dcm']) copyFileSync(join(PYDICOM_TEST_FILES, f), join(folder.path, f));
  const app = await openApp({ open: folder.path });
  t.after(() => app.close());

  assert.match(app.serve.url, /^http:\/\/127\.0\.0\.1:\d+\/\?series=\d+#token=[\w-]{20,}$/);
  const shown = await app.waitForImage();
  assert.equal(shown.state, 'shown');
  assert.equal(shown.count, 1);
  // The canvas really has an image on it: not all one colour.
  const distinct = await app.page.evaluate(() => {
    const c = document.querySelector('[data-testid="viewport"] canvas') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < d.length; i += 4 * 97) seen.add(d[i]);
    return seen.size;
  });
  assert.ok(distinct > 20, `the viewport canvas looks empty (${distinct} grey levels)`);
  // Both series are in the library panel.
  assert.equal(await app.page.getByTestId('series-row').count(), 2);
  assert.deepEqual(app.pageErrors, []);
  assert.deepEqual(app.consoleErrors, []);

  await t.test('the token never travels in a cookie or a URL: another server on 127.0.0.1 gets nothing', async () => {
    const base = `http://127.0.0.1:${app.serve.port}`;
    const token = new URLSearchParams(new URL(app.serve.url).hash.slice(1)).get('token')!;
    // The page took the token out of its address and keeps it in this tab's sessionStorage; no cookie.
    const inPage = await app.page.evaluate(() => ({ href: location.href, cookie: document.cookie, kept: sessionStorage.getItem('courier.token') }));
    assert.ok(!inPage.href.includes(token), inPage.href);
    assert.equal(inPage.cookie, '');
    assert.equal(inPage.kept, token);
    assert.deepEqual(await app.context.cookies(), []);
    // Another local server, on another port, that the same browser visits: no cookie, no token.
    const other = createServer((req, res) => {
      seen.push(JSON.stringify(req.headers));
      res.end('other');
    });
    const seen: string[] = [];
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    t.after(() => other.close());
    const visit = await app.context.newPage();
    await visit.goto(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`);
    await visit.close();
    assert.equal(seen.length > 0, true);
    assert.ok(seen.every((h) => !h.includes(token) && !/cookie/i.test(h)), seen.join('\n'));
    // A reload keeps the page working (sessionStorage), still without a cookie.
    await app.page.reload();
    await app.page.getByTestId('series-row').first().waitFor({ timeout: 30_000 });
    assert.equal(await app.page.getByTestId('series-row').count(), 2);
    assert.deepEqual(await app.context.cookies(), []);

    // Instance bytes need that instance's capability; the token itself, in a URL, opens nothing.
    const instanceId = (await app.viewport()).instanceId!;
    assert.equal(await httpStatus(`${base}/instances/${instanceId}`), 403);
    assert.equal(await httpStatus(`${base}/instances/${instanceId}?token=${token}`), 403);
    assert.equal(await httpStatus(`${base}/instances/${instanceId}?cap=${instanceCapability(token, instanceId)}`), 200);
    assert.equal(await httpStatus(`${base}/instances/${instanceId + 1}?cap=${instanceCapability(token, instanceId)}`), 403);
    assert.equal(await httpStatus(`${base}/../../etc/passwd`), 404);
    // Another site's page is refused whatever it carries.
    assert.equal(await httpStatus(`${base}/`, { Origin: 'http://evil.example' }), 403);
    const ws = (headers: Record<string, string>, path = '/ws') =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${base}${path}`, {
          headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers },
        });
        req.on('upgrade', (res, socket) => {
          socket.destroy();
          resolve(res.statusCode ?? 0);
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', () => resolve(403));
        req.on('timeout', () => reject(new Error('timeout')));
        req.end();
      });
    const protocols = { 'Sec-WebSocket-Protocol': `courier, courier.token.${token}` };
    assert.equal(await ws({ Origin: base, ...protocols }), 101);
    assert.equal(await ws({ Origin: 'http://evil.example', ...protocols }), 403);
    assert.equal(await ws(protocols), 403);
    assert.equal(await ws({ Origin: base }, `/ws?token=${token}`), 403);
    assert.equal(await ws({ Origin: base, 'Sec-WebSocket-Protocol': 'courier, courier.token.wrong' }), 403);
  });
});
