/**
 * Crash safety (docs/data-safety.md invariant 2): `courier send --commit --delete-after-commit`
 * is killed with SIGKILL at a random point of send → commit → delete, then `courier commit`
 * resumes. After each seeded run: no file is gone without a committed record (and the PACS holds
 * it), every transaction the PACS was asked about was recorded first, every open transaction was
 * resumed or timed out, nothing was deleted twice, and the database is consistent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { freePort, spawnCli, tempDir } from '../../helpers.ts';
import { startPacs, type Delivery } from '../../../electron/pacs/pacs.ts';
import { makeStudy } from './study.ts';
import { runCliAsync } from './net.ts';

/** A small seeded PRNG (mulberry32), so a failing run can be replayed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Seed s kills in phase PHASES[s % 4] with delivery DELIVERIES[⌊s / 4⌋ % 3]: these cover the commit and
// delete phases in every delivery mode.
const SEEDS = (process.env.COMMIT_CRASH_SEEDS ?? '0,1,5,9,10,14,18,7').split(',').map(Number);
const DELIVERIES = ['same', 'new', 'next'] as const;
/** Where a run kills: while storing, right after the N-ACTION, in the middle of deleting, or any time. */
const PHASES = ['send', 'commit', 'delete', 'random'] as const;
const N = 10;

for (const seed of SEEDS) {
  test(`Crash_KilledAtRandomPoint_ResumesSafely_seed${seed}`, async (t) => {
    const random = rng(seed);
    const dir = tempDir();
    const home = join(dir.path, 'home');
    const studyDir = join(dir.path, 'study');
    const files = makeStudy(studyDir, N, seed);
    const refused = files[Math.floor(random() * N)];
    const delivery: Delivery = DELIVERIES[Math.floor(seed / 4) % 3];
    const listen = await freePort();
    const actions: string[] = [];
    const phase = PHASES[seed % PHASES.length];
    let kill = () => {};
    let storedCount = 0;
    const storeTarget = 1 + Math.floor(random() * (N - 1));
    const pacsLogLines: string[] = [];
    const pacs = await startPacs({
      port: 0, aeTitle: 'PACS', dir: join(dir.path, 'pacs'), delivery, delayMs: Math.floor(random() * 300),
      replyTo: { aeTitle: 'COURIER', host: '127.0.0.1', port: listen }, fail: new Map([[refused.sopInstanceUid, 0x0110]]),
      log: (line) => {
        const m = /^N-ACTION (\S+)/.exec(line);
        if (m) {
          actions.push(m[1]);
          if (phase === 'commit') setTimeout(() => kill(), Math.floor(random() * 150));
        }
        pacsLogLines.push(line);
        if (line.startsWith('stored ') && ++storedCount === storeTarget && phase === 'send') kill();
      },
    });
    t.after(async () => {
      await pacs.close();
      dir.cleanup();
    });

    const killAfter = Math.floor(random() * 3000);
    const deleteTarget = 1 + Math.floor(random() * (N - 2));
    const child = spawnCli(
      ['send', studyDir, '--to', `PACS@127.0.0.1:${pacs.port}`, '--ae', 'COURIER', '--commit', '--listen', String(listen),
        '--commit-timeout', '10', '--delete-after-commit', '--json'],
      home,
    );
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    kill = () => child.kill('SIGKILL');
    const timer = phase === 'random' ? setTimeout(kill, killAfter) : setTimeout(kill, 20_000);
    // In the delete phase, kill up to 45 ms after the target count of files is gone: between or inside
    // deletions (delete.test.ts stops one between its recorded intent and its unlink, and after the move aside).
    const deleteDelay = Math.floor(random() * 45);
    let armed = false;
    const poll = setInterval(() => {
      if (phase === 'delete' && !armed && files.filter((f) => !existsSync(f.path)).length >= deleteTarget) {
        armed = true;
        setTimeout(kill, deleteDelay);
      }
    }, 3);
    const code = await exit;
    clearTimeout(timer);
    clearInterval(poll);
    const killed = code === null;
    const gone = files.filter((f) => !existsSync(f.path)).length;
    t.diagnostic(`seed ${seed}: kill ${phase}${phase === 'random' ? ` after ${killAfter} ms` : ''}, delivery ${delivery} → ${killed ? 'killed' : `exited ${code}`}; ${storedCount} stored, ${actions.length} N-ACTION, ${gone} deleted`);
    if (!killed) assert.equal(code, 1, `send exits 1 when an instance is refused: ${stderr}`); // one instance is refused

    // Safety right after the crash, before anything resumes.
    const pacsLog = pacsLogLines;
    const diagnose = (what: string, fn: () => void) => {
      try {
        fn();
      } catch (err) {
        t.diagnostic(`${what} failed; send stderr:\n${stderr.slice(-2000)}\nresume:\n${resumeOut}\nPACS: ${pacsLog.join('\n')}`);
        throw err;
      }
    };
    let resumeOut = '';
    diagnose('safety after the crash', () => checkSafety(home, files, pacs, actions, false));
    t.diagnostic(`at the crash: ${stateAt(home)}`);

    // Resume: finish deletions, re-request lost reports (their accepter was dead), time out the rest.
    // Asynchronously: the PACS runs in this process and must keep answering meanwhile.
    const r = await runCliAsync(['commit', '--listen', String(listen), '--ae', 'COURIER', '--commit-timeout', '6', '--json'], home, 60_000);
    resumeOut = `exit ${r.status}\n${r.stdout}\n${r.stderr}`;
    diagnose('resume', () => assert.equal(r.status, 0, r.stderr));
    const resumed = JSON.parse(r.stdout) as { resumed: number; transactions: { state: string }[] };
    assert.ok(resumed.transactions.every((x) => x.state !== 'created' && x.state !== 'requested'));

    diagnose('safety after the resume', () => checkSafety(home, files, pacs, actions, true));
    assert.ok(existsSync(refused.path), 'the refused instance is kept');
    // Liveness: whatever the PACS holds and committed is gone locally once the resume is over.
    if (actions.length) {
      diagnose('liveness', () => {
        for (const f of files) if (f !== refused && pacs.stored.has(f.sopInstanceUid)) assert.ok(!existsSync(f.path), `${f.path} committed but kept`);
      });
    }
    void stdout;
  });
}

