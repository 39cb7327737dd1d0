#!/usr/bin/env node
/**
 * The `courier` command as it is run (`npm run courier -- …`, or `courier` once the package is
 * linked): the bundled CLI in dist/cli. Loading one bundle instead of stripping the types of ~40
 * TypeScript modules halves start-up, which is most of a small job's time. The bundle is rebuilt
 * first whenever a source is newer than it, so it always runs the code in the tree.
 * Plain JavaScript on purpose: a .ts launcher would pay the type-stripping start-up it avoids.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = join(import.meta.dirname, '..');
const BUNDLE = join(ROOT, 'dist', 'cli', 'main.mjs');

/** @param {string} path @returns {number} the newest modification time of a file at or under `path` */
function newest(path) {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)));
  return max;
}

/** @returns {boolean} true when the bundle is missing or older than what it is built from */
export function bundleIsStale() {
  const built = statSync(BUNDLE, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const sources = ['electron', 'shared', 'scripts/build.ts', 'scripts/buildRenderer.ts', 'package-lock.json'];
  return sources.some((s) => newest(join(ROOT, s)) > built);
}

// node:sqlite still announces itself as experimental on Node 22; that is noise to a user.
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
  if (type === 'ExperimentalWarning' && String(warning).includes('SQLite')) return;
  return emitWarning.call(process, warning, ...rest);
};

if (bundleIsStale()) {
  const { buildCli } = await import('../scripts/build.ts');
  await buildCli();
}
// `courier serve` serves the renderer's pages: build them first when they are missing or stale
// (into $COURIER_RENDERER_DIR when set, else dist/renderer), as the bundle above.
if (process.argv[2] === 'serve') {
  const { ensureRenderer } = await import('../scripts/buildRenderer.ts');
  process.env.COURIER_RENDERER_DIR = await ensureRenderer(process.env.COURIER_RENDERER_DIR || undefined);
}
await import(pathToFileURL(BUNDLE).href);
