/**
 * bin/courier.mjs: the launcher runs the bundled CLI in dist/cli (built by scripts/test.ts before
 * the tests, as the launcher would when a source is newer), with the bundle's lazily loaded
 * commands and its header worker found where the bundle puts them.
 */
import assert from 'node:assert/strict';
import { existsSync, linkSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildCli } from '../../scripts/build.ts';
import { generateSmallCorpus } from '../fixtures/generate.ts';
import { ROOT, runCli, tempDir } from '../helpers.ts';

test('--help lists every command, with no experimental-feature warning', () => {
  const home = tempDir();
  try {
    const r = runCli(['--help'], home.path);
    assert.equal(r.status, 0, r.stderr);
    for (const name of ['index', 'dicomdir', 'serve', 'echo', 'send', 'commit', 'pacs']) assert.match(r.stderr, new RegExp(`courier ${name} `));
    assert.doesNotMatch(r.stderr, /ExperimentalWarning|SQLite is an experimental/);
  } finally {
    home.cleanup();
  }
});

test('the bundle is current: dist/cli/main.mjs is newer than every source the launcher watches', () => {
  const built = statSync(join(ROOT, 'dist', 'cli', 'main.mjs')).mtimeMs;
  assert.ok(built >= statSync(join(ROOT, 'electron', 'cli', 'main.ts')).mtimeMs);
  assert.ok(statSync(join(ROOT, 'dist', 'cli', 'headerWorker.mjs')).isFile());
});

test('indexing 1,600 files goes through the bundled header workers and finds every instance', () => {
  const tmp = tempDir();
  try {
    const src = join(tmp.path, 'src');
    generateSmallCorpus(src, 40);
    const files = join(tmp.path, 'files');
    mkdirSync(files);
    // 40 distinct instances, each linked 40 times: 1,600 files, above the indexer's worker threshold.
    const originals = readdirSync(src, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    assert.equal(originals.length, 40);
    let n = 0;
    for (let copy = 0; copy < 40; copy++) for (const e of originals) linkSync(join(e.parentPath, e.name), join(files, `f${n++}.dcm`));
    const r = runCli(['index', files, '--json'], join(tmp.path, 'home'));
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as { instances: number; errors: unknown[] };
    assert.equal(summary.errors.length, 0);
    assert.equal(summary.instances, 40);
  } finally {
    tmp.cleanup();
  }
});

test('a rebuild keeps the chunks a running courier may still load, and drops day-old ones', async () => {
  const tmp = tempDir();
  try {
    const out = join(tmp.path, 'cli');
    mkdirSync(out);
    const recent = join(out, 'serve-OLDHASH1.mjs');
    const stale = join(out, 'serve-OLDHASH2.mjs');
    writeFileSync(recent, '// a chunk of the bundle a running `courier serve` was started from\n');
    writeFileSync(stale, '// a chunk from two days ago\n');
    const twoDaysAgo = new Date(Date.now() - 48 * 3600 * 1000);
    utimesSync(stale, twoDaysAgo, twoDaysAgo);
    await buildCli(out);
    assert.ok(existsSync(recent), 'a recent chunk stays');
    assert.ok(!existsSync(stale), 'a day-old chunk goes');
    assert.ok(statSync(join(out, 'main.mjs')).isFile() && statSync(join(out, 'headerWorker.mjs')).isFile());
    assert.deepEqual(readdirSync(tmp.path).filter((n) => n.includes('.build-')), [], 'no staging folder is left');
  } finally {
    tmp.cleanup();
  }
});
