/**
 * A transaction's instances for people: failures first (then timed out, pending, committed; kept
 * before deleted), and the fate of each local file in words.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failuresFirst, fileFate } from '../../../../renderer/features/commit/instances.ts';

test('failures come first, then timed out, pending, committed kept, committed deleted', () => {
  const rows = [
    { id: 1, state: 'committed' as const, deleted: true },
    { id: 2, state: 'pending' as const, deleted: false },
    { id: 3, state: 'committed' as const, deleted: false },
    { id: 4, state: 'failed' as const, deleted: false },
    { id: 5, state: 'timed-out' as const, deleted: false },
  ];
  assert.deepEqual(failuresFirst(rows).map((r) => r.id), [4, 5, 2, 3, 1]);
});

test('a file is deleted, kept with its reason, kept because not committed, or waiting for deletion', () => {
  assert.equal(fileFate({ state: 'committed', deleted: true, keptReason: null }, true), 'deleted');
  assert.equal(fileFate({ state: 'committed', deleted: false, keptReason: 'changed since it was sent' }, true), 'kept: changed since it was sent');
  assert.equal(fileFate({ state: 'failed', deleted: false, keptReason: null }, true), 'kept: not committed');
  assert.equal(fileFate({ state: 'committed', deleted: false, keptReason: null }, true), 'committed, deletion pending');
  assert.equal(fileFate({ state: 'committed', deleted: false, keptReason: null }, false), 'kept');
});