/** Transaction and deletion states in the database, for the diagnostics. */
function stateAt(home: string): string {
  const dbPath = join(home, 'courier.db');
  if (!existsSync(dbPath)) return 'no database yet';
  const db = new DatabaseSync(dbPath);
  try {
    // Killed while the database was being created: the file exists, its tables not yet.
    if (!db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'commit_instances'`).get()) return 'no commitment tables yet';
    const txns = db.prepare('SELECT state, count(*) AS n FROM commit_transactions GROUP BY state').all() as { state: string; n: number }[];
    const dels = db.prepare('SELECT coalesce(delete_state, \'-\') AS s, count(*) AS n FROM commit_instances GROUP BY delete_state').all() as { s: string; n: number }[];
    return `transactions ${txns.map((r) => `${r.state}:${r.n}`).join(' ') || 'none'}; deletion ${dels.map((r) => `${r.s}:${r.n}`).join(' ') || 'none'}`;
  } finally {
    db.close();
  }
}

function checkSafety(home: string, files: { path: string; sopInstanceUid: string }[], pacs: { stored: ReadonlyMap<string, unknown> }, actions: string[], resumed: boolean) {
  const dbPath = join(home, 'courier.db');
  if (!existsSync(dbPath)) {
    assert.ok(files.every((f) => existsSync(f.path)), 'no database, so nothing may be deleted');
    assert.equal(actions.length, 0, 'no N-ACTION may go out before its transaction is recorded');
    return;
  }
  const db = new DatabaseSync(dbPath);
  try {
    db.exec('PRAGMA busy_timeout = 5000');
    assert.equal((db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check, 'ok');
    assert.equal(db.prepare('PRAGMA foreign_key_check').all().length, 0);
    const count = (sql: string, ...args: string[]) => (db.prepare(sql).get(...args) as { n: number }).n;
    if (!count(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'commit_deletions'`)) {
      // Killed while the database was being created (a loaded machine takes seconds to get there).
      assert.ok(files.every((f) => existsSync(f.path)), 'no commitment tables yet, so nothing may be deleted');
      assert.equal(actions.length, 0, 'no N-ACTION may go out before its transaction is recorded');
      return;
    }
    // Every transaction the PACS was asked about was recorded before the N-ACTION went out.
    for (const uid of actions) assert.equal(count('SELECT count(*) AS n FROM commit_transactions WHERE transaction_uid = ?', uid), 1, `N-ACTION ${uid} not recorded`);
    // No file is gone without a committed record from the node (and the node holds it).
    for (const f of files) {
      if (existsSync(f.path)) continue;
      assert.ok(
        count(`SELECT count(*) AS n FROM commit_instances WHERE path = ? AND state = 'committed' AND delete_state IN ('deleting', 'deleted')`, f.path) >= 1,
        `${f.path} deleted without a committed record`,
      );
      assert.ok(pacs.stored.has(f.sopInstanceUid), `${f.sopInstanceUid} deleted but not held by the PACS`);
    }
    // Nothing deleted twice; deletion only of committed instances; the audit log matches.
    assert.equal(db.prepare('SELECT path FROM commit_deletions GROUP BY path HAVING count(*) > 1').all().length, 0);
    assert.equal(count(`SELECT count(*) AS n FROM commit_instances WHERE delete_state IN ('deleting', 'deleted') AND state <> 'committed'`), 0);
    assert.equal(
      count(`SELECT count(*) AS n FROM commit_instances WHERE delete_state = 'deleted'`),
      count('SELECT count(*) AS n FROM commit_deletions'),
    );
    assert.equal(count(`SELECT count(*) AS n FROM commit_deletions d LEFT JOIN commit_instances i ON i.id = d.commit_instance_id WHERE i.delete_state IS NOT 'deleted'`), 0);
    if (resumed) {
      // Every open transaction was resumed (reported) or timed out; interrupted deletions finished.
      assert.equal(count(`SELECT count(*) AS n FROM commit_transactions WHERE state IN ('created', 'requested')`), 0);
      assert.equal(count(`SELECT count(*) AS n FROM commit_instances WHERE state = 'pending'`), 0);
      assert.equal(count(`SELECT count(*) AS n FROM commit_instances WHERE delete_state = 'deleting'`), 0);
      assert.equal(
        count(`SELECT count(*) AS n FROM commit_instances i JOIN commit_transactions t ON t.id = i.transaction_id
               WHERE t.delete_after_commit = 1 AND i.state = 'committed' AND i.delete_state IS NULL`),
        0,
        'a committed instance was neither deleted nor kept with a reason',
      );
      // Files deleted ⇔ audited.
      for (const f of files) {
        const audited = count('SELECT count(*) AS n FROM commit_deletions WHERE path = ?', f.path) === 1;
        assert.equal(!existsSync(f.path), audited, `${f.path}: exists=${existsSync(f.path)} audited=${audited}`);
      }
    }
  } finally {
    db.close();
  }
}
