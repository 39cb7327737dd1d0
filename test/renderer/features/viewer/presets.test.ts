/**
 * Pure helpers of the viewer: stack stepping, prefetch order, presets, names.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CT_PRESETS, nearestUntaken, stepIndex } from '../../../../renderer/features/viewer/presets.ts';
import { objectKind } from '../../../../renderer/features/viewer/sopClasses.ts';
import { formatDate, formatName, formatTime } from '../../../../renderer/features/format.ts';

test('stepIndex clamps, and wraps for cine', () => {
  assert.equal(stepIndex(0, -1, 10), 0);
  assert.equal(stepIndex(9, 1, 10), 9);
  assert.equal(stepIndex(5, 10, 10), 9);
  assert.equal(stepIndex(9, 1, 10, true), 0);
  assert.equal(stepIndex(0, -1, 10, true), 9);
  assert.equal(stepIndex(0, 1, 0), 0);
});

test('nearestUntaken follows the slice on screen', () => {
  const taken = new Uint8Array(6);
  assert.equal(nearestUntaken(taken, 0), 0);
  taken[0] = taken[1] = 1;
  assert.equal(nearestUntaken(taken, 0), 2);
  assert.equal(nearestUntaken(taken, 5), 5);
  taken[5] = 1;
  assert.equal(nearestUntaken(taken, 5), 4);
  taken.fill(1);
  assert.equal(nearestUntaken(taken, 3), -1);
});

test('CT presets are the usual windows', () => {
  assert.deepEqual(
    CT_PRESETS.map((p) => [p.id, p.windowWidth, p.windowCenter]),
    [
      ['brain', 80, 40],
      ['lung', 1500, -600],
      ['bone', 2000, 300],
      ['abdomen', 400, 50],
    ],
  );
});

test('names for people', () => {
  assert.equal(formatDate('20040119'), '2004-01-19');
  assert.equal(formatDate('1997.04.24'), '1997-04-24', 'the ACR-NEMA form older files carry');
  assert.equal(formatDate('19970424-'), '19970424-', 'anything else as it is');
  assert.equal(formatDate(''), '');
  assert.equal(formatName('Doe^John^^Dr'), 'Doe, John Dr');
  assert.equal(formatName('Yamada^Tarou=山田^太郎'), 'Yamada, Tarou');
  assert.equal(formatTime('153011.123'), '15:30:11');
  assert.equal(objectKind('1.2.840.10008.5.1.4.1.1.88.11'), 'SR');
  assert.equal(objectKind('1.2.840.10008.5.1.4.1.1.481.5'), 'RT Plan');
  assert.equal(objectKind('1.2.3'), 'Object');
});
