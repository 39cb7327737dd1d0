/**
 * Viewer queries: where a series sits in the library (its study and patient), for the viewport's
 * overlay and for opening a series by id.
 */
import type { Db } from './db.ts';

/** The study and patient ids of a series, or null when there is no such series. */
export function seriesParents(db: Db, seriesId: number): { studyId: number; patientId: number } | null {
  const r = db
    .prepare('SELECT se.study_id AS studyId, st.patient_id AS patientId FROM series se JOIN studies st ON st.id = se.study_id WHERE se.id = ?')
    .get(seriesId) as { studyId: number; patientId: number } | undefined;
  return r ?? null;
}
