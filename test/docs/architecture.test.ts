/**
 * docs/architecture.md describes the electron/ that exists: its layer table is eslint.config.js's
 * LAYERS (the rule lint enforces), in order, and every folder and file directly under electron/ has
 * a layer and a line in "Where code lives". A new folder fails here until the docs name it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { ROOT } from '../helpers.ts';

/** The layers lint enforces, bottom first (eslint.config.js is plain JavaScript, hence the cast). */
const { LAYERS } = (await import(pathToFileURL(join(ROOT, 'eslint.config.js')).href)) as { LAYERS: { name: string; units: string[] }[] };
const doc = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');
/** What is directly under electron/, as the docs write it: `dicom/`, `log.ts`. */
const entries = readdirSync(join(ROOT, 'electron'), { withFileTypes: true }).map((e) => (e.isDirectory() ? `${e.name}/` : e.name));

test("the layer table is eslint.config.js's LAYERS, and every entry of electron/ has a layer", () => {
  const rows = [...doc.matchAll(/^\| ([^|]+) \| ([^|]+) \|[^\n]*$/gm)].map((m) => ({ name: m[1]!.trim(), units: m[2]! })).filter((r) => LAYERS.some((l) => l.name === r.name));
  assert.deepEqual(rows.map((r) => r.name), LAYERS.map((l) => l.name), 'the layers, bottom first');
  for (const [i, layer] of LAYERS.entries()) {
    const written = [...rows[i]!.units.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.replace(/\/$/, ''));
    assert.deepEqual(written.sort(), [...layer.units].sort(), `the "${layer.name}" row`);
  }
  const units = new Set(LAYERS.flatMap((l) => l.units));
  assert.deepEqual(entries.filter((e) => !units.has(e.replace(/\/$/, ''))), [], 'entries of electron/ without a layer');
});

test('"Where code lives" names every folder and file directly under electron/', () => {
  const tree = doc.slice(doc.indexOf('## Where code lives'), doc.indexOf('## Layers'));
  const named = new Set([...tree.matchAll(/^ {2}([\w.]+\/?)|(?<= )([\w.]+\.ts|[\w]+\/)(?= |$)/gm)].map((m) => m[1] ?? m[2]));
  assert.deepEqual(entries.filter((e) => !named.has(e)), []);
});
