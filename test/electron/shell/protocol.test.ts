// courier://instances/<id> serves an instance's bytes by id, and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { indexPath } from '../../../electron/library/indexer.ts';
import { createServices } from '../../../electron/services.ts';
import { createProtocolHandler } from '../../../electron/shell/protocol.ts';
import { PYDICOM_TEST_FILES, tempDir } from '../../helpers.ts';
import { copyFileSync } from 'node:fs';

test('the protocol serves the file of an instance id, 404 for anything else', async () => {
  const home = tempDir();
  const services = createServices(home.path);
  try {
    const folder = join(home.path, 'in');
    (await import('node:fs')).mkdirSync(folder);
    copyFileSync(join(PYDICOM_TEST_FILES, 'CT_small.dcm'), join(folder, 'ct'));
    await indexPath(services.db, services.library, folder);
    const [{ id }] = services.db.prepare('SELECT id FROM instances').all() as { id: number }[];
    const handle = createProtocolHandler(services);
    const ok = await handle(new Request(`courier://instances/${id}`));
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('content-type'), 'application/dicom');
    assert.deepEqual(Buffer.from(await ok.arrayBuffer()), readFileSync(join(folder, 'ct')));
    assert.equal((await handle(new Request('courier://instances/999999'))).status, 404);
    assert.equal((await handle(new Request('courier://files/etc/passwd'))).status, 404);
    assert.equal((await handle(new Request('courier://instances/../../etc/passwd'))).status, 404);
    assert.equal((await handle(new Request(`courier://instances/${id}`, { method: 'POST' }))).status, 404);
  } finally {
    await services.close();
    home.cleanup();
  }
});
