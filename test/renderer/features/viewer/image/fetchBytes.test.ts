/**
 * The viewer's fetch of an instance (renderer/features/viewer/image/fetchBytes.ts, what the image
 * loader calls), from the real browser host (electron/host/server.ts) as the page does: when a
 * library file can no longer be read, the page says why in the server's words (here: a symbolic
 * link that loops), not only "HTTP 404" as it did.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startHost } from '../../../../../electron/host/server.ts';
import { indexPath } from '../../../../../electron/library/indexer.ts';
import { createServices } from '../../../../../electron/services.ts';
import { fetchBytes } from '../../../../../renderer/features/viewer/image/fetchBytes.ts';
import { parseFile } from '../../../../../renderer/features/viewer/image/parseFile.ts';
import { instanceCapability } from '../../../../../shared/capability.ts';
import { PYDICOM_TEST_FILES, tempDir } from '../../../../helpers.ts';
import { missingPeers } from '../../../../peers.ts';

test('an image whose file became a symbolic link that loops fails with the words of the server', { skip: missingPeers('pydicom test files') }, async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const dir = join(tmp.path, 'folder');
  mkdirSync(dir);
  const path = join(dir, 'ct.dcm');
  copyFileSync(join(PYDICOM_TEST_FILES, 'CT_small.dcm'), path);
  const services = createServices(join(tmp.path, 'home'));
  t.after(() => services.close());
  await indexPath(services.db, services.library, dir);
  const id = services.library.filesOf({ patientIds: services.library.patients().map((p) => p.id) })[0].instanceId;
  const host = await startHost({ services, rendererDir: join(tmp.path, 'no-renderer'), version: 'test' });
  t.after(() => host.close());
  const url = `http://127.0.0.1:${host.port}/instances/${id}?cap=${instanceCapability(host.token, id)}`;

  const signal = new AbortController().signal;
  assert.equal(parseFile(await fetchBytes(url, signal)).layout.rows, 128, 'the file as indexed is read');
  rmSync(path);
  symlinkSync(`${path}2`, path);
  symlinkSync(path, `${path}2`);
  await assert.rejects(fetchBytes(url, signal), /^Error: The file of instance \d+ is no longer readable: it is a symbolic link that loops/);
});
