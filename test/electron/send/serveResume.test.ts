/**
 * `courier serve`, the browser host, starts as the app does: a send job a crash interrupted goes on
 * by itself (to a real storescp), and with --listen the storage commitment accepter answers there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort, spawnCli, tempDir } from '../../helpers.ts';
import { missingPeers } from '../../peers.ts';
import { startStorescp } from '../dimse/peers.ts';
import { makeStudy } from '../commit/study.ts';
import { createServices } from '../../../electron/services.ts';
import { indexPath } from '../../../electron/library/indexer.ts';
import { echo } from '../../../electron/dimse/echo.ts';

const until = async (ok: () => boolean, ms = 30_000) => {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

test('courier serve resumes an interrupted send job and, with --listen, runs the commit accepter', { skip: missingPeers('storescp') }, async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const home = join(tmp.path, 'home');
  const scp = await startStorescp(tmp.path);
  t.after(scp.stop);
  const files = makeStudy(join(tmp.path, 'study'), 4);

  // A job queued and marked running, as a quit or crash leaves it.
  const before = createServices(home);
  await indexPath(before.db, before.library, join(tmp.path, 'study'));
  const { id } = before.send.queueIndexed(
    { nodeId: null, aeTitle: scp.aeTitle, host: '127.0.0.1', port: scp.port, maxAssociations: 1 },
    'COURIER',
    'left behind',
    files.map((f) => f.path),
  );
  before.send.store.setState(id, 'running');
  // A known node: the accepter admits only those.
  before.nodes.save({ aeTitle: scp.aeTitle, host: '127.0.0.1', port: scp.port });
  await before.close();

  const listen = await freePort();
  const serve = spawnCli(['serve', '--listen', String(listen)], home);
  t.after(() => serve.kill('SIGKILL'));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: serve.stdout! }).once('line', resolve);
    serve.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\//);

  await until(() => readdirSync(scp.dir).length === files.length);
  // Our accepter answers a C-ECHO on the --listen port.
  const r = await echo({ host: '127.0.0.1', port: listen, calledAe: 'COURIER', callingAe: scp.aeTitle });
  assert.equal(r.status.category, 'success');

  serve.kill('SIGTERM');
  await new Promise((r2) => serve.once('exit', r2));
  const after = createServices(home);
  t.after(() => after.close());
  const job = after.send.store.job(id)!;
  assert.equal(job.state, 'done');
  assert.equal(job.success, files.length);
});
