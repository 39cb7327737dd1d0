/**
 * `npm run bench:send`: Courier's `courier send` versus DCMTK `storescu`, back to back, to the same
 * `storescp +B` on loopback (both DCMTK tools with TCP_NODELAY=1), for the 600-slice 512×512 CT
 * series and 5,000 small files. Each time is taken less the same tool's time to send one small file
 * (process start-up and association set-up), and the two are compared (issue 5, target ratio ≤ 1).
 * Courier sends from its library (the corpus is indexed once before timing, as in the app); its
 * peak RSS while sending the CT series is measured with /usr/bin/time.
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
const ASSOCIATIONS = Number(process.env.SEND_BENCH_ASSOCIATIONS ?? 1);
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
  const spans: Record<string, { courier: number[]; storescu: number[] }> = {};
  const courier = (dir: string, name: string) => {
    clean();
    const t = timeCommand(node, [...cli, 'send', dir, '--to', `STORESCP@127.0.0.1:${port}`, '--associations', String(ASSOCIATIONS)], { env });
    spans[name].courier.push(receivedSpan());
    return t;
  };
  const storescu = (dir: string, name: string) => {
    clean();
    const t = timeCommand('storescu', ['-aet', 'STORESCU', '-aec', 'STORESCP', '+sd', '+r', '127.0.0.1', String(port), dir], { env });
    spans[name].storescu.push(receivedSpan());
    return t;
  };
  const results: Record<string, { courier: number[]; storescu: number[] }> = {};
  for (const name of Object.keys(corpora) as (keyof typeof corpora)[]) {
    results[name] = { courier: [], storescu: [] };
    spans[name] = { courier: [], storescu: [] };
    for (let i = 0; i < RUNS; i++) {
      // Alternate which tool goes first, so page cache and warm-up favour neither.
      if (i % 2) {
        results[name].storescu.push(storescu(corpora[name], name));
        results[name].courier.push(courier(corpora[name], name));
      } else {
        results[name].courier.push(courier(corpora[name], name));
        results[name].storescu.push(storescu(corpora[name], name));
      }
    }
    const n = readdirSync(received).length;
    const expected = name === 'ct600' ? 600 : name === 'small5000' ? 5000 : 1;
    if (n !== expected) throw new Error(`${name}: storescp received ${n} files, expected ${expected}`);
  }
  // Peak memory of Courier sending the CT series.
  clean();
  const timed = spawnSync('/usr/bin/time', ['-f', '%M', node, ...cli, 'send', corpora.ct600, '--to', `STORESCP@127.0.0.1:${port}`], { env, encoding: 'utf8' });
  const rssMb = Number(timed.stderr.trim().split('\n').at(-1)) / 1024;

  const one = { courier: median(results.one.courier), storescu: median(results.one.storescu) };
  console.log(`send benchmark (median of ${RUNS}; ${ASSOCIATIONS} association(s) for Courier)`);
  console.log(`one small file: courier ${fmt(one.courier)}, storescu ${fmt(one.storescu)}`);
  for (const name of ['ct600', 'small5000'] as const) {
    const { courier: cs, storescu: ss } = results[name];
    const c = median(cs) - one.courier;
    const s = median(ss) - one.storescu;
    // The two tools run back to back in each round, so a round's ratio is less exposed to the machine
    // getting faster or slower between rounds than the ratio of the medians is.
    const paired = cs.map((ci, i) => (ci - one.courier) / (ss[i] - one.storescu));
    console.log(`${name}: courier ${fmt(median(cs))} (net ${fmt(c)}; runs ${range(cs)}), storescu ${fmt(median(ss))} (net ${fmt(s)}; runs ${range(ss)})`);
    console.log(`${name}: time ratio courier/storescu = ${(c / s).toFixed(2)} (≤ 1.00 meets the target); ` +
      `per round: median ${median(paired).toFixed(2)}, ${Math.min(...paired).toFixed(2)}–${Math.max(...paired).toFixed(2)}`);
    const span = { courier: median(spans[name].courier), storescu: median(spans[name].storescu) };
    console.log(`${name}: storescp's first to last file: courier ${fmt(span.courier)}, storescu ${fmt(span.storescu)}; ratio ${(span.courier / span.storescu).toFixed(2)} (the transfer alone, for diagnosis)`);
  }
  console.log(`courier peak RSS sending ct600: ${rssMb.toFixed(0)} MB (target < 300 MB)`);
} finally {
  scp.kill();
  tmp.cleanup();
}
