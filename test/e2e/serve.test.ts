/**
 * The browser host end to end: `courier serve --open <folder>` prints a URL at which Chromium shows
 * the folder's first series as an image, without page errors; the token and Origin guard it.
 */
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
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

  assert.match(app.serve.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}&series=\d+$/);
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

  await t.test('the token guards pages, instance bytes and the WebSocket', async () => {
    const base = `http://127.0.0.1:${app.serve.port}`;
    const token = new URL(app.serve.url).searchParams.get('token')!;
    assert.equal(await httpStatus(`${base}/`), 403);
    assert.equal(await httpStatus(`${base}/?token=wrong`), 403);
    assert.equal(await httpStatus(`${base}/instances/1`), 403);
    assert.equal(await httpStatus(`${base}/instances/1?token=${token}`), 200);
    assert.equal(await httpStatus(`${base}/instances/999999?token=${token}`), 404);
    assert.equal(await httpStatus(`${base}/../../etc/passwd?token=${token}`), 404);
    // Another site's page cannot use the token it somehow learnt.
    assert.equal(await httpStatus(`${base}/?token=${token}`, { Origin: 'http://evil.example' }), 403);
    const ws = (headers: Record<string, string>, path = `/ws?token=${token}`) =>
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
    assert.equal(await ws({ Origin: base }), 101);
    assert.equal(await ws({ Origin: 'http://evil.example' }), 403);
    assert.equal(await ws({}), 403);
    assert.equal(await ws({ Origin: base }, '/ws?token=wrong'), 403);
  });
});
