/**
 * `npm run bench:index`: `courier index` (fresh library each run, database writes included)
 * against DCMTK `dcmdump +sd +r -q +sb PixelData` over the same files, back to back.
 * Each tool's time is taken less its own time for a one-file folder, so process start-up does
 * not count. Then peak memory while indexing 20,000 files. Target: ratio ≤ 1.0, memory < 300 MB.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCorpus } from '../fixtures/generate.ts';
import { courierCli, fmt, median, timeCommand } from './benchUtil.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const cli = [...courierCli(), 'index'];

function courierOnce(folder: string): number {
  const home = mkdtempSync(join(tmpdir(), 'courier-bench-'));
  try {
    return timeCommand(process.execPath, [...cli, folder, '--json'], { env: { ...process.env, COURIER_HOME: home } });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
const dcmdumpOnce = (folder: string) => timeCommand('dcmdump', ['+sd', '+r', '-q', '+sb', 'PixelData', folder]);

console.log('Preparing corpora (generated once under test/.tmp/corpus)…');
const one = ensureCorpus('one');
const corpora = { '5,000 small files': ensureCorpus('small5000'), '600-slice 512×512 CT': ensureCorpus('ct600') };

// Warm the page cache so neither tool pays for the first read.
for (const dir of [one, ...Object.values(corpora)]) dcmdumpOnce(dir);

const baseC: number[] = [];
const baseD: number[] = [];
for (let i = 0; i < RUNS; i++) {
  baseC.push(courierOnce(one));
  baseD.push(dcmdumpOnce(one));
}
const startC = median(baseC);
const startD = median(baseD);
console.log(`one-file folder: courier ${fmt(startC)}, dcmdump ${fmt(startD)} (start-up, subtracted below)`);

let worst = 0;
for (const [name, dir] of Object.entries(corpora)) {
  const c: number[] = [];
  const d: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    // Alternate the tools so both see the same machine state.
    c.push(courierOnce(dir));
    d.push(dcmdumpOnce(dir));
  }
  const netC = Math.max(0.001, median(c) - startC);
  const netD = Math.max(0.001, median(d) - startD);
  const ratio = netC / netD;
  worst = Math.max(worst, ratio);
  console.log(`${name}: courier ${fmt(netC)} vs dcmdump ${fmt(netD)} → ratio ${ratio.toFixed(2)}× (target ≤ 1.00×)`);
}

console.log('Peak memory while indexing 20,000 files…');
const big = ensureCorpus('small20000');
const home = mkdtempSync(join(tmpdir(), 'courier-bench-'));
const mem = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', 'test/bench/indexMemory.ts', big], {
  encoding: 'utf8',
  env: { ...process.env, COURIER_HOME: home },
});
rmSync(home, { recursive: true, force: true });
if (mem.status !== 0) throw new Error(mem.stderr);
const { maxRssMB, seconds, instances } = JSON.parse(mem.stdout) as { maxRssMB: number; seconds: number; instances: number };
console.log(`20,000 files: ${instances} instances in ${seconds.toFixed(2)} s, peak RSS ${maxRssMB.toFixed(0)} MB (target < 300 MB)`);
console.log(`worst ratio ${worst.toFixed(2)}×`);
if (process.argv.includes('--check') && (worst > 1 || maxRssMB >= 300)) process.exit(1);
