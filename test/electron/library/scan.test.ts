// What indexing, send and export read from a folder or a DICOMDIR: regular files only (a FIFO never
// blocks them), links that loop or lead nowhere named as such, and never a file outside a DICOMDIR's
// folder; what is left out is reported with why (`courier send` used to drop it without a word).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PYDICOM_TEST_FILES, python, runCli, SYSTEM_PYTHON, tempDir } from '../../helpers.ts';
import { missingPeers } from '../../peers.ts';
import { startStorescp } from '../dimse/peers.ts';

interface IndexJson {
  instances: number;
  errors: { path: string; message: string }[];
  error?: { message: string };
}

interface SendJson {
  instances: { path: string; store: string }[];
  notRead?: { path: string; message: string }[];
}

/** `courier send <path> --json` to a DCMTK storescp: what was stored, what was not read, and the exit status. */
async function sendTo(path: string, home: string, work: string): Promise<{ out: SendJson; status: number | null }> {
  const scp = await startStorescp(work, 'STORESCP');
  try {
    const r = runCli(['send', path, '--to', `STORESCP@127.0.0.1:${scp.port}`, '--json'], home, { timeoutMs: 120_000 });
    assert.ok(r.stdout.trim(), r.stderr);
    return { out: JSON.parse(r.stdout) as SendJson, status: r.status };
  } finally {
    await scp.stop();
  }
}

test('a folder with a FIFO, links to it and links that loop is indexed and sent without blocking, each link named for what it is', { skip: missingPeers('storescp', 'pydicom test files') }, async () => {
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
    // The folder sent: its one instance stored, the links that loop or lead nowhere listed with why, and the exit status says not all went.
    const sent = await sendTo(dir, home.path, work.path);
    // ct.dcm and the link to it (one instance, two paths), both stored.
    assert.deepEqual(sent.out.instances.map((i) => [i.path.split('/').pop(), i.store]).sort(), [['ct.dcm', 'success'], ['to-ct', 'success']]);
    const notRead = Object.fromEntries((sent.out.notRead ?? []).map((e) => [e.path.split('/').pop(), e.message]));
    assert.deepEqual(Object.keys(notRead).sort(), ['dangling', 'loop-a', 'loop-b']);
    assert.match(notRead['loop-b'], /symbolic link that loops/);
    assert.match(notRead['dangling'], /which does not exist/);
    assert.equal(sent.status, 1);
  } finally {
    work.cleanup();
    home.cleanup();
  }
});

test('a DICOMDIR whose file IDs climb out of its folder is indexed, sent and exported without those files, each reported', { skip: missingPeers('storescp', 'python3', 'pydicom test files') }, async () => {
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

    // Sent from the file-set's folder: the same files are left out, and said so; the rest is stored.
    const sent = await sendTo(set, home.path, work.path);
    assert.ok(sent.out.instances.length > 0 && sent.out.instances.every((i) => i.store === 'success'), JSON.stringify(sent.out.instances));
    assert.ok(!sent.out.instances.some((i) => i.path === linked || i.path.includes('SECRET')), 'a file outside the file-set was sent');
    assert.ok(sent.out.notRead?.some((x) => x.message.includes(`"${climb}"`) && /points outside its folder/.test(x.message)), JSON.stringify(sent.out.notRead));
    assert.ok(sent.out.notRead?.some((x) => x.path === linked && /symbolic link to a file outside/.test(x.message)), JSON.stringify(sent.out.notRead));
  } finally {
    work.cleanup();
    home.cleanup();
  }
});
