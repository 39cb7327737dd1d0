/**
 * Walking a folder for candidate files, and finding the files a DICOMDIR references.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { readHeader } from '../dicom/header.ts';
import { MEDIA_STORAGE_DIRECTORY_SOP_CLASS, Tag } from '../dicom/tags.ts';

/** Every regular file below `root`, in path order; unreadable folders are reported. */
export function walkFiles(root: string, onError: (path: string, message: string) => void): string[] {
  const out: string[] = [];
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      onError(dir, `The folder could not be read: ${(err as Error).message}`);
      continue;
    }
    // (`dir` is already normal and a name holds no separator: plain concatenation, not path.join.)
    const prefix = dir.endsWith(sep) ? dir : dir + sep;
    for (const e of entries) {
      // Symbolic links to folders are not followed (they can loop); links to files are read.
      if (e.isDirectory()) stack.push(prefix + e.name);
      else if (e.isFile() || e.isSymbolicLink()) out.push(prefix + e.name);
    }
  }
  return out.sort();
}

/** True when the file at `path` is named DICOMDIR (any case), the name PS3.10 §8.6 requires. */
export function isDicomdirName(path: string): boolean {
  return basename(path).toUpperCase() === 'DICOMDIR';
}

/** Finds DICOMDIR in `folder` whatever the case of its name (CD file systems vary). */
export function findDicomdir(folder: string): string | null {
  try {
    const name = readdirSync(folder).find((n) => n.toUpperCase() === 'DICOMDIR');
    return name ? join(folder, name) : null;
  } catch {
    return null;
  }
}

/** The files a DICOMDIR references (Referenced File ID, PS3.3 F.3.2.2), resolved on disk. */
export function dicomdirFiles(dicomdirPath: string): { files: string[]; missing: string[] } {
  const h = readHeader(dicomdirPath);
  const sopClass = h.meta?.MediaStorageSOPClassUID;
  if (sopClass && sopClass !== MEDIA_STORAGE_DIRECTORY_SOP_CLASS) throw new Error('The file is not a DICOMDIR');
  const seq = h.dataSet.elements[Tag.DirectoryRecordSequence];
  const files: string[] = [];
  const missing: string[] = [];
  const base = dirname(dicomdirPath);
  for (const item of seq?.items ?? []) {
    const ds = item.dataSet;
    const id = ds?.string(Tag.ReferencedFileID);
    if (!id) continue;
    const components = id.replace(/\0/g, '').trim().split('\\').filter(Boolean);
    const resolved = resolveCaseInsensitive(base, components);
    if (resolved) files.push(resolved);
    else missing.push(join(base, ...components));
  }
  return { files: [...new Set(files)], missing };
}

function resolveCaseInsensitive(base: string, components: string[]): string | null {
  let current = base;
  for (const c of components) {
    const exact = join(current, c);
    try {
      statSync(exact);
      current = exact;
      continue;
    } catch {
      // fall through to a case-insensitive match (ISO 9660 names may be shown in lower case)
    }
    let names: string[];
    try {
      names = readdirSync(current);
    } catch {
      return null;
    }
    const match = names.find((n) => n.toUpperCase() === c.toUpperCase() || n.toUpperCase() === `${c.toUpperCase()};1` || n.toUpperCase() === `${c.toUpperCase()}.`);
    if (!match) return null;
    current = join(current, match);
  }
  return current;
}

/** Which files to read: a DICOMDIR's references, or every file below a folder. */
export function filesToRead(root: string, isDirectory: boolean, onError: (path: string, message: string) => void): string[] {
  const dicomdir = isDirectory ? findDicomdir(root) : isDicomdirName(root) ? root : null;
  if (dicomdir) {
    try {
      const { files, missing } = dicomdirFiles(dicomdir);
      for (const m of missing) onError(m, 'The DICOMDIR lists this file, but it is not on the media');
      // A folder with a DICOMDIR is indexed through it (PS3.10 §8): fast on CDs, and complete for a file-set.
      if (files.length || !isDirectory) return files;
    } catch (err) {
      onError(dicomdir, `The DICOMDIR could not be read (${(err as Error).message}); the folder is scanned instead`);
    }
  }
  return isDirectory ? walkFiles(root, onError) : [root];
}
