/**
 * The send queue: jobs and instances in SQLite, progress events, pause/resume, cancel, retry
 * failed, and a job interrupted by a crash (SIGKILL of `courier send`) resuming at the next start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PYDICOM_TEST_FILES, spawnCli, tempDir } from '../../helpers.ts';
import { createServices } from '../../../electron/services.ts';
import { createDispatcher, createHandlers } from '../../../electron/api/handlers.ts';
import { startServer } from '../../../electron/dimse/server.ts';
import type { SendProgress } from '../../../shared/contract/send.ts';
import type { HostEnvironment } from '../../../electron/api/app.ts';
import { generateSmallCorpus } from '../../fixtures/generate.ts';

const FILES = ['CT_small.dcm', 'MR_small.dcm', 'JPEG2000.dcm', 'rtplan.dcm', 'test-SR.dcm', 'MR_truncated.dcm'];

function corpus(root: string, copies = 1): string {
  const dir = join(root, 'data');
  for (let c = 0; c < copies; c++) {
    mkdirSync(join(dir, String(c)), { recursive: true });
    for (const n of FILES) copyFileSync(join(PYDICOM_TEST_FILES, n), join(dir, String(c), n));
  }
  return dir;
}

/** A PACS that counts the stores of each SOP Instance UID; `hold` may keep a store's response back. */
async function countingPacs(t: { after(fn: () => unknown): void }, hold: (received: Map<string, number>) => Promise<unknown> | undefined) {
  const received = new Map<string, number>();
  const server = await startServer({
    aeTitle: 'PACS',
    abstractSyntaxes: () => true,
    handlers: {
      store: async (req) => {
        const uid = `${req.command.AffectedSOPInstanceUID}`;
        received.set(uid, (received.get(uid) ?? 0) + 1);
        await hold(received);
        return { status: 0 };
      },
    },
  });
  t.after(() => server.close());
  return { port: server.port, received };
}

