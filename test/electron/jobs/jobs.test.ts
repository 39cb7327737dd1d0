// Jobs: ids at once, progress events (throttled), cancel, failures mapped to { code, message }.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventHub } from '../../../electron/events.ts';
import { JobRunner, throwIfCancelled } from '../../../electron/jobs/jobs.ts';
import { CourierError } from '../../../shared/errors.ts';

test('a job reports progress and finishes with its result; a cancelled job says so', async () => {
  const events = new EventHub();
  const seen: string[] = [];
  events.onAny((name) => seen.push(name));
  const jobs = new JobRunner(events);
  const id = jobs.start('index', async (ctx) => {
    ctx.progress({ done: 1, total: 2 });
    ctx.progress({ done: 2, total: 2 });
    return 42;
  });
  assert.equal(typeof id, 'string');
  const done = await jobs.wait(id);
  assert.deepEqual({ status: done?.status, result: done?.result }, { status: 'done', result: 42 });
  assert.deepEqual(seen, ['job.progress', 'job.progress', 'job.finished']);

  const slow = jobs.start('send', async (ctx) => {
    for (;;) {
      await new Promise((r) => setTimeout(r, 5));
      throwIfCancelled(ctx.signal);
    }
  });
  assert.equal(jobs.cancel(slow), true);
  assert.equal((await jobs.wait(slow))?.status, 'cancelled');
  assert.equal(jobs.cancel(slow), false, 'no longer running');
});

test('a failing job ends as failed with a code and message; a throwing listener breaks nothing', async () => {
  const events = new EventHub();
  events.on('job.finished', () => {
    throw new Error('listener bug');
  });
  const jobs = new JobRunner(events);
  const originalError = console.error;
  console.error = () => {};
  try {
    const io = await jobs.wait(jobs.start('export', async () => {
      throw new CourierError('CONFLICT', 'The target folder is not empty');
    }));
    assert.deepEqual(io?.error, { code: 'CONFLICT', message: 'The target folder is not empty' });
    const bug = await jobs.wait(jobs.start('export', async () => {
      throw new TypeError('x is undefined');
    }));
    assert.equal(bug?.status, 'failed');
    assert.deepEqual(bug?.error, { code: 'INTERNAL', message: 'x is undefined' });
  } finally {
    console.error = originalError;
  }
});

test('cancelAll stops every running job (on quit)', async () => {
  const jobs = new JobRunner(new EventHub());
  const ids = [1, 2, 3].map(() =>
    jobs.start('index', (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new CourierError('CANCELLED', 'stop'))))),
  );
  await jobs.cancelAll();
  for (const id of ids) assert.equal(await jobs.wait(id), undefined);
});
