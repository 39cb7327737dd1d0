/**
 * What the library panel has checked: whole patients, studies or single series. Export and send
 * act on this.
 */

/** The library panel's current selection (ids from the library channels). */
export interface LibrarySelection {
  patientIds: number[];
  studyIds: number[];
  seriesIds: number[];
}

/** Nothing selected. */
export const EMPTY_SELECTION: LibrarySelection = { patientIds: [], studyIds: [], seriesIds: [] };

/** True when nothing is selected. */
export function isEmptySelection(s: LibrarySelection): boolean {
  return !s.patientIds.length && !s.studyIds.length && !s.seriesIds.length;
}
