/**
 * V8's helper threads in a plain Node process (its optimizing compiler and garbage collector run
 * there) moved to the SCHED_IDLE scheduling class (Linux, sched(7)): they run whenever a CPU is
 * free, and give it up at once to our event loop or to any other process that wakes.
 *
 * Why: a store is a ping-pong: we write a dataset, the peer stores it and answers, we write the
 * next. Sending the 600-slice CT to storescp on a 2-core VM, `perf sched` showed the stores that
 * took longest (over 1.6 times the median, about one in ten) were those during which a helper was
 * compiling our hot code or marking the heap: the woken event loop or storescp waited behind it,
 * often with the other CPU idle. With `--no-opt` there were a third as many such stores. SCHED_IDLE
 * keeps the optimizing compiler and takes the helpers out of the way (nice 19 did not: the
 * scheduler still let them finish their slice). 5 rounds interleaved: the time lost to those slow
 * stores went from 61 ms to 31 ms a run, the transfer from 495 ms to 473 ms.
 *
 * Only for the `courier send` command: there the process is ours, and the threads that carry the
 * process's own name are V8's platform workers (Node leaves them unnamed; libuv's pool is called
 * "libuv-worker", the delayed-task thread "DelayedTaskSche"). Electron's V8 runs its tasks on
 * Chromium's thread pool, which is left alone.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { libcFunction } from './libc.ts';
import { logger } from '../log.ts';

const log = logger('main');

/** SCHED_IDLE in <sched.h> (Linux only). */
const SCHED_IDLE = 5;

/** The name the kernel shows for a thread of this process (/proc/self/task/<tid>/comm). */
function threadName(tid: string): string | null {
  try {
    return readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
  } catch {
    return null; // it ended meanwhile
  }
}

/**
 * The threads of this process that carry the process's own name, other than the main thread: in
 * Node, V8's platform workers (Node leaves them unnamed).
 */
export function helperThreadIds(): number[] {
  if (process.platform !== 'linux') return [];
  const main = threadName(String(process.pid));
  if (!main) return [];
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return []; // no /proc (a sandbox): nothing to move
  }
  return tids.filter((tid) => tid !== String(process.pid) && threadName(tid) === main).map(Number);
}

/**
 * Moves V8's helper threads to SCHED_IDLE (Linux; elsewhere, or without koffi, nothing happens).
 * Returns how many were moved.
 */
export function idleHelperThreads(): number {
  const ids = helperThreadIds();
  if (!ids.length) return 0;
  const setScheduler = libcFunction('int sched_setscheduler(int pid, int policy, const int *param)');
  if (!setScheduler) return 0;
  // struct sched_param is one int, sched_priority: 0 for SCHED_IDLE.
  const param = new Int32Array([0]);
  let moved = 0;
  for (const tid of ids) if (setScheduler(tid, SCHED_IDLE, param) === 0) moved++;
  log.debug(`${moved} of ${ids.length} V8 helper threads run at idle priority`);
  return moved;
}
