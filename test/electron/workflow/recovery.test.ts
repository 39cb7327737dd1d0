/**
 * Recovery after an outage longer than the commit budget: a PACS that refuses the
 * connection is retried within seconds (not after each report timeout), and what an outage left
 * uncommitted is asked again at the next start of the app, and by `courier commit`, without a re-send.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, tempDir } from '../../helpers.ts';
import { createServices, startBackgroundWork } from '../../../electron/services.ts';
import { startPacs } from '../../../electron/pacs/pacs.ts';
import { makeStudy } from '../commit/study.ts';
import { runCliAsync } from '../commit/net.ts';

/** A TCP relay on a fixed port in front of the PACS that can be switched off (connections refused) and on again. */
async function relay(target: number) {
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  const up = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((c) => {
        const u = net.connect(target, '127.0.0.1');
        for (const s of [c, u]) {
          sockets.add(s);
          s.on('error', () => {});
          s.on('close', () => sockets.delete(s));
        }
        c.pipe(u).on('close', () => c.destroy());
        u.pipe(c).on('close', () => u.destroy());
      });
      server.listen(port, '127.0.0.1', () => resolve());
    });
  const down = () => {
    server?.close();
    server = null;
  };
  await up();
  return { port, up, down, close: () => (down(), [...sockets].forEach((s) => s.destroy())) };
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('PacsRefusesTheConnection_RetriedInSeconds_ThenAskedAgainAtTheNextStart_AndDeleted', async (t) => {
  const dir = tempDir();
  const home = join(dir.path, 'home');
  const files = makeStudy(join(dir.path, 'study'), 3);
  const pacs = await startPacs({ port: 0, aeTitle: 'PACS', dir: join(dir.path, 'pacs'), delivery: 'same', delayMs: 0, fail: new Map() });
  const link = await relay(pacs.port);
  let services = createServices(home, { commit: { retryDelayMs: 300 } });
  t.after(async () => {
    await services.close();
    link.close();
    await pacs.close();
    dir.cleanup();
  });
  const dest = { nodeId: null, aeTitle: 'PACS', host: '127.0.0.1', port: link.port, maxAssociations: 1 };
  // A report budget of 3 × 20 s: a refused connection must not wait any of it out.
  const jobId = services.send.queueFiles(dest, 'COURIER', 'outage', files.map((f) => ({ path: f.path })), {
    request: true,
    deleteAfterCommit: true,
    timeoutMs: 20_000,
    attempts: 3,
  });
  let results = 0;
  // The PACS goes away once it has stored everything, before the commitment request.
  services.send.start(jobId, { onResult: () => ++results === files.length && link.down() });
  await services.send.wait(jobId);
  const started = Date.now();
  await services.workflow.settled(jobId);
  const elapsed = Date.now() - started;
  const job = services.send.store.job(jobId)!;
  assert.equal(job.success, 3);
  const [first] = job.commit!.transactionIds.map((id) => services.commit.store.transactions().find((x) => x.id === id)!);
  assert.equal(job.commit!.transactionIds.length, 1, 'an N-ACTION the node never saw is sent again under the same UID');
  assert.equal(first.state, 'failed');
  assert.equal(first.attempts, 3);
  assert.match(first.message!, new RegExp(`^could not connect to PACS at 127\\.0\\.0\\.1:${link.port} — connection refused`));
  assert.ok(elapsed < 10_000, `three refused attempts took ${elapsed} ms`);
  assert.ok(files.every((f) => existsSync(f.path)));

  // The outage outlasts the budget; the app starts again with the PACS back: it asks again by itself.
  await services.close();
  await link.up();
  services = createServices(home);
  startBackgroundWork(services, null);
  await until(() => services.send.store.job(jobId)!.commit!.counts.deleted === 3, 30_000, 'committed and deleted after the restart');
  const after = services.send.store.job(jobId)!;
  assert.equal(after.commit!.transactionIds.length, 2);
  const retry = services.commit.store.transactions().find((x) => x.id === after.commit!.transactionIds[1])!;
  assert.equal(retry.retryOf, first.id);
  assert.equal(retry.state, 'reported');
  assert.ok(files.every((f) => !existsSync(f.path) && pacs.stored.has(f.sopInstanceUid)));
  await until(() => after.commit !== null && services.send.store.job(jobId)!.commit!.state === 'done', 10_000, 'the job says done');
});

test('ReportsLostWhileNothingListened_CourierCommitAsksAgain_AndDeletes', async (t) => {
  const dir = tempDir();
  const home = join(dir.path, 'home');
  const studyDir = join(dir.path, 'study');
  const files = makeStudy(studyDir, 2);
  const listen = await freePort();
  // The PACS reports on a new association to our accepter, which is not running during the send.
  const pacs = await startPacs({
    port: 0, aeTitle: 'PACS', dir: join(dir.path, 'pacs'), delivery: 'new', delayMs: 0, fail: new Map(),
    replyTo: { aeTitle: 'COURIER', host: '127.0.0.1', port: listen },
  });
  t.after(async () => {
    await pacs.close();
    dir.cleanup();
  });
  const to = `PACS@127.0.0.1:${pacs.port}`;
  const sent = await runCliAsync(['send', studyDir, '--to', to, '--ae', 'COURIER', '--commit', '--commit-timeout', '2', '--commit-retries', '0', '--delete-after-commit', '--json'], home);
  assert.equal(sent.status, 1, sent.stderr);
  const out = JSON.parse(sent.stdout) as { transactionUid: string; instances: { commit: string; timedOut?: boolean; transactionUid?: string; deleted: boolean }[] };
  assert.ok(out.instances.every((i) => i.commit === 'pending' && i.timedOut && !i.deleted && i.transactionUid === out.transactionUid));
  assert.ok(files.every((f) => existsSync(f.path)));

  // Later, with the accepter listening: `courier commit` asks again, the report comes, the files go.
  const resumed = await runCliAsync(['commit', '--listen', String(listen), '--ae', 'COURIER', '--commit-timeout', '20', '--json'], home);
  assert.equal(resumed.status, 0, resumed.stderr);
  const r = JSON.parse(resumed.stdout) as { transactions: { transactionUid: string; state: string; counts: { committed: number } }[]; deleted: number };
  assert.equal(r.deleted, 2);
  assert.ok(r.transactions.some((x) => x.state === 'reported' && x.counts.committed === 2 && x.transactionUid !== out.transactionUid));
  assert.ok(files.every((f) => !existsSync(f.path)));
});
