/**
 * Builds the app with esbuild into dist/: the Electron main process as an ES module (our code
 * bundled, npm packages loaded from node_modules at run time, as in plain Node), the preload as
 * one self-contained CommonJS file (sandboxed preloads cannot load modules), and the renderer
 * (scripts/buildRenderer.ts). `npm start` runs this, then Electron on dist/electron/main.mjs.
 */
import { build } from 'esbuild';
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
  ]);
  return performance.now() - started;
}

if (import.meta.main) {
  const ms = await buildApp();
  console.log(`built dist/ in ${ms.toFixed(0)} ms`);
}
