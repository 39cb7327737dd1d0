/**
 * The WHERE clause of a library selection (patients, studies, series, instances): one builder for
 * every query that reads what a person ticked (send, export, the send plan).
 */

/** What is picked in the library: everything under each id. */
export interface SelectionScope {
  patientIds?: number[];
  studyIds?: number[];
  seriesIds?: number[];
  instanceIds?: number[];
}

/**
 * The condition of a selection over `st` (studies), `se` (series) and `i` (instances), with its
 * arguments (the ids go in as JSON); null when nothing is selected.
 */
export function selectionWhere(scope: SelectionScope): { where: string; args: string[] } | null {
  const where: string[] = [];
  const args: string[] = [];
  const add = (ids: number[] | undefined, column: string) => {
    if (ids?.length) {
      where.push(`${column} IN (SELECT value FROM json_each(?))`);
      args.push(JSON.stringify(ids));
    }
  };
  add(scope.patientIds, 'st.patient_id');
  add(scope.studyIds, 'se.study_id');
  add(scope.seriesIds, 'i.series_id');
  add(scope.instanceIds, 'i.id');
  return where.length ? { where: where.join(' OR '), args } : null;
}