async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('nodes and send channels: validate, queue a selection, progress, per-instance status, retry failed', async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  let fail = true;
  const server = await startServer({ aeTitle: 'PACS', abstractSyntaxes: () => true, handlers: { store: (req) => ({ status: fail && req.command.AffectedSOPClassUID === '1.2.840.10008.5.1.4.1.1.481.5' ? 0xa700 : 0 }) } });
  t.after(() => server.close());
  const services = createServices(join(tmp.path, 'home'));
  t.after(() => services.close());
  const call = createDispatcher(createHandlers(services, {} as HostEnvironment));

  // Validation of node fields (shared/dicomValues.ts rules)
  const bad = await call('nodes.save', { aeTitle: 'A\\B', host: '127.0.0.1', port: 104 });
  assert.equal(bad.ok, false);
  assert.equal(!bad.ok && bad.error.code, 'BAD_REQUEST');
  assert.equal((await call('nodes.save', { aeTitle: 'TOO_LONG_AE_TITLE_X', host: 'h', port: 1 })).ok, false);
  assert.equal((await call('nodes.save', { aeTitle: 'PACS', host: 'h', port: 70000 })).ok, false);
  const saved = await call('nodes.save', { name: 'Test PACS', aeTitle: 'PACS', host: '127.0.0.1', port: server.port, maxAssociations: 2 });
  assert.ok(saved.ok);
  const node = saved.ok ? (saved.value as { id: number }) : { id: 0 };
  const dup = await call('nodes.save', { aeTitle: 'PACS', host: '127.0.0.1', port: server.port });
  assert.equal(!dup.ok && dup.error.code, 'CONFLICT');
  const echo = await call('nodes.echo', { id: node.id });
  assert.ok(echo.ok && (echo.value as { ok: boolean }).ok, JSON.stringify(echo));
  const echoBad = await call('nodes.echo', { aeTitle: 'NOBODY', host: '127.0.0.1', port: 1 });
  assert.ok(echoBad.ok && !(echoBad.value as { ok: boolean }).ok);
  // In words, not the system's error code.
  assert.match((echoBad.value as { message: string }).message, /^could not connect to NOBODY at 127\.0\.0\.1:1 — connection refused/);
  assert.deepEqual((await call('nodes.setLocal', { aeTitle: 'MYCOURIER', port: 11113 })).ok, true);

  // Index, then send a study selection
  const { indexPath } = await import('../../../electron/library/indexer.ts');
  await indexPath(services.db, services.library, corpus(tmp.path));
  const patientIds = (services.db.prepare('SELECT id FROM patients').all() as { id: number }[]).map((r) => r.id);
  const patients = services.library.filesOf({ patientIds });
  assert.ok(patients.length >= 5);
  const progress: SendProgress[] = [];
  services.events.on('send.progress', (p) => progress.push(p));
  const started = await call('send.start', { nodeId: node.id, instanceIds: patients.map((p) => p.instanceId) });
  assert.ok(started.ok, JSON.stringify(started));
  const sendJobId = started.ok ? (started.value as { sendJobId: number }).sendJobId : 0;
  await services.send.wait(sendJobId);
  const job = services.send.store.job(sendJobId)!;
  assert.equal(job.state, 'done');
  assert.equal(job.callingAe, 'MYCOURIER');
  assert.equal(job.total, patients.length);
  assert.ok(job.failed >= 1);
  const failed = services.send.store.instances(sendJobId, { state: 'failed' });
  assert.ok(failed.some((i) => i.status === 0xa700 && /out of resources/.test(i.message ?? '')), JSON.stringify(failed));
  assert.ok(progress.length > 0 && progress.at(-1)!.done === job.total);

  // Retry failed: the peer has resources now
  fail = false;
  const retried = await call('send.retryFailed', { sendJobId });
  assert.ok(retried.ok);
  await services.send.wait(sendJobId);
  const after = services.send.store.job(sendJobId)!;
  assert.equal(after.failed, failed.filter((i) => i.status !== 0xa700).length, 'only the unsound files still fail');
  assert.equal(after.state, 'done');
  const list = await call('send.jobs', {});
  assert.ok(list.ok && (list.value as unknown[]).length === 1);
});

test('pause keeps the rest queued; resume finishes; cancel stops for good', async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  let gate: (() => void) | null = null;
  let stores = 0;
  const server = await startServer({
    aeTitle: 'PACS',
    abstractSyntaxes: () => true,
    handlers: {
      store: async () => {
        stores++;
        if (stores === 3) await new Promise<void>((r) => (gate = r));
        return { status: 0 };
      },
    },
  });
  t.after(() => server.close());
  const services = createServices(join(tmp.path, 'home'));
  t.after(() => services.close());
  const dir = corpus(tmp.path, 3);
  const files = FILES.flatMap((n) => [0, 1, 2].map((c) => ({ path: join(dir, String(c), n) })));
  const id = services.send.queueFiles({ nodeId: null, aeTitle: 'PACS', host: '127.0.0.1', port: server.port, maxAssociations: 1 }, 'COURIER', 'test', files);
  services.send.start(id);
  await until(() => gate !== null);
  assert.ok(services.send.pause(id));
  gate!();
  await services.send.wait(id);
  let job = services.send.store.job(id)!;
  assert.equal(job.state, 'paused');
  assert.ok(job.queued > 0, 'some left queued');
  assert.ok(services.send.resume(id));
  await services.send.wait(id);
  job = services.send.store.job(id)!;
  assert.equal(job.state, 'done');
  assert.equal(job.queued, 0);
  assert.equal(job.success, 15);
  assert.equal(job.failed, 3); // the truncated copies

  const id2 = services.send.queueFiles({ nodeId: null, aeTitle: 'PACS', host: '127.0.0.1', port: server.port, maxAssociations: 1 }, 'COURIER', 'test', files);
  stores = 0;
  gate = null;
  services.send.start(id2);
  await until(() => gate !== null);
  services.send.cancel(id2);
  gate!();
  await services.send.wait(id2);
  assert.equal(services.send.store.job(id2)!.state, 'cancelled');
  assert.deepEqual(services.send.resumeInterrupted(), [], 'a cancelled job does not resume');
});

