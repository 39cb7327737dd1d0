/**
 * Helpers for the `npm run bench:*` scripts: timing commands back to back and printing ratios.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * How the benchmarks run `courier`: as users do, through bin/courier.mjs (the bundled CLI). The
 * first call here builds the bundle if a source changed, so no timed run pays for that.
 */
export function courierCli(): string[] {
  const cli = [resolve('bin/courier.mjs')];
  const r = spawnSync(process.execPath, [...cli, '--help'], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the courier bundle failed: ${r.stderr}`);
  return cli;
}

/** Wall-clock seconds of one run of `cmd args`; throws if it fails. */
export function timeCommand(cmd: string, args: string[], opts: SpawnSyncOptions = {}): number {
  const t = performance.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 * 1024 * 1024, ...opts });
  const seconds = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${String(r.stderr).slice(0, 2000)}`);
  return seconds;
}

/** The median of some numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs `run` `times` times and returns the median seconds. */
export function medianOf(times: number, run: () => number): number {
  return median(Array.from({ length: times }, run));
}

/** "min–max" of some seconds, for showing how much runs of the same command differed. */
export const range = (xs: number[]) => `${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)} s`;

/** Formats seconds for a table. */
export const fmt = (s: number) => `${s.toFixed(3)} s`;
