/**
 * A header worker: examines batches of files off the main thread, so indexing reads and parses
 * on every core while the indexing thread writes to the database.
 */
import { parentPort } from 'node:worker_threads';
import { examineFile, type Examined, type Stamp } from './examine.ts';

/** A batch sent to a worker. */
export interface WorkerBatch {
  id: number;
  items: { path: string; known?: Stamp }[];
}
/** A worker's answer: one outcome per item, in order. */
export interface WorkerResult {
  id: number;
  outcomes: Examined[];
}

parentPort?.on('message', (batch: WorkerBatch) => {
  const outcomes = batch.items.map((item) => examineFile(item.path, item.known));
  parentPort!.postMessage({ id: batch.id, outcomes } satisfies WorkerResult);
});
