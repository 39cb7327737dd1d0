/**
 * latestOnly: an answer that arrives after a later call's is dropped, whichever resolves first.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { latestOnly } from '../../../renderer/features/latest.ts';

/** A promise resolved (or rejected) from outside. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => ((resolve = a), (reject = b)));
  return { promise, resolve, reject };
}
const settle = () => new Promise((r) => setImmediate(r));

test('the earlier call answered last is dropped; the latest one is applied', async () => {
  const call = latestOnly();
  const applied: string[] = [];
  const failed: unknown[] = [];
  const older = deferred<string>();
  const newer = deferred<string>();
  call(older.promise, (v) => applied.push(v), (e) => failed.push(e));
  call(newer.promise, (v) => applied.push(v), (e) => failed.push(e));
  newer.resolve('new rows');
  older.resolve('old rows');
  await settle();
  assert.deepEqual(applied, ['new rows']);
  assert.deepEqual(failed, []);
});

test('an error is reported only for the latest call; separate callers do not drop each other', async () => {
  const a = latestOnly();
  const b = latestOnly();
  const out: string[] = [];
  const first = deferred<string>();
  a(first.promise, (v) => out.push(`a ${v}`), (e) => out.push(`a failed ${String(e)}`));
  b(Promise.resolve('b'), (v) => out.push(`b ${v}`), () => out.push('b failed'));
  first.reject('refused');
  await settle();
  assert.deepEqual(out.sort(), ['a failed refused', 'b b']);
  a(Promise.reject(new Error('late')), () => out.push('x'), () => out.push('stale error'));
  a(Promise.resolve('ok'), (v) => out.push(`a ${v}`), () => out.push('y'));
  await settle();
  assert.deepEqual(out.slice(2), ['a ok']);
});
