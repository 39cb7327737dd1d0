/**
 * Counts in words: the noun agrees with the count ("1 study", "2 studies"), never "study(ies)".
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { patientsAndStudies, plural } from '../../shared/words.ts';

test('a count takes the singular only for one, and thousands are grouped', () => {
  assert.equal(plural(1, 'image'), '1 image');
  assert.equal(plural(0, 'image'), '0 images');
  assert.equal(plural(2, 'study', 'studies'), '2 studies');
  assert.equal(plural(12_345, 'file'), '12,345 files');
});

test('a send job is described by its patients and studies', () => {
  assert.equal(patientsAndStudies({ patients: 1, studies: 2 }), '1 patient, 2 studies');
  assert.equal(patientsAndStudies({ patients: 3, studies: 1 }), '3 patients, 1 study');
});
