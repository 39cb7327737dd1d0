/**
 * What the docs point at exists: every repository path docs/ and README.md name (`electron/…`,
 * `test/…`, …), every link between them with its #section, and every docs/ page a code comment cites.
 * A file renamed or a heading reworded fails here until the docs follow.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers.ts';
import { PEER_PACKAGES } from '../peers.ts';

const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const text = new Map(pages.map((p) => [p, readFileSync(join(ROOT, p), 'utf8')]));

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
const anchors = (page: string) => new Set([...text.get(page)!.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));

test('every repository path named in docs/ and README.md exists', () => {
  const missing: string[] = [];
  for (const [page, body] of text) {
    for (const m of body.matchAll(/(?<![\w./-])((?:electron|shared|renderer|test|scripts|bin|docs|assets|\.ci)\/[\w./-]*)/g)) {
      const path = m[1]!.replace(/[.]+$/, '');
      if (path.startsWith('test/.tmp/')) continue; // made by the tests
      if (!existsSync(join(ROOT, path))) missing.push(`${page}: ${path}`);
    }
  }
  assert.deepEqual(missing, []);
});

test('every link between the docs reaches a page and, with #, a heading of it', () => {
  const broken: string[] = [];
  for (const [page, body] of text) {
    for (const m of body.matchAll(/\]\(([^)\s]+)\)/g)) {
      const [target, anchor] = m[1]!.split('#');
      if (/^[a-z]+:/.test(target!)) continue; // a URL
      const path = relative(ROOT, join(ROOT, dirname(page), target!));
      if (!existsSync(join(ROOT, path))) broken.push(`${page}: ${m[1]} (no ${path})`);
      else if (anchor && (!text.has(path) || !anchors(path).has(anchor))) broken.push(`${page}: ${m[1]} (no such heading in ${path})`);
    }
  }
  assert.deepEqual(broken, []);
});

test('every docs/ page a code comment cites exists', () => {
  const cited = execFileSync('git', ['grep', '-ohE', 'docs/[A-Za-z0-9_-]+\\.md', '--', 'electron', 'shared', 'renderer', 'scripts', 'test', 'eslint.config.js'], { cwd: ROOT, encoding: 'utf8' });
  const missing = [...new Set(cited.split('\n').filter(Boolean))].filter((p) => !text.has(p));
  assert.deepEqual(missing, []);
});

test('.ci/run installs, and README.md names, every Debian package test/peers.ts knows a peer by', () => {
  const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
  const readme = text.get('README.md')!;
  const word = (body: string, pkg: string) => new RegExp(`(?<![\\w.-])${pkg.replace(/[.+]/g, '\\$&')}(?![\\w.-])`).test(body);
  assert.deepEqual(PEER_PACKAGES.filter((p) => !word(ci, p)), [], 'not installed by .ci/run');
  assert.deepEqual(PEER_PACKAGES.filter((p) => !word(readme, p)), [], 'not named in README.md');
});
