/**
 * Where Courier's package.json is, found upward from this module, so the same code works from the
 * TypeScript sources, from the bundles in dist/ (dist/cli, dist/electron) and inside app.asar.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`package.json not found above ${from}`);
  }
}

/** The folder holding Courier's package.json (the repository root in development). */
export const APP_ROOT = findRoot(import.meta.dirname);

let version: string | undefined;

/** Courier's version, from package.json. */
export function appVersion(): string {
  return (version ??= (JSON.parse(readFileSync(join(APP_ROOT, 'package.json'), 'utf8')) as { version: string }).version);
}
