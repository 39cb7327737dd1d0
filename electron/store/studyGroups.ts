/**
 * Per-study summaries of rows that carry the study's fields as they were recorded (send and
 * commitment rows both do): one group per Study Instance UID, unknown studies under null, in the
 * order their first rows come.
 */

/** The study fields a row carries. */
export interface StudyFields {
  StudyInstanceUID: string | null;
  StudyDescription: string | null;
  PatientName: string | null;
}

type Row = Record<string, unknown>;

/** Groups `rows` by StudyInstanceUID: `start` makes a group from its first row's study fields, `add` counts each row into its group. */
export function groupByStudy<G>(rows: Iterable<Row>, start: (study: StudyFields) => G, add: (group: G, row: Row) => void): G[] {
  const groups = new Map<string | null, G>();
  for (const r of rows) {
    const key = (r.StudyInstanceUID as string | null) ?? null;
    let g = groups.get(key);
    if (g === undefined) {
      g = start({ StudyInstanceUID: key, StudyDescription: (r.StudyDescription as string | null) ?? null, PatientName: (r.PatientName as string | null) ?? null });
      groups.set(key, g);
    }
    add(g, r);
  }
  return [...groups.values()];
}
