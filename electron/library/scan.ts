/**
 * Walking a folder for candidate files, and finding the files a DICOMDIR references.
 */
import { lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { fsReason } from '../dicom/files.ts';
import { readHeader } from '../dicom/header.ts';
import { MEDIA_STORAGE_DIRECTORY_SOP_CLASS, Tag } from '../dicom/tags.ts';

/**
 * Every regular file below `root`, in path order. Symbolic links to files are read; links to folders
 * are not followed (they can loop). FIFOs, sockets and devices are passed over unopened (a FIFO would
 * block the reader). Unreadable folders, and links that loop or lead nowhere, are reported.
 */
export function walkFiles(root: string, onError: (path: string, message: string) => void): string[] {
  const out: string[] = [];
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      onError(dir, `The folder could not be read: ${fsReason(err)}`);
      continue;
    }
    // (`dir` is already normal and a name holds no separator: plain concatenation, not path.join.)
    const prefix = dir.endsWith(sep) ? dir : dir + sep;
    for (const e of entries) {
      if (e.isDirectory()) stack.push(prefix + e.name);
      else if (e.isFile()) out.push(prefix + e.name);
      else if (e.isSymbolicLink() && linkedFile(prefix + e.name, onError)) out.push(prefix + e.name);
    }
  }
  return out.sort();
}

/** True when the symbolic link at `path` leads to a regular file; a link that loops or leads nowhere is reported. */
function linkedFile(path: string, onError: (path: string, message: string) => void): boolean {
  try {
    return statSync(path).isFile();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    let target = '';
    try {
      target = readlinkSync(path);
    } catch {
      // the link itself vanished
    }
    if (code === 'ENOENT') onError(path, `This symbolic link points to ${target || 'a file'}, which does not exist: nothing to read`);
    else onError(path, `This symbolic link could not be followed: ${fsReason(err)}`);
    return false;
  }
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

/** What a DICOMDIR references, resolved on disk: readable files, IDs with no file, and IDs refused with the reason. */
export interface DicomdirFiles {
  files: string[];
  missing: string[];
  refused: { path: string; message: string }[];
}

/**
 * The files a DICOMDIR references (Referenced File ID, PS3.3 F.3.2.2), resolved on disk. A file ID
 * names a file inside the file-set's folder, one component per level (PS3.10 §8.5): an ID with `..`,
 * `.`, a slash or a drive, or one that reaches outside the folder through a symbolic link, is refused
 * rather than read; so is one naming a FIFO, device or folder.
 */
export function dicomdirFiles(dicomdirPath: string): DicomdirFiles {
  const h = readHeader(dicomdirPath);
  const sopClass = h.meta?.MediaStorageSOPClassUID;
  if (sopClass && sopClass !== MEDIA_STORAGE_DIRECTORY_SOP_CLASS) throw new Error('The file is not a DICOMDIR');
  const seq = h.dataSet.elements[Tag.DirectoryRecordSequence];
  const result: DicomdirFiles = { files: [], missing: [], refused: [] };
  const base = dirname(dicomdirPath);
  let realBase: string | null = null;
  for (const item of seq?.items ?? []) {
    const id = item.dataSet?.string(Tag.ReferencedFileID)?.replace(/\0/g, '').trim();
    if (!id) continue;
    const components = id.split('\\').filter(Boolean);
    if (components.some((c) => c === '.' || c === '..' || /[/:\x00-\x1f]/.test(c))) {
      result.refused.push({ path: dicomdirPath, message: `The DICOMDIR lists the file ID "${id}", which points outside its folder: not read (a file ID names a file inside the file-set, PS3.10 §8.5)` });
      continue;
    }
    const resolved = resolveCaseInsensitive(base, components);
    if (!resolved) {
      result.missing.push(join(base, ...components));
      continue;
    }
    let stats;
    try {
      stats = statSync(resolved);
      realBase ??= realpathSync(base);
      if (!isInside(realpathSync(resolved), realBase)) {
        result.refused.push({ path: resolved, message: 'The DICOMDIR lists this file, but it is a symbolic link to a file outside the file-set\'s folder: not read' });
        continue;
      }
    } catch (err) {
      result.refused.push({ path: resolved, message: `The DICOMDIR lists this file, but it cannot be opened: ${fsReason(err)}` });
      continue;
    }
    if (stats.isFile()) result.files.push(resolved);
    else result.refused.push({ path: resolved, message: 'The DICOMDIR lists this, but it is not a regular file (a folder, pipe, socket or device): not read' });
  }
  result.files = [...new Set(result.files)];
  return result;
}

/** True when `path` is `folder` or below it (both real paths). */
function isInside(path: string, folder: string): boolean {
  return path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}

function resolveCaseInsensitive(base: string, components: string[]): string | null {
  let current = base;
  for (const c of components) {
    const exact = join(current, c);
    try {
      lstatSync(exact);
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

/** Which files to read: a DICOMDIR's references, or every file below a folder, or the one file named. */
export function filesToRead(root: string, isDirectory: boolean, onError: (path: string, message: string) => void): string[] {
  const dicomdir = isDirectory ? findDicomdir(root) : isDicomdirName(root) ? root : null;
  if (dicomdir) {
    try {
      const { files, missing, refused } = dicomdirFiles(dicomdir);
      for (const m of missing) onError(m, 'The DICOMDIR lists this file, but it is not on the media');
      for (const r of refused) onError(r.path, r.message);
      // A folder with a DICOMDIR is indexed through it (PS3.10 §8): fast on CDs, and complete for a file-set.
      if (files.length || !isDirectory) return files;
    } catch (err) {
      onError(dicomdir, `The DICOMDIR could not be read (${(err as Error).message}); the folder is scanned instead`);
    }
  }
  if (isDirectory) return walkFiles(root, onError);
  try {
    if (statSync(root).isFile()) return [root];
    onError(root, 'This is not a regular file (a pipe, socket or device): not read');
  } catch (err) {
    onError(root, `The file could not be opened: ${fsReason(err)}`);
  }
  return [];
}
