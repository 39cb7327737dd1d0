// courier://app serves the renderer (each file with its CSP) and instance bytes by id — nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DECODE_WORKER_CSP, RENDERER_CSP } from '../../../electron/api/rendererFiles.ts';
import { indexPath } from '../../../electron/library/indexer.ts';
import { createServices } from '../../../electron/services.ts';
import { createProtocolHandler } from '../../../electron/shell/protocol.ts';
import { PYDICOM_TEST_FILES, tempDir } from '../../helpers.ts';

test('the protocol serves renderer files and instance bytes, 404 for anything else', async () => {
  const home = tempDir();
  const services = createServices(home.path);
  try {
    const folder = join(home.path, 'in');
    const renderer = join(home.path, 'renderer');
    mkdirSync(folder);
    mkdirSync(renderer);
    writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Courier</title>');
    writeFileSync(join(renderer, 'decode.worker.js'), 'self.onmessage = () => {}');
    writeFileSync(join(renderer, 'codec.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d]));
    writeFileSync(join(home.path, 'secret.txt'), 'not for the renderer');
    copyFileSync(join(PYDICOM_TEST_FILES, 'CT_small.dcm'), join(folder, 'ct'));
    await indexPath(services.db, services.library, folder);
    const [{ id }] = services.db.prepare('SELECT id FROM instances').all() as { id: number }[];
    const handle = createProtocolHandler(services, renderer);

    const bytes = await handle(new Request(`courier://app/instances/${id}`));
    assert.equal(bytes.status, 200);
    assert.equal(bytes.headers.get('content-type'), 'application/dicom');
    assert.deepEqual(Buffer.from(await bytes.arrayBuffer()), readFileSync(join(folder, 'ct')));

    const page = await handle(new Request('courier://app/index.html'));
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-security-policy'), RENDERER_CSP);
    assert.match(await page.text(), /Courier/);
    const worker = await handle(new Request('courier://app/decode.worker.js'));
    assert.equal(worker.headers.get('content-security-policy'), DECODE_WORKER_CSP);
    assert.equal((await handle(new Request('courier://app/codec.wasm'))).headers.get('content-type'), 'application/wasm');

    for (const bad of [
      'courier://app/instances/999999',
      'courier://app/instances/abc',
      'courier://app/../secret.txt',
      'courier://app/%2e%2e/secret.txt',
      'courier://app/..%2fsecret.txt',
      'courier://other/index.html',
      'courier://app/missing.js',
    ]) {
      assert.equal((await handle(new Request(bad))).status, 404, bad);
    }
    assert.equal((await handle(new Request(`courier://app/instances/${id}`, { method: 'POST' }))).status, 404);
  } finally {
    await services.close();
    home.cleanup();
  }
});
