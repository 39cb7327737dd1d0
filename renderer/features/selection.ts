/**
 * What the library panel has ticked, as a tree: whole patients, whole studies, single series.
 * Ticking a patient or study takes everything under it; unticking one child of a ticked parent
 * leaves the parent partly ticked (its other children stay). Ticking the last unticked child of a
 * parent ticks the parent. Export and send act on `scopeOf(selection)`.
 */

/** A ticked study, with its patient (so a collapsed patient can show that part of it is ticked). */
export interface TickedStudy {
  id: number;
  patientId: number;
}

/** A ticked series, with its study and patient. */
export interface TickedSeries {
  id: number;
  studyId: number;
  patientId: number;
}

/** The library panel's current selection (ids from the library channels). */
export interface LibrarySelection {
  patients: number[];
  studies: TickedStudy[];
  series: TickedSeries[];
}

/** A row of the library tree. */
export type TreeNode = { kind: 'patient'; id: number } | ({ kind: 'study' } & TickedStudy) | ({ kind: 'series' } & TickedSeries);

/** The children the panel has loaded (undefined: not loaded yet). */
export interface TreeChildren {
  studiesOf(patientId: number): number[] | undefined;
  seriesOf(studyId: number): number[] | undefined;
}

/** How a checkbox shows. */
export type TickState = 'on' | 'off' | 'partial';

/** What the send and export channels take. */
export interface SelectionScope {
  patientIds: number[];
  studyIds: number[];
  seriesIds: number[];
}

/** Nothing selected. */
export const EMPTY_SELECTION: LibrarySelection = { patients: [], studies: [], series: [] };

/** True when nothing is selected. */
export function isEmptySelection(s: LibrarySelection): boolean {
  return !s.patients.length && !s.studies.length && !s.series.length;
}

/** The ids the send and export channels take. */
export function scopeOf(s: LibrarySelection): SelectionScope {
  return { patientIds: [...s.patients], studyIds: s.studies.map((x) => x.id), seriesIds: s.series.map((x) => x.id) };
}

/** Every patient the selection reaches into (whole or in part). */
export function patientsTouched(s: LibrarySelection): Set<number> {
  return new Set([...s.patients, ...s.studies.map((x) => x.patientId), ...s.series.map((x) => x.patientId)]);
}

/** The selection without anything under these patients. */
export function withoutPatients(s: LibrarySelection, patientIds: Iterable<number>): LibrarySelection {
  const drop = new Set(patientIds);
  return {
    patients: s.patients.filter((p) => !drop.has(p)),
    studies: s.studies.filter((x) => !drop.has(x.patientId)),
    series: s.series.filter((x) => !drop.has(x.patientId)),
  };
}

/** How a row's checkbox shows. */
export function tickState(s: LibrarySelection, node: TreeNode): TickState {
  if (s.patients.includes(node.kind === 'patient' ? node.id : node.patientId)) return 'on';
  if (node.kind === 'patient') return s.studies.some((x) => x.patientId === node.id) || s.series.some((x) => x.patientId === node.id) ? 'partial' : 'off';
  const studyId = node.kind === 'study' ? node.id : node.studyId;
  if (s.studies.some((x) => x.id === studyId)) return 'on';
  if (node.kind === 'study') return s.series.some((x) => x.studyId === node.id) ? 'partial' : 'off';
  return s.series.some((x) => x.id === node.id) ? 'on' : 'off';
}

/** The selection after the user ticks (`on`) or unticks a row. */
export function toggle(s: LibrarySelection, node: TreeNode, on: boolean, tree: TreeChildren): LibrarySelection {
  if (node.kind === 'patient') {
    const rest = withoutPatients(s, [node.id]);
    return on ? { ...rest, patients: [...rest.patients, node.id] } : rest;
  }
  const patientId = node.patientId;
  const studyId = node.kind === 'study' ? node.id : node.studyId;
  let next = s;
  // Unticking inside a ticked patient: the patient becomes its studies, less the one unticked.
  if (!on && next.patients.includes(patientId)) {
    next = {
      patients: next.patients.filter((p) => p !== patientId),
      studies: [...next.studies, ...(tree.studiesOf(patientId) ?? []).filter((id) => id !== studyId).map((id) => ({ id, patientId }))],
      series: next.series,
    };
    if (node.kind === 'study') return next;
    next = { ...next, studies: [...next.studies, { id: studyId, patientId }] };
  }
  if (node.kind === 'study') {
    const rest = { ...next, studies: next.studies.filter((x) => x.id !== node.id), series: next.series.filter((x) => x.studyId !== node.id) };
    if (!on) return rest;
    if (next.patients.includes(patientId)) return next;
    return promotePatient({ ...rest, studies: [...rest.studies, { id: node.id, patientId }] }, patientId, tree);
  }
  // A series.
  if (!on && next.studies.some((x) => x.id === studyId)) {
    next = {
      ...next,
      studies: next.studies.filter((x) => x.id !== studyId),
      series: [...next.series, ...(tree.seriesOf(studyId) ?? []).filter((id) => id !== node.id).map((id) => ({ id, studyId, patientId }))],
    };
    return next;
  }
  if (!on) return { ...next, series: next.series.filter((x) => x.id !== node.id) };
  if (tickState(next, node) === 'on') return next;
  next = { ...next, series: [...next.series, { id: node.id, studyId, patientId }] };
  const all = tree.seriesOf(studyId);
  if (all && all.every((id) => next.series.some((x) => x.id === id))) {
    next = { ...next, series: next.series.filter((x) => x.studyId !== studyId), studies: [...next.studies, { id: studyId, patientId }] };
    return promotePatient(next, patientId, tree);
  }
  return next;
}

/** Ticks the patient instead when every one of its studies is ticked. */
function promotePatient(s: LibrarySelection, patientId: number, tree: TreeChildren): LibrarySelection {
  const all = tree.studiesOf(patientId);
  if (!all?.length || !all.every((id) => s.studies.some((x) => x.id === id))) return s;
  return { ...withoutPatients(s, [patientId]), patients: [...s.patients, patientId] };
}
