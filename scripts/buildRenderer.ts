/**
 * Builds the renderer (renderer/ → dist/renderer) with esbuild: index.html, one JS bundle and one
 * CSS file, the decode worker (decode.worker.js) and the codecs' WebAssembly copied beside them.
 *
 * `node scripts/buildRenderer.ts [--dev]` builds once; `buildRenderer(opts)` is what scripts/build.ts
 * and `courier serve` call; `ensureRenderer()` builds only when the output is missing or stale.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { APP_ROOT } from '../electron/appRoot.ts';

/** The repository root. */
export const ROOT = APP_ROOT;
/** Where the built renderer goes by default. */
export const RENDERER_OUT = join(ROOT, 'dist', 'renderer');
const STAMP = '.built';
/** The decode worker: a file of its own beside the bundle (same origin), so the page needs no blob: workers
 * and the worker gets a CSP of its own (electron/api/rendererFiles.ts). */
const DECODE_WORKER = join(ROOT, 'renderer', 'features', 'viewer', 'image', 'decodeWorker.ts');
/** The codecs' WebAssembly (the same codecs export and send use), fetched by the worker. */
const CODECS_WASM = [
  join(ROOT, 'node_modules', 'dcmjs-codecs', 'build', 'dcmjs-native-codecs.wasm'),
  join(ROOT, 'node_modules', '@cornerstonejs', 'codec-openjpeg', 'dist', 'openjpegwasm_decode.wasm'),
];

/** Options of a renderer build. */
export interface BuildRendererOptions {
  /** Output folder; default dist/renderer. */
  outdir?: string;
  /** Minify (default true). */
  minify?: boolean;
  /** Emit source maps (default true). */
  sourcemap?: boolean;
}

/** Builds the renderer into `outdir`; files are written beside and renamed in, so a running host never serves half a file. */
export async function buildRenderer(opts: BuildRendererOptions = {}): Promise<{ outdir: string; ms: number }> {
  const started = performance.now();
  const outdir = opts.outdir ?? RENDERER_OUT;
  mkdirSync(dirname(outdir), { recursive: true });
  const staging = mkdtempSync(join(dirname(outdir), '.renderer-build-'));
  try {
    await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: { main: join(ROOT, 'renderer', 'main.tsx'), 'decode.worker': DECODE_WORKER },
      outdir: staging,
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: ['chrome120'],
      jsx: 'automatic',
      minify: opts.minify ?? true,
      sourcemap: opts.sourcemap ?? true,
      legalComments: 'none',
      logLevel: 'error',
      define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
      alias: { dcmjs: join(ROOT, 'renderer', 'features', 'viewer', 'image', 'dcmjsStub.ts') },
      // OpenJPEG's Emscripten loader names Node's fs and path on a branch the browser never takes.
      external: ['fs', 'path'],
    });
    copyFileSync(join(ROOT, 'renderer', 'index.html'), join(staging, 'index.html'));
    for (const wasm of CODECS_WASM) copyFileSync(wasm, join(staging, basename(wasm)));
    writeFileSync(join(staging, STAMP), new Date().toISOString());
    mkdirSync(outdir, { recursive: true });
    // The stamp goes last: an interrupted build stays stale.
    const names = readdirSync(staging).filter((n) => n !== STAMP);
    for (const name of [...names, STAMP]) renameSync(join(staging, name), join(outdir, name));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return { outdir, ms: performance.now() - started };
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (e.isFile()) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** True when `outdir` lacks a finished build or any renderer/, shared/ source (or this script) is newer. */
export function rendererIsStale(outdir = RENDERER_OUT): boolean {
  let built: number;
  try {
    built = statSync(join(outdir, STAMP)).mtimeMs;
  } catch {
    return true;
  }
  const sources = Math.max(
    newestMtime(join(ROOT, 'renderer')),
    newestMtime(join(ROOT, 'shared')),
    statSync(join(ROOT, 'scripts', 'buildRenderer.ts')).mtimeMs,
    statSync(join(ROOT, 'package-lock.json')).mtimeMs,
  );
  return sources > built;
}

/** Builds the renderer when it is missing or older than its sources; returns the folder. */
export async function ensureRenderer(outdir = RENDERER_OUT): Promise<string> {
  if (rendererIsStale(outdir)) await buildRenderer({ outdir });
  return outdir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dev = process.argv.includes('--dev');
  const { outdir, ms } = await buildRenderer({ minify: !dev });
  console.log(`renderer built into ${outdir} in ${Math.round(ms)} ms`);
}
