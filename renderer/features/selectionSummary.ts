/**
 * The selection in words for people — "1 patient · 2 studies · 312 images · 154.2 MB" — from
 * `send.plan` (the files that would be sent or exported, one per instance).
 */
import { useEffect, useState } from 'react';
import type { SendPlan, SendPlanFolder } from '../../shared/contract/index.ts';
import { errorMessage, invoke } from '../api/courier.ts';
import { isEmptySelection, scopeOf, type LibrarySelection } from './selection.ts';
import { plural } from '../../shared/words.ts';

/** Bytes for people: "830 kB", "154.2 MB", "3.40 GB". */
export function megabytes(bytes: number): string {
  if (bytes < 1e6) return `${Math.round(bytes / 1e3)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

/** The folders files are in, for a confirmation: "3 files (1.5 MB) in /a/b; 1 file (510 kB) in /c". */
export function foldersText(folders: readonly SendPlanFolder[]): string {
  return folders.map((f) => `${plural(f.files, 'file')} (${megabytes(f.bytes)}) in ${f.folder}`).join('; ');
}

/** "1 patient · 2 studies · 312 images · 154.2 MB". */
export function planText(p: Pick<SendPlan, 'patients' | 'studies' | 'instances' | 'bytes'>): string {
  return [plural(p.patients, 'patient'), plural(p.studies, 'study', 'studies'), plural(p.instances, 'image'), megabytes(p.bytes)].join(' · ');
}

/** What is selected, in words (null while nothing is selected or the count is on its way; the reason when it failed). */
export function useSelectionSummary(selection: LibrarySelection, generation = 0): string | null {
  const [text, setText] = useState<string | null>(null);
  useEffect(() => {
    setText(null);
    if (isEmptySelection(selection)) return;
    let live = true;
    const t = setTimeout(() => {
      invoke('send.plan', scopeOf(selection)).then(
        (p) => live && setText(planText(p)),
        (err) => live && setText(`(could not count: ${errorMessage(err)})`),
      );
    }, 120);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [selection, generation]);
  return text;
}
