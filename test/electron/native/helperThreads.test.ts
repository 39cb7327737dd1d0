// V8's helper threads moved to SCHED_IDLE (Linux), checked in a child process through /proc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const moduleUrl = new URL('../../../electron/native/helperThreads.ts', import.meta.url).href;

/** Runs `body` in a fresh Node process that has imported helperThreads.ts; returns what it printed as JSON. */
function inChild(body: string): unknown {
  const script = `
    import { readFileSync, readdirSync } from 'node:fs';
    import { readFile } from 'node:fs/promises';
    import * as helpers from ${JSON.stringify(moduleUrl)};
    // The scheduling policy of each thread: field 41 of /proc/<pid>/task/<tid>/stat (proc(5)).
    const threads = () => readdirSync('/proc/self/task').map((tid) => {
      const stat = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8');
      return { tid: Number(tid), name: readFileSync('/proc/self/task/' + tid + '/comm', 'utf8').trim(), policy: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]) };
    });
    ${body}
  `;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('../../..', import.meta.url)), encoding: 'utf8' }));
}

test('V8 helper threads run at idle priority; the main thread, libuv pool and timer thread do not', { skip: process.platform !== 'linux' }, () => {
  const r = inChild(`
    await readFile('/proc/self/stat'); // starts libuv's pool, which must keep its priority
    const helpers_ = helpers.helperThreadIds();
    const moved = helpers.idleHelperThreads();
    console.log(JSON.stringify({ pid: process.pid, helpers: helpers_, moved, threads: threads() }));
  `) as { pid: number; helpers: number[]; moved: number; threads: { tid: number; name: string; policy: number }[] };
  assert.ok(r.helpers.length >= 4, `Node's platform has 4 workers by default; found ${r.helpers.length}`);
  assert.equal(r.moved, r.helpers.length);
  const SCHED_OTHER = 0;
  const SCHED_IDLE = 5;
  for (const t of r.threads) {
    const expected = r.helpers.includes(t.tid) ? SCHED_IDLE : SCHED_OTHER;
    assert.equal(t.policy, expected, `${t.name} (${t.tid}${t.tid === r.pid ? ', main' : ''})`);
  }
  assert.ok(r.threads.some((t) => t.name === 'libuv-worker' && t.policy === SCHED_OTHER), 'the libuv pool is left as it was');
  assert.ok(!r.helpers.includes(r.pid));
});

test('where there is nothing to move, nothing is moved and nothing fails', { skip: process.platform === 'linux' }, () => {
  const r = inChild(`console.log(JSON.stringify({ ids: helpers.helperThreadIds(), moved: helpers.idleHelperThreads() }));`) as { ids: number[]; moved: number };
  assert.deepEqual(r, { ids: [], moved: 0 });
});