test('a send killed mid-way (SIGKILL) resumes at the next start with nothing lost', async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const home = join(tmp.path, 'home');
  const { port, received } = await countingPacs(t, () => new Promise((r) => setTimeout(r, 40)));
  const dir = corpus(tmp.path, 5);
  const cli = spawnCli(['send', dir, '--to', `PACS@127.0.0.1:${port}`, '--json'], home);
  t.after(() => cli.kill('SIGKILL'));
  await until(() => [...received.values()].reduce((a, b) => a + b, 0) >= 8);
  cli.kill('SIGKILL');
  await new Promise((r) => cli.once('exit', r));

  const services = createServices(home);
  t.after(() => services.close());
  const [job] = services.send.store.jobs();
  assert.equal(job.state, 'running', 'left running by the crash');
  assert.ok(job.queued > 0);
  const resumed = services.send.resumeInterrupted();
  assert.deepEqual(resumed, [job.id]);
  await services.send.wait(job.id);
  const done = services.send.store.job(job.id)!;
  assert.equal(done.state, 'done');
  assert.equal(done.queued, 0);
  assert.equal(done.success, 25);
  assert.equal(done.failed, 5);
  // Every sound instance arrived at least once (those in flight at the crash may arrive twice).
  assert.equal(received.size, 5); // pydicom's files share UIDs across copies: 5 distinct sound instances
});

test('a queue longer than a page is read a page at a time while it sends; paused and resumed, every instance goes exactly once', async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  let gate: (() => void) | null = null;
  const { port, received } = await countingPacs(t, (seen) => (seen.size === 100 && !gate ? new Promise<void>((r) => (gate = r)) : undefined));
  const services = createServices(join(tmp.path, 'home'));
  t.after(() => services.close());
  const dir = join(tmp.path, 'data');
  generateSmallCorpus(dir, 230);
  const { indexPath } = await import('../../../electron/library/indexer.ts');
  await indexPath(services.db, services.library, dir);
  const patientIds = (services.db.prepare('SELECT id FROM patients').all() as { id: number }[]).map((r) => r.id);
  const files = services.library.filesOf({ patientIds });
  assert.equal(files.length, 230);

  // Every read of the queue, with how many instances the peer had received then.
  const reads: { rows: number; known: boolean; received: number }[] = [];
  const store = services.send.store;
  const read = store.queuedForRun.bind(store);
  store.queuedForRun = (jobId, page) => {
    const rows = read(jobId, page);
    reads.push({ rows: rows.length, known: page.known, received: received.size });
    return rows;
  };
  const id = services.send.queueFiles({ nodeId: null, aeTitle: 'PACS', host: '127.0.0.1', port, maxAssociations: 1 }, 'COURIER', 'paged', files);
  services.send.start(id);
  await until(() => gate !== null);
  assert.ok(services.send.pause(id));
  gate!();
  await services.send.wait(id);
  let job = store.job(id)!;
  assert.equal(job.state, 'paused');
  assert.equal(job.success, 100, 'the store held at the gate was answered and recorded');
  assert.equal(job.queued, 130);
  assert.ok(services.send.resume(id));
  await services.send.wait(id);
  job = store.job(id)!;
  assert.equal(job.state, 'done');
  assert.equal(job.success, 230);
  assert.equal(received.size, 230);
  assert.deepEqual([...received.values()].filter((n) => n !== 1), [], 'no instance sent twice');

  // Pages, not the whole queue: no read returned more than a page, and some were read while results came in.
  const pages = reads.filter((r) => r.known);
  assert.ok(pages.length >= 230 / 64, JSON.stringify(reads));
  assert.ok(Math.max(...pages.map((r) => r.rows)) <= 64, JSON.stringify(reads));
  assert.ok(pages.some((r) => r.received > 0 && r.received < 100 && r.rows > 0), 'a page was read while the first run was sending');
});
