/**
 * `npm run bench:send`: Courier's `courier send` versus DCMTK `storescu`, back to back, to the same
 * `storescp +B --fork` on loopback (both DCMTK tools with TCP_NODELAY=1), for the 600-slice 512×512
 * CT series and 5,000 small files. Each time is taken less the same tool's time to send one small
 * file (process start-up and association set-up), and the two are compared (target ratio
 * ≤ 1). Courier runs twice a round: on one association, like storescu, and on as many as the node
 * allows (`--associations`, 2 here; storescp forks a process per association). Courier sends from
 * its library (the corpus is indexed once before timing, as in the app); its peak RSS while sending
 * the CT series is measured with /usr/bin/time.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureCorpus } from '../fixtures/generate.ts';
import { freePort, tempDir } from '../helpers.ts';
import { waitForListening } from '../electron/dimse/peers.ts';
import { courierCli, fmt, median, range, timeCommand } from './benchUtil.ts';

// Seven runs a tool: on a shared 2-core machine a single run of either tool varies by ±20%.
const RUNS = Number(process.env.SEND_BENCH_RUNS ?? 7);
// Courier's configurations: one association, and the node's parallel associations (1 drops that run).
const PARALLEL = Number(process.env.SEND_BENCH_ASSOCIATIONS ?? 2);
const TOOLS = ['courier', ...(PARALLEL > 1 ? ['courierParallel'] : []), 'storescu'] as const;
type Tool = (typeof TOOLS)[number];
const LABEL: Record<Tool, string> = { courier: 'courier (1 association)', courierParallel: `courier (${PARALLEL} associations)`, storescu: 'storescu' };
const tmp = tempDir('courier-bench-send-');
const home = join(tmp.path, 'home');
const received = join(tmp.path, 'received');
mkdirSync(received);
const env = { ...process.env, TCP_NODELAY: '1', COURIER_HOME: home };
const corpora = { ct600: ensureCorpus('ct600'), small5000: ensureCorpus('small5000'), one: ensureCorpus('one') };

const port = await freePort();
// --fork lets Courier's parallel associations (when asked for) be served at once; one association behaves as without it.
const scp = spawn('storescp', ['--aetitle', 'STORESCP', '+B', '--fork', '-od', received, String(port)], { env, stdio: 'ignore' });
try {
  await waitForListening(port, scp);
  const cli = courierCli();
  const node = process.execPath;
  for (const dir of Object.values(corpora)) {
    const r = spawnSync(node, [...cli, 'index', dir], { env, stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`indexing ${dir} failed`);
  }
  const clean = () => {
    rmSync(received, { recursive: true, force: true });
    mkdirSync(received);
    // The last run's thousands of files are written back now, not during the next tool's run.
    spawnSync('sync');
  };
  // The transfer as the receiver saw it: from its first file written to its last (no start-up in it).
  const receivedSpan = () => {
    const times = readdirSync(received).map((f) => statSync(join(received, f)).mtimeMs);
    return times.length > 1 ? (Math.max(...times) - Math.min(...times)) / 1000 : 0;
  };
  const commandOf = (tool: Tool, dir: string): [string, string[]] =>
    tool === 'storescu'
      ? ['storescu', ['-aet', 'STORESCU', '-aec', 'STORESCP', '+sd', '+r', '127.0.0.1', String(port), dir]]
      : [node, [...cli, 'send', dir, '--to', `STORESCP@127.0.0.1:${port}`, '--associations', String(tool === 'courier' ? 1 : PARALLEL)]];
  const perTool = () => Object.fromEntries(TOOLS.map((t) => [t, [] as number[]])) as Record<Tool, number[]>;
  const results: Record<string, Record<Tool, number[]>> = {};
  const spans: Record<string, Record<Tool, number[]>> = {};
  const expected = { ct600: 600, small5000: 5000, one: 1 };
  for (const name of Object.keys(corpora) as (keyof typeof corpora)[]) {
    results[name] = perTool();
    spans[name] = perTool();
    for (let i = 0; i < RUNS; i++) {
      // Rotate which tool goes first, so page cache and warm-up favour none.
      for (let k = 0; k < TOOLS.length; k++) {
        const tool = TOOLS[(i + k) % TOOLS.length];
        clean();
        const [cmd, args] = commandOf(tool, corpora[name]);
        results[name][tool].push(timeCommand(cmd, args, { env }));
        const n = readdirSync(received).length;
        if (n !== expected[name]) throw new Error(`${name}: storescp received ${n} files from ${LABEL[tool]}, expected ${expected[name]}`);
        spans[name][tool].push(receivedSpan());
      }
    }
  }
  // Peak memory of Courier sending the CT series.
  clean();
  const timed = spawnSync('/usr/bin/time', ['-f', '%M', node, ...cli, 'send', corpora.ct600, '--to', `STORESCP@127.0.0.1:${port}`], { env, encoding: 'utf8' });
  const rssMb = Number(timed.stderr.trim().split('\n').at(-1)) / 1024;

  const one = Object.fromEntries(TOOLS.map((t) => [t, median(results.one[t])])) as Record<Tool, number>;
  console.log(`send benchmark (median of ${RUNS} runs a tool)`);
  console.log(`one small file: ${TOOLS.map((t) => `${LABEL[t]} ${fmt(one[t])}`).join(', ')}`);
  for (const name of ['ct600', 'small5000'] as const) {
    const ss = results[name].storescu;
    const s = median(ss) - one.storescu;
    console.log(`${name}: storescu ${fmt(median(ss))} (net ${fmt(s)}; runs ${range(ss)})`);
    for (const tool of TOOLS.filter((t) => t !== 'storescu')) {
      const cs = results[name][tool];
      const c = median(cs) - one[tool];
      // The tools run back to back in each round, so a round's ratio is less exposed to the machine
      // getting faster or slower between rounds than the ratio of the medians is.
      const paired = cs.map((ci, i) => (ci - one[tool]) / (ss[i] - one.storescu));
      const span = median(spans[name][tool]) / median(spans[name].storescu);
      console.log(`${name}: ${LABEL[tool]} ${fmt(median(cs))} (net ${fmt(c)}; runs ${range(cs)})`);
      console.log(`  time ratio to storescu = ${(c / s).toFixed(2)} (≤ 1.00 meets the target); per round: median ${median(paired).toFixed(2)}, ` +
        `${Math.min(...paired).toFixed(2)}–${Math.max(...paired).toFixed(2)}; storescp's first to last file: ratio ${span.toFixed(2)} (the transfer alone)`);
    }
  }
  console.log(`courier peak RSS sending ct600: ${rssMb.toFixed(0)} MB (target < 300 MB)`);
} finally {
  scp.kill();
  tmp.cleanup();
}
