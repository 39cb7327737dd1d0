/**
 * Which file of each selected instance a send job takes, and what a person must see before sending
 * (`send.plan`): counts, bytes, the folders the files are read from (and, with deletion, deleted
 * from), and the instances held in several files with the file chosen and the others. The job sends
 * exactly the files chosen here, so a file not chosen is never sent by it, nor deleted.
 */
import { dirname, resolve, sep } from 'node:path';
import type { FileChoice, SendPlan, SendPlanDuplicate, SendPlanFolder } from '../../shared/contract/send.ts';
import { CourierError } from '../../shared/errors.ts';
import type { SelectionFile } from '../store/send.ts';

/** At most this many duplicates are listed in a plan (all are counted). */
const MAX_DUPLICATES = 1000;

/** The chosen file of each instance, in library order, and the instances held in several files. */
export interface Chosen {
  files: SelectionFile[];
  duplicates: { chosen: SelectionFile; alternatives: SelectionFile[] }[];
}

const under = (path: string, folder: string) => {
  const root = resolve(folder);
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
};

/**
 * Picks one file per instance among `rows` (every file of every selected instance, grouped by
 * instance in library order): an explicit choice, else the first preferred folder holding one,
 * else the file indexed first.
 */
export function chooseFiles(rows: SelectionFile[], choice: FileChoice = {}): Chosen {
  const explicit = new Map((choice.files ?? []).map((f) => [f.instanceId, resolve(f.path)]));
  const folders = choice.preferFolders ?? [];
  const files: SelectionFile[] = [];
  const duplicates: Chosen['duplicates'] = [];
  for (let i = 0; i < rows.length; ) {
    let end = i + 1;
    while (end < rows.length && rows[end].instanceId === rows[i].instanceId) end++;
    const mine = rows.slice(i, end);
    i = end;
    const byFileId = [...mine].sort((a, b) => a.fileId - b.fileId);
    const wanted = explicit.get(mine[0].instanceId);
    let chosen = wanted === undefined ? undefined : mine.find((f) => f.path === wanted);
    if (wanted !== undefined && !chosen) throw new CourierError('BAD_REQUEST', `${wanted} is not a file of the selected instance ${mine[0].SOPInstanceUID}`);
    for (const folder of folders) {
      if (chosen) break;
      chosen = byFileId.find((f) => under(f.path, folder));
    }
    chosen ??= byFileId[0];
    files.push(chosen);
    if (mine.length > 1) duplicates.push({ chosen, alternatives: byFileId.filter((f) => f !== chosen) });
  }
  return { files, duplicates };
}

/** The plan of sending the chosen files. */
export function planOf(chosen: Chosen): SendPlan {
  const patients = new Set<number>();
  const studies = new Set<number>();
  const series = new Set<number>();
  let bytes = 0;
  for (const f of chosen.files) {
    patients.add(f.patientId);
    studies.add(f.studyId);
    series.add(f.seriesId);
    bytes += f.size;
  }
  const duplicates: SendPlanDuplicate[] = chosen.duplicates.slice(0, MAX_DUPLICATES).map((d) => ({
    instanceId: d.chosen.instanceId,
    SOPInstanceUID: d.chosen.SOPInstanceUID,
    chosen: { path: d.chosen.path, size: d.chosen.size },
    alternatives: d.alternatives.map((a) => ({ path: a.path, size: a.size })),
  }));
  return {
    patients: patients.size,
    studies: studies.size,
    series: series.size,
    instances: chosen.files.length,
    bytes,
    folders: foldersOf(chosen.files),
    duplicates,
    duplicateCount: chosen.duplicates.length,
  };
}

/** Each folder (a file's own directory) holding `files`, by path, with how many files and bytes are in it. */
export function foldersOf(files: readonly { path: string; size: number }[]): SendPlanFolder[] {
  const folders = new Map<string, SendPlanFolder>();
  for (const f of files) {
    const folder = dirname(f.path);
    const entry = folders.get(folder) ?? folders.set(folder, { folder, files: 0, bytes: 0 }).get(folder)!;
    entry.files++;
    entry.bytes += f.size;
  }
  return [...folders.values()].sort((a, b) => (a.folder < b.folder ? -1 : a.folder > b.folder ? 1 : 0));
}
