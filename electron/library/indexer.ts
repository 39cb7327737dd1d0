/**
 * Indexing a folder, a DICOMDIR or a CD root into the library: headers only, incremental by size
 * and modification time, bad files listed with a reason and the scan going on.
 */
import { closeSync, fstatSync, openSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import type { IndexError, IndexSummary } from '../../shared/contract/index.ts';
import { CourierError } from '../../shared/errors.ts';
import { DicomFileError, NotDicomError, readFileMeta, readHeaderFromFd } from '../dicom/header.ts';
import { MEDIA_STORAGE_DIRECTORY_SOP_CLASS } from '../dicom/tags.ts';
import { transaction, type Db } from '../store/db.ts';
import type { KnownPath, LibraryStore } from '../store/library.ts';
import { dicomdirFiles, findDicomdir, isDicomdirName, walkFiles } from './scan.ts';
import { summarize } from './summary.ts';

/** Options for one index run. */
export interface IndexOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, current: string) => void;
}

/** How many files to write per transaction, and how long to work before yielding to the event loop. */
const BATCH_FILES = 2000;
const SLICE_MS = 40;

/** Indexes `target` (a folder, a DICOMDIR file, or a single DICOM file) into the store. */
export async function indexPath(db: Db, store: LibraryStore, target: string, opts: IndexOptions = {}): Promise<IndexSummary> {
  const root = resolve(target);
  let rootStat;
  try {
    rootStat = statSync(root);
  } catch (err) {
    throw new CourierError('IO', `Cannot open ${root}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (err as Error).message}`);
  }
  const errors: IndexError[] = [];
  const files = listFiles(root, rootStat.isDirectory(), errors);
  const prefix = rootStat.isDirectory() ? (root.endsWith(sep) ? root : root + sep) : root;
  const known = store.knownPaths(prefix);
  const seen = new Set<string>();
  const instanceIds: number[] = [];
  let filesRead = 0;
  let filesUnchanged = 0;

  let i = 0;
  while (i < files.length) {
    if (opts.signal?.aborted) break;
    const sliceEnd = Date.now() + SLICE_MS;
    transaction(db, () => {
      const batchEnd = Math.min(files.length, i + BATCH_FILES);
      for (; i < batchEnd && Date.now() < sliceEnd; i++) {
        const path = files[i];
        seen.add(path);
        const outcome = indexOne(store, path, known.get(path));
        if (outcome.unchanged) filesUnchanged++;
        else filesRead++;
        if (outcome.instanceId !== undefined) instanceIds.push(outcome.instanceId);
        if (outcome.error) errors.push({ path, message: outcome.error });
      }
    });
    opts.onProgress?.(i, files.length, files[i - 1] ?? root);
    await new Promise<void>((r) => setImmediate(r));
  }
  if (opts.signal?.aborted) throw new CourierError('CANCELLED', `Indexing cancelled after ${i} of ${files.length} files`);

  // Files that were under this root before and are gone now (only when we walked the folder).
  transaction(db, () => {
    for (const path of known.keys()) if (!seen.has(path) && files.length > 0) store.forgetPath(path);
    store.pruneOrphans();
  });
  return { ...store.countsFor(instanceIds), errors, filesRead, filesUnchanged };
}

/** Which files to read: a DICOMDIR's references, or every file below a folder. */
function listFiles(root: string, isDirectory: boolean, errors: IndexError[]): string[] {
  const onError = (path: string, message: string) => errors.push({ path, message });
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

interface Outcome {
  unchanged: boolean;
  instanceId?: number;
  error?: string;
}

function indexOne(store: LibraryStore, path: string, known: KnownPath | undefined): Outcome {
  // open + fstat rather than stat + open: one path lookup per file (this loop is the hot path).
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    return { unchanged: false, error: `The file could not be opened: ${(err as Error).message}` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { unchanged: false };
    const mtimeMs = Math.trunc(st.mtimeMs);
    if (known && known.size === st.size && known.mtimeMs === mtimeMs) {
      if (known.kind === 'file') return { unchanged: true, instanceId: known.instanceId! };
      if (known.kind === 'error') return { unchanged: true, error: known.message! };
      return { unchanged: true };
    }
    try {
      const h = readHeaderFromFd(fd, st.size);
      if (h.meta?.MediaStorageSOPClassUID === MEDIA_STORAGE_DIRECTORY_SOP_CLASS) {
        // A DICOMDIR describes a file-set; it is not an instance itself (PS3.10 §8.6).
        store.putSkipped(path, st.size, mtimeMs);
        return { unchanged: false };
      }
      return { unchanged: false, instanceId: store.putFile(path, st.size, mtimeMs, summarize(h)) };
    } catch (err) {
      if (err instanceof NotDicomError || isDirectoryFile(path)) {
        store.putSkipped(path, st.size, mtimeMs);
        return { unchanged: false };
      }
      const message = err instanceof DicomFileError ? err.message : `The file could not be read: ${(err as Error).message}`;
      store.putError(path, st.size, mtimeMs, message);
      return { unchanged: false, error: message };
    }
  } catch (err) {
    return { unchanged: false, error: `The file could not be read: ${(err as Error).message}` };
  } finally {
    closeSync(fd);
  }
}

/** A DICOMDIR that failed to parse is still a directory, not a broken instance. */
function isDirectoryFile(path: string): boolean {
  try {
    return readFileMeta(path)?.MediaStorageSOPClassUID === MEDIA_STORAGE_DIRECTORY_SOP_CLASS;
  } catch {
    return false;
  }
}
