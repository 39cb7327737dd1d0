/**
 * Indexing a folder, a DICOMDIR or a CD root into the library: headers only, incremental by size
 * and modification time, bad files listed with a reason and the scan going on.
 */
import { statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import type { IndexError, IndexSummary } from '../../shared/contract/index.ts';
import { CourierError } from '../../shared/errors.ts';
import { fsReason } from '../dicom/files.ts';
import { transaction, type Db } from '../store/db.ts';
import type { LibraryStore } from '../store/library.ts';
import { examineFile, type Examined, type Stamp } from './examine.ts';
import { examineInWorkers, poolSize } from './headerPool.ts';
import { filesToRead } from './scan.ts';

/** Options for one index run. */
export interface IndexOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, current: string) => void;
}

/** How many files to write per transaction, and how long to work before yielding to the event loop. */
const BATCH_FILES = 2000;
const SLICE_MS = 40;
/** From this many new files on, header workers pay for their start-up (about 50 ms). */
const PARALLEL_FROM = 1500;

/** Indexes `target` (a folder, a DICOMDIR file, or a single DICOM file) into the store. */
export async function indexPath(db: Db, store: LibraryStore, target: string, opts: IndexOptions = {}): Promise<IndexSummary> {
  const root = resolve(target);
  let rootStat;
  try {
    rootStat = statSync(root);
  } catch (err) {
    throw new CourierError('IO', `Cannot open ${root}: ${fsReason(err)}`);
  }
  const errors: IndexError[] = [];
  const files = filesToRead(root, rootStat.isDirectory(), (path, message) => errors.push({ path, message }));
  const prefix = rootStat.isDirectory() ? (root.endsWith(sep) ? root : root + sep) : root;
  const known = store.knownPaths(prefix);
  const instanceIds: number[] = [];
  let done = 0;
  let filesRead = 0;
  let filesUnchanged = 0;

  /** Records what examining one file found; runs inside a transaction. */
  const apply = (path: string, outcome: Examined) => {
    const before = known.get(path);
    done++;
    if (outcome.kind === 'unreadable') {
      errors.push({ path, message: outcome.message });
      return;
    }
    if (outcome.kind === 'unchanged' && before) {
      filesUnchanged++;
      if (before.kind === 'file') instanceIds.push(before.instanceId!);
      else if (before.kind === 'error') errors.push({ path, message: before.message! });
      return;
    }
    filesRead++;
    if (outcome.kind === 'instance') instanceIds.push(store.putFile(path, outcome.size, outcome.mtimeMs, outcome.record));
    else if (outcome.kind === 'skipped') store.putSkipped(path, outcome.size, outcome.mtimeMs);
    else if (outcome.kind === 'error') {
      store.putError(path, outcome.size, outcome.mtimeMs, outcome.message);
      errors.push({ path, message: outcome.message });
    }
  };
  const stampOf = (path: string): Stamp | undefined => {
    const k = known.get(path);
    // A file indexed before sends were checked at index time is read once more, to check it.
    // So is one indexed before the library kept what tells copies apart (content key, patient).
    if (!k || (k.kind === 'file' && (!k.sendChecked || !k.conflictChecked))) return undefined;
    return { size: k.size, mtimeMs: k.mtimeMs };
  };

  const unknown = files.reduce((n, p) => (stampOf(p) ? n : n + 1), 0);
  if (unknown >= PARALLEL_FROM && poolSize() > 1 && process.env.COURIER_INDEX_WORKERS !== '0') {
    // Many new files: workers read and parse on every core; this thread only writes the database.
    // (A re-index of known files is a stat per file: faster here than a worker's start-up.)
    // Outcomes are written in few large transactions: each commit is an fsync (synchronous=FULL).
    let pending: [string, Examined][] = [];
    let lastFlush = Date.now();
    const flush = () => {
      const batch = pending;
      pending = [];
      lastFlush = Date.now();
      transaction(db, () => batch.forEach(([p, o]) => apply(p, o)));
      if (batch.length) opts.onProgress?.(done, files.length, batch.at(-1)![0]);
    };
    await examineInWorkers(
      files.map((path) => ({ path, known: stampOf(path) })),
      (paths, outcomes) => {
        paths.forEach((p, k) => pending.push([p, outcomes[k]]));
        if (pending.length >= BATCH_FILES || Date.now() - lastFlush >= 4 * SLICE_MS) flush();
      },
      opts.signal,
    );
    flush();
  } else {
    let i = 0;
    while (i < files.length && !opts.signal?.aborted) {
      const sliceEnd = Date.now() + SLICE_MS;
      transaction(db, () => {
        for (const batchEnd = Math.min(files.length, i + BATCH_FILES); i < batchEnd && Date.now() < sliceEnd; i++) {
          apply(files[i], examineFile(files[i], stampOf(files[i])));
        }
      });
      opts.onProgress?.(i, files.length, files[i - 1] ?? root);
      // Yield so the app stays responsive (IPC, other jobs) while a large folder is indexed.
      await new Promise<void>((r) => setImmediate(r));
    }
  }
  if (opts.signal?.aborted) throw new CourierError('CANCELLED', `Indexing cancelled after ${done} of ${files.length} files`);

  // Files that were under this root before and are gone now.
  const seen = new Set(files);
  transaction(db, () => {
    for (const path of known.keys()) if (!seen.has(path) && files.length > 0) store.forgetPath(path);
    store.pruneOrphans();
  });
  return { ...store.countsFor(instanceIds), errors, filesRead, filesUnchanged };
}
