/**
 * Runs every test file under test/ (files named *.test.ts) with Node's built-in test runner.
 * `node scripts/test.ts [filter]` runs only the files whose path contains `filter`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildCli } from './build.ts';

function find(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && e.name !== 'fixtures' && !e.name.startsWith('.')) find(p, out);
    else if (e.isFile() && e.name.endsWith('.test.ts')) out.push(relative(process.cwd(), p));
  }
  return out;
}

const filter = process.argv[2];
const files = find('test').filter((f) => !filter || f.includes(filter)).sort();
if (!files.length) {
  console.error(`no test files${filter ? ` matching "${filter}"` : ''}`);
  process.exit(1);
}
// The CLI tests run the bundled `courier` (bin/courier.mjs); build it once here, not in each test file at once.
await buildCli();
const result = spawnSync(
  process.execPath,
  ['--disable-warning=ExperimentalWarning', '--test', '--test-concurrency=2', '--test-timeout=600000', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
