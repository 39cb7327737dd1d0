/**
 * The selection in words for people: "1 patient · 2 studies · 3 series" as ticked.
 */
import { useMemo } from 'react';
import type { LibrarySelection } from './selection.ts';

/** "2 studies", "1 patient": a count with its noun. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** What is ticked, in words (null when nothing is). */
export function useSelectionSummary(selection: LibrarySelection): string | null {
  return useMemo(() => {
    const parts = [
      selection.patients.length ? plural(selection.patients.length, 'patient') : '',
      selection.studies.length ? plural(selection.studies.length, 'study', 'studies') : '',
      selection.series.length ? plural(selection.series.length, 'series', 'series') : '',
    ].filter(Boolean);
    return parts.length ? parts.join(' · ') : null;
  }, [selection]);
}
