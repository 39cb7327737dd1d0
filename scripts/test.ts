/**
 * Runs every test file under test/ (files named *.test.ts) with Node's built-in test runner, then
 * one line naming what was skipped for a missing peer and how to install it (scripts/runTests.ts).
 * `node scripts/test.ts [filter]` runs only the files whose path contains `filter`.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildCli } from './build.ts';
import { runTests } from './runTests.ts';

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
process.exit(runTests(files));
