// What indexing and export read from a folder or a DICOMDIR: regular files only (a FIFO never
// blocks them), links that loop or lead nowhere named as such, and never a file outside a DICOMDIR's folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PYDICOM_TEST_FILES, python, runCli, SYSTEM_PYTHON, tempDir } from '../../helpers.ts';

interface IndexJson {
  instances: number;
  errors: { path: string; message: string }[];
  error?: { message: string };
}

test('a folder with a FIFO, links to it and links that loop is indexed without blocking, each link named for what it is', () => {
  const work = tempDir();
  const home = tempDir();
  try {
    const dir = join(work.path, 'folder');
    mkdirSync(dir);
    copyFileSync(join(PYDICOM_TEST_FILES, 'CT_small.dcm'), join(dir, 'ct.dcm'));
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    symlinkSync(join(dir, 'fifo'), join(dir, 'to-fifo'));
    symlinkSync(join(dir, 'ct.dcm'), join(dir, 'to-ct'));
    symlinkSync(join(dir, 'loop-b'), join(dir, 'loop-a'));
    symlinkSync(join(dir, 'loop-a'), join(dir, 'loop-b'));
    symlinkSync(join(dir, 'gone.dcm'), join(dir, 'dangling'));
    // Before: the CLI hung on the FIFO until killed (a writer never comes).
    const r = runCli(['index', dir, '--json'], home.path, { timeoutMs: 60_000 });
    assert.equal(r.signal, null, 'indexing blocked');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as IndexJson;
    assert.equal(out.instances, 1, 'the file and the link to it hold one instance');
    const byName = Object.fromEntries(out.errors.map((e) => [e.path.split('/').pop(), e.message]));
    assert.deepEqual(Object.keys(byName).sort(), ['dangling', 'loop-a', 'loop-b']);
    assert.match(byName['loop-a'], /symbolic link that loops/);
    assert.match(byName['dangling'], /points to .*gone\.dcm, which does not exist/);

    // Named directly: the FIFO is refused unopened, the loop is named as a loop (it used to read "does not exist").
    const fifo = JSON.parse(runCli(['index', join(dir, 'to-fifo'), '--json'], home.path, { timeoutMs: 60_000 }).stdout) as IndexJson;
    assert.match(fifo.errors[0].message, /not a regular file/);
    const loop = runCli(['index', join(dir, 'loop-a'), '--json'], home.path, { timeoutMs: 60_000 });
    assert.equal(loop.status, 1);
    assert.match(JSON.parse(loop.stdout).error.message, /symbolic link that loops/);
    // So do send and export, named the loop.
    const send = runCli(['send', join(dir, 'loop-a'), '--to', 'PACS@127.0.0.1:9'], home.path, { timeoutMs: 60_000 });
    assert.match(send.stderr, /loop-a cannot be read: it is a symbolic link that loops/);
    const exported = runCli(['dicomdir', join(dir, 'loop-a'), '--out', join(work.path, 'out')], home.path, { timeoutMs: 60_000 });
    assert.match(exported.stderr, /loop-a cannot be read: it is a symbolic link that loops/);
  } finally {
    work.cleanup();
    home.cleanup();
  }
});

test('a DICOMDIR whose file IDs climb out of its folder is indexed and exported without those files, each reported', () => {
  const work = tempDir();
  const home = tempDir();
  try {
    // pydicom's file-set, one patient, with a secret file beside (not inside) its folder.
    const set = join(work.path, 'set');
    const src = join(PYDICOM_TEST_FILES, 'dicomdirtests');
    mkdirSync(set);
    cpSync(join(src, '77654033'), join(set, '77654033'), { recursive: true });
    mkdirSync(join(work.path, 'secret'));
    copyFileSync(join(PYDICOM_TEST_FILES, 'CT_small.dcm'), join(work.path, 'secret', 'CT'));
    // Two image records re-pointed: one by "..", one through a link inside the set that leads out.
    const [climb, viaLink] = python<string[]>([
      '-c',
      `import json, pydicom
ds = pydicom.dcmread('${join(src, 'DICOMDIR')}')
recs = [r for r in ds.DirectoryRecordSequence if 'ReferencedFileID' in r and r.ReferencedFileID[0] == '77654033']
a, b = recs[0], recs[1]
old = '\\\\'.join(b.ReferencedFileID)
a.ReferencedFileID = ['..', 'SECRET', 'CT']
ds.save_as('${join(set, 'DICOMDIR')}')
print(json.dumps(['..\\\\SECRET\\\\CT', old]))`,
    ]);
    const linked = join(set, ...viaLink.split('\\'));
    execFileSync('rm', [linked]);
    symlinkSync(join(work.path, 'secret', 'CT'), linked);
    const ctSop = python<string>(['-c', `import json, pydicom; print(json.dumps(pydicom.dcmread('${join(PYDICOM_TEST_FILES, 'CT_small.dcm')}').SOPInstanceUID))`]);

    const r = runCli(['index', set, '--json'], home.path, { timeoutMs: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as IndexJson;
    assert.ok(out.instances > 0);
    assert.ok(out.errors.some((e) => e.message.includes(`"${climb}"`) && /points outside its folder/.test(e.message)), JSON.stringify(out.errors));
    assert.ok(out.errors.some((e) => e.path === linked && /symbolic link to a file outside/.test(e.message)), JSON.stringify(out.errors));
    const sops = execFileSync(SYSTEM_PYTHON, ['-c', `import sqlite3; print('\\n'.join(r[0] for r in sqlite3.connect('${join(home.path, 'courier.db')}').execute('select SOPInstanceUID from instances')))`], { encoding: 'utf8' });
    assert.ok(!sops.split('\n').includes(ctSop), 'the file outside the file-set was indexed');

    // Export from the DICOMDIR: the same files are left out, and said so.
    const outDir = join(work.path, 'export');
    const e = runCli(['dicomdir', join(set, 'DICOMDIR'), '--out', outDir, '--json'], home.path, { timeoutMs: 120_000 });
    const exported = JSON.parse(e.stdout) as { errors: { path: string; message: string }[] };
    assert.ok(exported.errors.some((x) => /points outside its folder/.test(x.message)), e.stdout);
    assert.ok(exported.errors.some((x) => x.path === linked), e.stdout);
    const written = execFileSync('find', [outDir, '-type', 'f'], { encoding: 'utf8' }).split('\n').filter((p) => /IM\d+$/.test(p));
    const exportedSops = python<string[]>(['-c', `import json, pydicom; print(json.dumps([pydicom.dcmread(p).SOPInstanceUID for p in ${JSON.stringify(written)}]))`]);
    assert.ok(exportedSops.length > 0 && !exportedSops.includes(ctSop), 'the file outside the file-set was exported');
    assert.ok(readdirSync(outDir).includes('DICOMDIR'));
  } finally {
    work.cleanup();
    home.cleanup();
  }
});
