/**
 * The library selection as a tree: ticking a parent takes its children, unticking one child of a
 * ticked parent leaves the parent partial, ticking the last child ticks the parent.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  EMPTY_SELECTION,
  isEmptySelection,
  patientsTouched,
  scopeOf,
  tickState,
  toggle,
  withoutPatients,
  type LibrarySelection,
  type TreeChildren,
  type TreeNode,
} from '../../../renderer/features/selection.ts';

// Patient 1: studies 10 (series 100, 101) and 11 (series 110). Patient 2: study 20 (series 200).
const TREE: TreeChildren = {
  studiesOf: (p) => ({ 1: [10, 11], 2: [20] })[p],
  seriesOf: (s) => ({ 10: [100, 101], 11: [110], 20: [200] })[s],
};
const P1: TreeNode = { kind: 'patient', id: 1 };
const ST10: TreeNode = { kind: 'study', id: 10, patientId: 1 };
const ST11: TreeNode = { kind: 'study', id: 11, patientId: 1 };
const SE100: TreeNode = { kind: 'series', id: 100, studyId: 10, patientId: 1 };
const SE101: TreeNode = { kind: 'series', id: 101, studyId: 10, patientId: 1 };
const SE110: TreeNode = { kind: 'series', id: 110, studyId: 11, patientId: 1 };

const states = (s: LibrarySelection) => [P1, ST10, ST11, SE100, SE101, SE110].map((n) => tickState(s, n)).join(' ');

test('ticking a patient ticks everything under it; unticking it clears them', () => {
  const s = toggle(EMPTY_SELECTION, P1, true, TREE);
  assert.equal(states(s), 'on on on on on on');
  assert.deepEqual(scopeOf(s), { patientIds: [1], studyIds: [], seriesIds: [] });
  assert.ok(isEmptySelection(toggle(s, P1, false, TREE)));
});

test('unticking a study of a ticked patient leaves the patient partial with its other studies ticked', () => {
  const s = toggle(toggle(EMPTY_SELECTION, P1, true, TREE), ST10, false, TREE);
  assert.equal(states(s), 'partial off on off off on');
  assert.deepEqual(scopeOf(s), { patientIds: [], studyIds: [11], seriesIds: [] });
});

test('unticking a series of a ticked patient keeps its sibling series and the other studies', () => {
  const s = toggle(toggle(EMPTY_SELECTION, P1, true, TREE), SE100, false, TREE);
  assert.equal(states(s), 'partial partial on off on on');
  assert.deepEqual(scopeOf(s), { patientIds: [], studyIds: [11], seriesIds: [101] });
});

test('ticking the last series of a study ticks the study, and the last study ticks the patient', () => {
  let s = toggle(EMPTY_SELECTION, SE100, true, TREE);
  assert.equal(states(s), 'partial partial off on off off');
  s = toggle(s, SE101, true, TREE);
  assert.deepEqual(scopeOf(s), { patientIds: [], studyIds: [10], seriesIds: [] });
  s = toggle(s, SE110, true, TREE);
  assert.deepEqual(scopeOf(s), { patientIds: [1], studyIds: [], seriesIds: [] });
  assert.equal(states(s), 'on on on on on on');
});

test('ticking a study replaces its ticked series; ticking a series of a ticked study changes nothing', () => {
  let s = toggle(EMPTY_SELECTION, SE100, true, TREE);
  s = toggle(s, ST10, true, TREE);
  assert.deepEqual(scopeOf(s), { patientIds: [], studyIds: [10], seriesIds: [] });
  assert.deepEqual(toggle(s, SE101, true, TREE), s);
  // Unticking the study drops its series too.
  assert.ok(isEmptySelection(toggle(s, ST10, false, TREE)));
});

test('a selection under patients the filter hides can be told and dropped', () => {
  let s = toggle(EMPTY_SELECTION, SE100, true, TREE);
  s = toggle(s, { kind: 'patient', id: 2 }, true, TREE);
  assert.deepEqual([...patientsTouched(s)].sort(), [1, 2]);
  assert.deepEqual(scopeOf(withoutPatients(s, [1])), { patientIds: [2], studyIds: [], seriesIds: [] });
});
