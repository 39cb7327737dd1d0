/**
 * Examining many files with a small pool of header workers (one per core, at most 4). Results
 * come back in batches to `onBatch`, on the calling thread, in no particular order.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Examined, Stamp } from './examine.ts';
import type { WorkerBatch, WorkerResult } from './headerWorker.ts';

const BATCH = 96;
const IN_FLIGHT_PER_WORKER = 2;

/** Where the worker script is: the .ts source under Node, the bundled .mjs beside main.mjs in the app. */
function workerUrl(): URL {
  return new URL(import.meta.url.endsWith('.ts') ? './headerWorker.ts' : './headerWorker.mjs', import.meta.url);
}

/** How many workers to use on this machine. */
export function poolSize(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/** Examines `items` in workers; resolves when all are done or the signal fires (then it rejects nothing, just stops). */
export async function examineInWorkers(
  items: { path: string; known?: Stamp }[],
  onBatch: (paths: string[], outcomes: Examined[]) => void,
  signal?: AbortSignal,
): Promise<void> {
  const workers = Array.from({ length: Math.min(poolSize(), Math.ceil(items.length / BATCH)) }, () => new Worker(workerUrl()));
  let next = 0;
  let batchId = 0;
  let pending = 0;
  const sent = new Map<number, string[]>();
  try {
    await new Promise<void>((resolve, reject) => {
      const feed = (w: Worker) => {
        if (signal?.aborted || next >= items.length) {
          if (pending === 0) resolve();
          return;
        }
        const slice = items.slice(next, next + BATCH);
        next += slice.length;
        const id = batchId++;
        sent.set(id, slice.map((i) => i.path));
        pending++;
        w.postMessage({ id, items: slice } satisfies WorkerBatch);
      };
      for (const w of workers) {
        w.on('message', (r: WorkerResult) => {
          pending--;
          const paths = sent.get(r.id)!;
          sent.delete(r.id);
          try {
            onBatch(paths, r.outcomes);
          } catch (err) {
            reject(err);
            return;
          }
          feed(w);
        });
        w.on('error', reject);
        w.on('exit', (code) => {
          if (code !== 0 && pending > 0) reject(new Error(`A header worker stopped unexpectedly (exit code ${code})`));
        });
        for (let i = 0; i < IN_FLIGHT_PER_WORKER; i++) feed(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
