/**
 * Runs test files with Node's built-in test runner and ends with one line saying what was skipped
 * for a missing peer (test/peers.ts) and the apt command that installs it. Under CI=true such a
 * skip fails the run: CI has every peer, so a skip there means a test did not run.
 * `node scripts/runTests.ts <file>…` runs just those files (without building the CLI first).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMissingPeers } from '../test/peers.ts';

/** A skipped test or suite as scripts/skipReporter.ts writes it. */
export interface Skip {
  file: string;
  name: string;
  reason: string;
}

/** The closing line for these skips, and whether they fail the run (a missing peer under CI). */
export function skipSummary(skips: Skip[], ci: boolean): { line: string; fails: boolean } {
  const forPeers = skips.filter((s) => parseMissingPeers(s.reason).length > 0);
  const others = skips.filter((s) => !forPeers.includes(s));
  const otherWords = others.length ? `${others.length} skipped for another reason (${[...new Set(others.map((s) => s.reason || s.name))].join('; ')})` : '';
  if (!forPeers.length) return { line: `No test skipped for a missing peer${otherWords ? `; ${otherWords}` : ''}`, fails: false };
  const packages = [...new Set(forPeers.flatMap((s) => parseMissingPeers(s.reason).map((p) => p.package)))].sort();
  const line =
    `${forPeers.length} ${forPeers.length === 1 ? 'test' : 'tests'} skipped: missing ${packages.join(', ')} — sudo apt-get install ${packages.join(' ')}` +
    (otherWords ? `; ${otherWords}` : '') +
    (ci ? ' (CI=true: a missing peer fails the run)' : '');
  return { line, fails: ci };
}

/** True when the environment says this is CI (CI=true, as GitHub Actions and .ci/run set it). */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return !!env.CI && env.CI !== 'false' && env.CI !== '0';
}

/** Runs the files (spec output on a terminal, TAP otherwise), prints the skip line, returns the exit status. */
export function runTests(files: string[]): number {
  const dir = mkdtempSync(join(tmpdir(), 'courier-skips-'));
  const skipsFile = join(dir, 'skips.jsonl');
  try {
    const result = spawnSync(
      process.execPath,
      [
        '--disable-warning=ExperimentalWarning',
        '--test',
        '--test-concurrency=2',
        '--test-timeout=600000',
        `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`,
        '--test-reporter-destination=stdout',
        `--test-reporter=${resolve(import.meta.dirname, 'skipReporter.ts')}`,
        `--test-reporter-destination=${skipsFile}`,
        ...files,
      ],
      { stdio: 'inherit' },
    );
    let skips: Skip[] = [];
    try {
      skips = readFileSync(skipsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Skip);
    } catch {
      // No file: the runner did not get as far as reporting; its status says so.
    }
    const summary = skipSummary(skips, isCi());
    console.log(summary.line);
    if (result.status !== 0) return result.status ?? 1;
    return summary.fails ? 1 : 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = process.argv.slice(2);
  if (!files.length) {
    console.error('usage: node scripts/runTests.ts <test file>…');
    process.exit(2);
  }
  process.exit(runTests(files));
}
