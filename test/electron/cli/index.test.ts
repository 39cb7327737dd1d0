// `courier index` as scripts use it: exit codes and the JSON of docs/cli.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PYDICOM_TEST_FILES, python, runCli, tempDir } from '../../helpers.ts';

test('courier index <pydicom test_files> --json reports what pydicom reads, errors listed', () => {
  const home = tempDir();
  try {
    const r = runCli(['index', PYDICOM_TEST_FILES, '--json'], home.path);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { patients: number; studies: number; series: number; instances: number; unfiled: number; errors: { path: string; message: string }[] };
    assert.deepEqual(Object.keys(out).sort(), ['errors', 'instances', 'patients', 'series', 'studies', 'unfiled']);
    const ref = python<{ instances: object; unfiled: object; studies: string[]; series: string[] }>(['test/tools/pydicom_inventory.py', PYDICOM_TEST_FILES]);
    assert.equal(out.instances, Object.keys(ref.instances).length + Object.keys(ref.unfiled).length);
    assert.equal(out.unfiled, Object.keys(ref.unfiled).length);
    assert.equal(out.studies, ref.studies.length);
    assert.equal(out.series, ref.series.length);
    assert.ok(out.patients > 0);
    assert.ok(out.errors.length > 0 && out.errors.every((e) => e.path.startsWith(PYDICOM_TEST_FILES) && e.message));
  } finally {
    home.cleanup();
  }
});

test('courier index exits 1 with a message for a missing folder, 2 for bad usage', () => {
  const home = tempDir();
  try {
    const missing = runCli(['index', '/nonexistent/folder', '--json'], home.path);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /does not exist/);
    assert.equal(JSON.parse(missing.stdout).error.code, 'IO');
    const usage = runCli(['index'], home.path);
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /usage: courier index/);
    const unknown = runCli(['frobnicate'], home.path);
    assert.equal(unknown.status, 2);
  } finally {
    home.cleanup();
  }
});
