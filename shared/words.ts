/**
 * Counts in words for people, alike in the app and the main process: "1 patient", "2 studies" —
 * never "patient(s)".
 */

/** "2 studies", "1 patient": a count with its noun. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
}

/** What a send takes, in words: "1 patient, 2 studies" (a job's description before "→ node"). */
export function patientsAndStudies(c: { patients: number; studies: number }): string {
  return `${plural(c.patients, 'patient')}, ${plural(c.studies, 'study', 'studies')}`;
}
