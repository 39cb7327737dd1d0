/**
 * Builds the app with esbuild into dist/: the Electron main process as an ES module (our code
 * bundled, npm packages loaded from node_modules at run time, as in plain Node), the preload as
 * one self-contained CommonJS file (sandboxed preloads cannot load modules), and the renderer
 * (scripts/buildRenderer.ts). `npm start` runs this, then Electron on dist/electron/main.mjs.
 * `buildCli` bundles the `courier` command into dist/cli (bin/courier.mjs builds it when stale).
 */
import { build } from 'esbuild';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildRenderer, ROOT } from './buildRenderer.ts';

/** Builds main + preload + renderer; returns the elapsed milliseconds. */
export async function buildApp(): Promise<number> {
  const started = performance.now();
  const common = {
    bundle: true,
    target: 'node22',
    external: ['electron'],
    sourcemap: 'linked' as const,
    logLevel: 'warning' as const,
    absWorkingDir: ROOT,
  };
  await Promise.all([
    build({
      ...common,
      entryPoints: [join(ROOT, 'electron/shell/main.ts')],
      outfile: join(ROOT, 'dist/electron/main.mjs'),
      platform: 'node',
      format: 'esm',
      packages: 'external',
    }),
    // Header workers (electron/library/headerPool.ts) load this file beside main.mjs.
    build({
      ...common,
      entryPoints: [join(ROOT, 'electron/library/headerWorker.ts')],
      outfile: join(ROOT, 'dist/electron/headerWorker.mjs'),
      platform: 'node',
      format: 'esm',
      packages: 'external',
    }),
    build({ ...common, entryPoints: [join(ROOT, 'electron/preload.ts')], outfile: join(ROOT, 'dist/electron/preload.cjs'), platform: 'browser', format: 'cjs' }),
    buildRenderer(),
    buildCli(),
  ]);
  return performance.now() - started;
}

export const CLI_OUT = join(ROOT, 'dist', 'cli');

/** Chunks no build has produced for this long are removed (a courier started before then is long gone). */
const CHUNK_KEEP_MS = 24 * 3600 * 1000;
const CLI_ENTRIES = ['headerWorker.mjs', 'main.mjs'];

/**
 * Bundles the `courier` command: main.mjs, one chunk per lazily loaded command (code splitting keeps
 * `courier index` from loading `serve`), and headerWorker.mjs in the same folder, where
 * electron/library/headerPool.ts looks for it. npm packages stay in node_modules, as in the app.
 *
 * Built beside the target, then moved in file by file: chunks first, entries last, each with an
 * atomic rename. A courier that starts meanwhile loads the old bundle or the new one, never half of
 * one; a courier already running (e.g. `serve`) still finds the chunks it loads lazily, because
 * chunk names carry their content hash and old ones are kept for a day.
 */
export async function buildCli(outdir = CLI_OUT): Promise<void> {
  const staging = `${outdir}.build-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    await build({
      bundle: true,
      splitting: true,
      target: 'node22',
      platform: 'node',
      format: 'esm',
      packages: 'external',
      logLevel: 'warning',
      absWorkingDir: ROOT,
      entryPoints: { main: join(ROOT, 'electron/cli/main.ts'), headerWorker: join(ROOT, 'electron/library/headerWorker.ts') },
      outdir: staging,
      entryNames: '[name]',
      chunkNames: '[name]-[hash]',
      outExtension: { '.js': '.mjs' },
    });
    mkdirSync(outdir, { recursive: true });
    const built = readdirSync(staging);
    for (const name of built.filter((n) => !CLI_ENTRIES.includes(n))) renameSync(join(staging, name), join(outdir, name));
    for (const name of CLI_ENTRIES) renameSync(join(staging, name), join(outdir, name));
    const now = Date.now();
    for (const name of readdirSync(outdir)) {
      if (built.includes(name)) continue;
      const st = statSync(join(outdir, name), { throwIfNoEntry: false });
      if (st && now - st.mtimeMs > CHUNK_KEEP_MS) rmSync(join(outdir, name), { force: true });
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const ms = await buildApp();
  console.log(`built dist/ in ${ms.toFixed(0)} ms`);
}
