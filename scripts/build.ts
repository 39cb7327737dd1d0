/**
 * Builds the app with esbuild into dist/: the Electron main process as an ES module (our code
 * bundled, npm packages loaded from node_modules at run time, as in plain Node), the preload as
 * one self-contained CommonJS file (sandboxed preloads cannot load modules), and the renderer
 * (scripts/buildRenderer.ts). `npm start` runs this, then Electron on dist/electron/main.mjs.
 * `buildCli` bundles the `courier` command into dist/cli (bin/courier.mjs builds it when stale).
 */
import { build } from 'esbuild';
import { renameSync, rmSync, statSync } from 'node:fs';
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

/**
 * Bundles the `courier` command: main.mjs, one chunk per lazily loaded command (code splitting keeps
 * `courier index` from loading `serve`), and headerWorker.mjs in the same folder, where
 * electron/library/headerPool.ts looks for it. npm packages stay in node_modules, as in the app.
 * Built beside the target and renamed into place, so a reader never sees half a bundle.
 */
export async function buildCli(outdir = CLI_OUT): Promise<void> {
  const started = Date.now();
  const staging = `${outdir}.build-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
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
  try {
    renameSync(staging, outdir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    // Another `courier` finished the same build meanwhile: keep theirs (it may already be running).
    if ((statSync(join(outdir, 'main.mjs'), { throwIfNoEntry: false })?.mtimeMs ?? 0) >= started) {
      rmSync(staging, { recursive: true, force: true });
      return;
    }
    rmSync(outdir, { recursive: true, force: true });
    renameSync(staging, outdir);
  }
}

if (import.meta.main) {
  const ms = await buildApp();
  console.log(`built dist/ in ${ms.toFixed(0)} ms`);
}
