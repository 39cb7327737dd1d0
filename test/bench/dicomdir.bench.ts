/**
 * `npm run bench:dicomdir`: `courier dicomdir` (the bundled CLI as users run it, reading every file)
 * against what a person would do with DCMTK: `cp -r` of the same files plus `dcmmkdir +r` over
 * them (dcmmkdir needs ISO 9660 names, so it runs on a copy with 8-character uppercase names,
 * prepared beforehand and not timed). Back to back, median of BENCH_RUNS (default 3).
 * Target: courier ≤ 1.2 × (cp + dcmmkdir). Start-up (a one-file folder) is shown and subtracted too.
 */
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCorpus } from '../fixtures/generate.ts';
import { courierCli, fmt, median, timeCommand } from './benchUtil.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const work = mkdtempSync(join(tmpdir(), 'courier-bench-dicomdir-'));
const cli = [...courierCli(), 'dicomdir'];

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p));
    else out.push(p);
  }
  return out.sort();
}

/** The same files under ISO 9660 names: DICOM/Dnnnnnnn/Fnnnnnnn (hard links where possible). */
function isoNamedCopy(src: string, name: string): string {
  const root = join(work, `iso-${name}`);
  files(src).forEach((f, i) => {
    const dir = join(root, 'DICOM', `D${String(Math.floor(i / 1000)).padStart(7, '0')}`);
    mkdirSync(dir, { recursive: true });
    const dest = join(dir, `F${String(i).padStart(7, '0')}`);
    try {
      linkSync(f, dest);
    } catch {
      copyFileSync(f, dest);
    }
  });
  return root;
}

/** One export, with a fresh COURIER_HOME (the command reads the folder itself; it does not use the library). */
function courierOnce(folder: string): number {
  const home = mkdtempSync(join(work, 'home-'));
  const out = join(work, 'courier-out');
  try {
    return timeCommand(process.execPath, [...cli, folder, '--out', out, '--json'], { env: { ...process.env, COURIER_HOME: home } });
  } finally {
    rmSync(home, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
}

function peerOnce(folder: string, isoRoot: string): number {
  const out = join(work, 'cp-out');
  rmSync(join(isoRoot, 'DICOMDIR'), { force: true });
  try {
    const cp = timeCommand('cp', ['-r', folder, out]);
    const mk = timeCommand('dcmmkdir', ['+r', 'DICOM'], { cwd: isoRoot });
    return cp + mk;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

try {
  console.log('Preparing corpora (generated once under test/.tmp/corpus)…');
  const one = ensureCorpus('one');
  const corpora: Record<string, string> = { '600-slice 512×512 CT': ensureCorpus('ct600'), '5,000 small files': ensureCorpus('small5000') };
  const isoRoots = new Map<string, string>([[one, isoNamedCopy(one, 'one')]]);
  for (const [i, dir] of Object.values(corpora).entries()) isoRoots.set(dir, isoNamedCopy(dir, String(i)));
  // Warm the page cache for both sides.
  for (const dir of [one, ...Object.values(corpora)]) peerOnce(dir, isoRoots.get(dir)!);

  const startC = median(Array.from({ length: RUNS }, () => courierOnce(one)));
  const startP = median(Array.from({ length: RUNS }, () => peerOnce(one, isoRoots.get(one)!)));
  console.log(`one-file folder: courier ${fmt(startC)}, cp + dcmmkdir ${fmt(startP)} (start-up)`);

  let worst = 0;
  for (const [name, dir] of Object.entries(corpora)) {
    const c: number[] = [];
    const p: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // Alternate so both see the same machine state.
      c.push(courierOnce(dir));
      p.push(peerOnce(dir, isoRoots.get(dir)!));
    }
    const mc = median(c);
    const mp = median(p);
    const ratio = mc / mp;
    const net = (x: number) => (Math.max(0.001, x - startC) / Math.max(0.001, mp - startP)).toFixed(2);
    worst = Math.max(worst, ratio);
    console.log(`${name}: cp -r + dcmmkdir +r ${fmt(mp)}`);
    console.log(`  courier dicomdir: ${fmt(mc)} → ratio ${ratio.toFixed(2)}× (${net(mc)}× without start-up; target ≤ 1.20×)`);
  }
  console.log(`worst ratio ${worst.toFixed(2)}×`);
  if (process.argv.includes('--check') && worst > 1.2) process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
