/**
 * Helpers for the `npm run bench:*` scripts: timing commands back to back and printing ratios.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';

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

/** Formats seconds for a table. */
export const fmt = (s: number) => `${s.toFixed(3)} s`;
