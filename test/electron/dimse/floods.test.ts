/**
 * Memory under floods: the storage commitment accepter (the app's CommitService on the shared DIMSE
 * server, floodTarget.ts) runs in a process of its own and is flooded over real sockets with each
 * kind of abuse a hostile peer could try: command fragments that never end, idle connections and
 * associations, huge declared PDU lengths, storage commitment reports (forged ones, each rejected),
 * callers refused (wrong address, unknown AE title, TLS), and datasets that never end. After each
 * flood its resident memory is within 50 MB of where it started, and it answers a C-ECHO within a
 * second.
 *
 * "Where it started" is read the strict way: where the target was before the first flood, not
 * before the flood just made, so what floods leave behind may not add up past 50 MB either. What
 * a flood may leave: the spare blocks incoming data was kept in (limits.ts, INBOUND_MEMORY_LIMIT
 * at most, used again by the next flood, not added to), and memory the allocator keeps.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { echo } from '../../../electron/dimse/echo.ts';
import { CommandField } from '../../../electron/dimse/command.ts';
import { STORAGE_COMMITMENT_SOP_CLASS, STORAGE_COMMITMENT_SOP_INSTANCE, encodeCommitReport } from '../../../electron/dimse/commitMessages.ts';
import { ROOT, tempDir } from '../../helpers.ts';
import { RawPeer, commandBytes, pdata } from './rawPeer.ts';

const linux = process.platform === 'linux';
const MB = 1024 * 1024;
const home = tempDir('courier-floods-');
let target: ChildProcess;
let port = 0;
let startRss = 0;
let floodRss = 0;

/** The target's resident memory (Linux /proc). */
const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${target.pid}/status`, 'utf8'))![1]) * 1024;

/** A C-ECHO from the known node; resolves with how long the whole exchange took. */
async function echoMs(): Promise<number> {
  const started = performance.now();
  const r = await echo({ host: '127.0.0.1', port, calledAe: 'COURIER', callingAe: 'FRIEND', timeouts: { connect: 5000, associate: 5000, response: 5000 } });
  assert.equal(r.status.code, 0);
  return performance.now() - started;
}

/** Notes the target's memory before a flood. */
function beforeFlood(): void {
  floodRss = rss();
}

/** After a flood: memory within 50 MB of where it was before the first flood, and a C-ECHO answered within a second. */
async function assertRecovered(what: string): Promise<void> {
  // Sockets the target aborted or we closed need a moment to be gone on its side.
  await new Promise((r) => setTimeout(r, 300));
  const ms = await echoMs();
  const now = rss();
  const mb = (n: number) => (n / MB).toFixed(1);
  console.log(`after ${what}: RSS ${mb(now)} MB, ${mb(floodRss)} MB before it, ${mb(startRss)} MB at the start (${await memory()}); C-ECHO in ${ms.toFixed(0)} ms`);
  assert.ok(now - startRss < 50 * MB, `${what}: RSS grew by ${mb(now - startRss)} MB since the start (${mb(now - floodRss)} MB in this flood)`);
  assert.ok(ms < 1000, `${what}: C-ECHO took ${ms.toFixed(0)} ms`);
}

/**
 * `n` associations of the known node. A connection refused at once (the target still holds the
 * flood's last connections, or as many as it takes from one address) is tried again, as a
 * flooder would.
 */
async function open(n: number, contexts: string[] = []): Promise<RawPeer[]> {
  const one = async (): Promise<RawPeer> => {
    for (let attempt = 0; attempt < 100; attempt++) {
      const p = await RawPeer.open(port);
      if (await p.associate('COURIER', 'FRIEND', contexts, 256 * 1024)) return p;
      assert.deepEqual(p.received, [], 'refused before any PDU, not rejected');
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the target refused 100 connections in a row');
  };
  return Promise.all(Array.from({ length: n }, one));
}

/** What the target's memory is made of (process.memoryUsage()), in MB. */
async function memory(): Promise<string> {
  const line = new Promise<string>((resolve) => {
    const on = (d: Buffer) => {
      const m = /\{"memory".*\}\n/.exec(d.toString());
      if (!m) return;
      target.stdout!.off('data', on);
      const u = (JSON.parse(m[0]) as { memory: Record<string, number> }).memory;
      resolve(Object.entries(u).map(([k, v]) => `${k} ${(v / MB).toFixed(1)}`).join(', '));
    };
    target.stdout!.on('data', on);
  });
  target.stdin!.write('memory\n');
  return line;
}

async function closeAll(peers: RawPeer[]): Promise<void> {
  for (const p of peers) p.destroy();
  await Promise.all(peers.map((p) => p.closed));
}

before(async () => {
  if (!linux) return;
  target = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'test/electron/dimse/floodTarget.ts'), home.path], { stdio: ['pipe', 'pipe', 'inherit'] });
  port = await new Promise<number>((resolve, reject) => {
    let out = '';
    target.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = /\{.*\}\n/.exec(out);
      if (line) resolve((JSON.parse(line[0]) as { port: number }).port);
    });
    target.once('exit', (code) => reject(new Error(`the flood target exited (${code})`)));
  });
  await echoMs();
  startRss = rss();
});

after(async () => {
  if (target && target.exitCode === null) {
    const exited = new Promise((r) => target.once('exit', r));
    target.kill('SIGTERM');
    await exited;
  }
  home.cleanup();
});

test('Flood_CommandFragmentsThatNeverEnd', { skip: !linux }, async () => {
  beforeFlood();
  const fragment = Buffer.alloc(1024, 0x20);
  const piece = Buffer.concat(Array.from({ length: 64 }, () => pdata(3, true, false, fragment)));
  for (let round = 0; round < 20; round++) {
    const peers = await open(7, [STORAGE_COMMITMENT_SOP_CLASS]);
    // Each would send 16 MB of command fragments, none marked last (PS3.8 §9.3.5.1).
    // (The target stops reading as it aborts: its A-ABORT may be lost in the reset, the connection is not.)
    await Promise.all(
      peers.map(async (p) => {
        for (let i = 0; i < 256 && !p.isClosed; i++) {
          p.write(piece);
          await new Promise((r) => setImmediate(r));
        }
        await p.closed;
      }),
    );
  }
  await assertRecovered('command fragments');
});

test('Flood_IdleConnectionsAndAssociations', { skip: !linux }, async () => {
  beforeFlood();
  // 200 connections from another host that never say anything, and associations that go quiet.
  const silent: RawPeer[] = [];
  for (let i = 0; i < 200; i++) silent.push(await RawPeer.open(port, '127.0.0.2'));
  await new Promise((r) => setTimeout(r, 200));
  const held = silent.filter((p) => !p.isClosed);
  assert.ok(held.length <= 8, `${held.length} silent connections held from one address`);
  const idle = await open(7);
  await assertRecovered('idle connections and associations (still held)');
  await closeAll([...silent, ...idle]);
});

test('Flood_HugeDeclaredLengths', { skip: !linux }, async () => {
  beforeFlood();
  for (let i = 0; i < 100; i++) {
    const [p] = await open(1);
    p.write(Buffer.from([0x04, 0, 0xff, 0xff, 0xff, 0xf0]));
    await p.closed;
    assert.ok(p.aborted);
  }
  // P-DATA-TFs within the limit, declared at 1 MB, of which most comes and then nothing more.
  const stalled = await open(7);
  const almost = Buffer.alloc(6 + 1_000_000);
  almost[0] = 0x04;
  almost.writeUInt32BE(1_048_000, 2);
  for (const p of stalled) p.write(almost);
  await assertRecovered('huge declared lengths (7 stalled PDUs still held)');
  await closeAll(stalled);
});

test('Flood_ForgedCommitmentReports_PipelinedOnesAborted_OthersSlowedDownAndLoggedInBatches', { skip: !linux }, async () => {
  beforeFlood();
  // The known node's AE title and address, sending reports for a transaction that does not exist.
  const report = encodeCommitReport({ TransactionUID: '2.25.999', referenced: [{ SOPClassUID: '1.2.840.10008.5.1.4.1.1.2', SOPInstanceUID: '1.2.3.4' }], failed: [] });
  const rq = (id: number) =>
    Buffer.concat([
      pdata(3, true, true, commandBytes({ CommandField: CommandField.NEventReportRq, MessageID: id, AffectedSOPClassUID: STORAGE_COMMITMENT_SOP_CLASS, AffectedSOPInstanceUID: STORAGE_COMMITMENT_SOP_INSTANCE, EventTypeID: 1, CommandDataSetType: 0 })),
      pdata(3, false, true, report),
    ]);
  const answered = (p: RawPeer) => p.received.filter((x) => x.type === 'p-data').length;
  // 1,000 at once on each of four associations, without waiting for the answers: aborted.
  const pipelined = await open(4, [STORAGE_COMMITMENT_SOP_CLASS]);
  for (const p of pipelined) p.write(Buffer.concat(Array.from({ length: 1000 }, (_, i) => rq(i + 1))));
  await Promise.all(pipelined.map((p) => p.closed));
  for (const p of pipelined) assert.ok(answered(p) <= 17, `${answered(p)} answered before the abort`);
  // One at a time, as fast as the answers come, on four associations for two seconds: slowed down.
  const polite = await open(4, [STORAGE_COMMITMENT_SOP_CLASS]);
  const until = Date.now() + 2000;
  const echoes: Promise<number>[] = [];
  await Promise.all(
    polite.map(async (p) => {
      for (let id = 1; Date.now() < until; id++) {
        p.write(rq(id));
        await p.until(() => answered(p) >= id, Math.max(1, until - Date.now()));
        if (id === 30) echoes.push(echoMs());
      }
    }),
  );
  const counts = polite.map(answered);
  await closeAll(polite);
  const echoWhileFlooded = Math.max(0, ...(await Promise.all(echoes)));
  await new Promise((r) => setTimeout(r, 1200)); // the last batch of log lines
  const db = new DatabaseSync(join(home.path, 'courier.db'), { readOnly: true });
  const rows = (db.prepare('SELECT count(*) AS n FROM commit_report_log').get() as { n: number }).n;
  db.close();
  console.log(`forged reports answered one at a time in 2 s: ${counts.join(', ')}; ${rows} report log rows; a C-ECHO meanwhile in ${echoWhileFlooded.toFixed(0)} ms`);
  // 20 at once, then 20 a second.
  for (const n of counts) assert.ok(n >= 20 && n <= 20 + 2 * 20 + 5, `${n} reports answered on one association in 2 s`);
  assert.ok(rows <= counts.reduce((a, b) => a + b, 0) + 4 * 17 + 2, `${rows} log rows`);
  assert.ok(echoWhileFlooded < 1000, `a C-ECHO during the flood took ${echoWhileFlooded.toFixed(0)} ms`);
  await assertRecovered('forged reports');
});

test('Flood_RefusedCallers', { skip: !linux }, async () => {
  beforeFlood();
  // Callers the accepter refuses, 40 of each: the known node's AE title from another address, an
  // unknown AE title, and DICOM over TLS (the target has no certificate, so it is refused at once).
  const tlsHello = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00]);
  for (let i = 0; i < 40; i++) {
    const [far, stranger, tls] = await Promise.all([RawPeer.open(port, '127.0.0.2'), RawPeer.open(port), RawPeer.open(port)]);
    tls.write(tlsHello);
    const answers = await Promise.all([far.associate('COURIER', 'FRIEND'), stranger.associate('COURIER', 'STRANGER')]);
    assert.deepEqual(answers, [null, null], 'both associations rejected');
    assert.ok(far.received.some((p) => p.type === 'associate-rj') && stranger.received.some((p) => p.type === 'associate-rj'));
    assert.ok(await tls.until(() => tls.isClosed, 5000), 'the TLS connection is closed');
    await closeAll([far, stranger, tls]);
  }
  await assertRecovered('refused callers');
});

test('Flood_DatasetsThatNeverEnd', { skip: !linux }, async () => {
  beforeFlood();
  // Reports whose Event Information (kept in memory) comes to 6 MB and then stops: seven of them
  // at once would make the target hold more than all associations together may.
  const piece = Buffer.concat(Array.from({ length: 6 }, () => pdata(3, false, false, Buffer.alloc(200 * 1024, 1))));
  for (let round = 0; round < 3; round++) {
    const peers = await open(7, [STORAGE_COMMITMENT_SOP_CLASS]);
    for (const p of peers) {
      p.write(pdata(3, true, true, commandBytes({ CommandField: CommandField.NEventReportRq, MessageID: 1, AffectedSOPClassUID: STORAGE_COMMITMENT_SOP_CLASS, AffectedSOPInstanceUID: STORAGE_COMMITMENT_SOP_INSTANCE, EventTypeID: 1, CommandDataSetType: 0 })));
      for (let i = 0; i < 5 && !p.isClosed; i++) {
        p.write(piece);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    // (The target reads at its own pace; give it time to read what was sent.)
    await peers[0].until(() => peers.filter((p) => p.isClosed).length >= 2, 5000);
    await new Promise((r) => setTimeout(r, 500));
    const ended = peers.filter((p) => p.isClosed).length;
    assert.ok(ended >= 1 && ended < peers.length, `${ended} of ${peers.length} aborted: those past the memory all may hold, not the others`);
    await closeAll(peers);
  }
  await assertRecovered('datasets that never end');
});
