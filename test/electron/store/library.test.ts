// The library model keeps what files disagree on visible: files without a Study or Series Instance
// UID in an Unfiled group (viewable; send and export refuse them with the reason), a Study UID whose
// files name two Patient IDs, and a SOP Instance UID whose files hold different contents (each file
// with its version, so the UI tells copies from conflicts); a send with deletion removes only the
// file it sent, never the other content.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { indexPath } from '../../../electron/library/indexer.ts';
import { createServices } from '../../../electron/services.ts';
import { PYDICOM_TEST_FILES, freePort, python, runCli, tempDir } from '../../helpers.ts';
import { hasPeers } from '../../peers.ts';
import { runCliAsync } from '../commit/net.ts';
import { startStorescp } from '../dimse/peers.ts';
import { spawnPacs } from '../pacs/cli.ts';

const CT = join(PYDICOM_TEST_FILES, 'CT_small.dcm');

/** Writes a copy of `src` at `out` with pydicom, attributes set (a value) or deleted (null). */
function edited(src: string, out: string, changes: Record<string, string | null>): void {
  python([
    '-c',
    `import json, pydicom
ds = pydicom.dcmread(${JSON.stringify(src)})
for k, v in json.loads(${JSON.stringify(JSON.stringify(changes))}).items():
    if v is None: delattr(ds, k)
    else: setattr(ds, k, v)
ds.save_as(${JSON.stringify(out)})
print('null')`,
  ]);
}

test('files without a Study or Series Instance UID are viewable under Unfiled; send and export refuse them with the reason', async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const dir = join(tmp.path, 'folder');
  mkdirSync(dir);
  copyFileSync(CT, join(dir, 'filed.dcm'));
  edited(CT, join(dir, 'unfiled.dcm'), { StudyInstanceUID: null, SeriesInstanceUID: null, SOPInstanceUID: '1.2.826.0.1.3680043.8.498.1' });
  edited(CT, join(dir, 'no-series.dcm'), { SeriesInstanceUID: null, SOPInstanceUID: '1.2.826.0.1.3680043.8.498.2' });
  const home = join(tmp.path, 'home');
  const services = createServices(home);
  t.after(() => services.close());
  const summary = await indexPath(services.db, services.library, dir);
  assert.deepEqual(summary.errors, [], 'pydicom reads them: they are not errors');
  assert.deepEqual([summary.instances, summary.unfiled, summary.studies, summary.series], [3, 2, 1, 1]);

  const [patient] = services.library.patients();
  const studies = services.library.studies(patient.id);
  assert.deepEqual(studies.map((s) => [s.unfiled, s.StudyInstanceUID === '']), [[false, false], [true, true]], 'the Unfiled study comes last');
  const unfiledSeries = services.library.series(studies[1].id);
  assert.deepEqual(unfiledSeries.map((s) => [s.unfiled, s.SeriesInstanceUID, s.instanceCount]), [[true, '', 1]]);
  const filedSeries = services.library.series(studies[0].id);
  assert.deepEqual(filedSeries.map((s) => [s.unfiled, s.instanceCount]), [[false, 1], [true, 1]], 'no Series UID: the study\'s Unfiled series');
  // Viewable: the viewer fetches it by instance id like any other.
  const [instance] = services.library.instances(unfiledSeries[0].id);
  assert.equal(services.library.fileOfInstance(instance.id)!.path, join(dir, 'unfiled.dcm'));
  const problems = Object.fromEntries(
    (services.db.prepare('SELECT path, send_problem FROM files').all() as { path: string; send_problem: string | null }[]).map((r) => [r.path.split('/').pop(), r.send_problem]),
  );
  assert.equal(problems['filed.dcm'], null);
  assert.match(problems['unfiled.dcm']!, /^No Study Instance UID \(0020,000D\) and no Series Instance UID \(0020,000E\).*not sent or exported/);
  assert.match(problems['no-series.dcm']!, /^No Series Instance UID/);

  // Export: only the filed one, the others listed with the reason.
  const out = join(tmp.path, 'export');
  const e = JSON.parse(runCli(['dicomdir', dir, '--out', out, '--json'], join(tmp.path, 'home2')).stdout) as { instances: number; errors: { path: string; message: string }[] };
  assert.equal(e.instances, 1);
  assert.deepEqual(e.errors.map((x) => x.path.split('/').pop()).sort(), ['no-series.dcm', 'unfiled.dcm']);
  for (const x of e.errors) assert.match(x.message, /no Study or Series Instance UID/);

  if (!hasPeers(t, 'storescp')) return;
  // Send: the PACS receives the filed one only; the others fail with the reason, before any association carries them.
  const scp = await startStorescp(tmp.path);
  t.after(scp.stop);
  const r = runCli(['send', dir, '--to', `STORESCP@127.0.0.1:${scp.port}`, '--json'], join(tmp.path, 'home3'));
  const sent = JSON.parse(r.stdout) as { instances: { path: string; store: string; message: string }[] };
  const byName = new Map(sent.instances.map((i) => [i.path.split('/').pop(), i]));
  assert.equal(byName.get('filed.dcm')!.store, 'success');
  for (const name of ['unfiled.dcm', 'no-series.dcm']) {
    assert.equal(byName.get(name)!.store, 'failed');
    assert.match(byName.get(name)!.message, /not sent or exported/);
  }
  assert.equal(readdirSync(scp.dir).length, 1);
});

test('a Study UID claimed by two Patient IDs and a SOP Instance UID with two contents are shown, copies told from conflicts', async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  for (const d of ['a', 'b', 'c']) mkdirSync(join(tmp.path, d));
  copyFileSync(CT, join(tmp.path, 'a', 'ct.dcm'));
  copyFileSync(CT, join(tmp.path, 'c', 'ct-copy.dcm')); // an identical copy: not a conflict
  // An "anonymised" copy that kept the UIDs: same SOP Instance and Study UIDs, another patient.
  edited(CT, join(tmp.path, 'b', 'ct-anon.dcm'), { PatientID: 'ANON-1', PatientName: 'Anonymous' });
  const services = createServices(join(tmp.path, 'home'));
  t.after(() => services.close());
  for (const d of ['a', 'b', 'c']) await indexPath(services.db, services.library, join(tmp.path, d));

  const [patient] = services.library.patients();
  assert.equal(services.library.patients().length, 1, 'the study stays under the patient first indexed');
  assert.equal(patient.conflicts, 1);
  const [study] = services.library.studies(patient.id);
  assert.deepEqual([study.otherPatients, study.contentConflicts], [1, 1]);
  const [series] = services.library.series(study.id);
  assert.equal(series.contentConflicts, 1);
  const [instance] = services.library.instances(series.id);
  assert.deepEqual([instance.files, instance.contentVersions], [3, 2]);

  const conflicts = services.library.conflicts();
  const claimed = conflicts.find((c) => c.kind === 'patients')!;
  assert.equal(claimed.kind === 'patients' && claimed.studyId, study.id);
  assert.deepEqual(claimed.kind === 'patients' && claimed.claims.map((c) => [c.PatientID, c.files]).sort(), [['1CT1', 2], ['ANON-1', 1]]);
  const content = conflicts.find((c) => c.kind === 'content')!;
  assert.ok(content.kind === 'content');
  const versions = Object.fromEntries(content.files.map((f) => [f.path.split('/').slice(-2).join('/'), [f.version, f.PatientID]]));
  assert.deepEqual(versions, { 'a/ct.dcm': [1, '1CT1'], 'c/ct-copy.dcm': [1, '1CT1'], 'b/ct-anon.dcm': [2, 'ANON-1'] });

  // A library indexed before content keys existed reads its files once more and finds the same.
  services.db.exec('UPDATE files SET content_key = NULL, PatientID = NULL, PatientName = NULL');
  assert.deepEqual(services.library.conflicts(), []);
  const again = await indexPath(services.db, services.library, join(tmp.path, 'b'));
  assert.equal(again.filesRead, 1);
  for (const d of ['a', 'c']) await indexPath(services.db, services.library, join(tmp.path, d));
  assert.deepEqual(services.library.conflicts(), conflicts);

  // The anonymised copy deleted (as a committed send does): nothing is claimed twice any more.
  services.library.forgetPath(join(tmp.path, 'b', 'ct-anon.dcm'));
  services.library.pruneOrphans();
  assert.deepEqual(services.library.conflicts(), []);
  assert.equal(services.library.patients()[0].conflicts, 0);
  assert.deepEqual(services.library.studies(patient.id).map((s) => [s.otherPatients, s.contentConflicts]), [[0, 0]]);
});

test('a committed send keeps the file it sent while the library holds another file with the same SOP Instance UID and other content, and never touches that one', async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const home = join(tmp.path, 'home');
  mkdirSync(join(tmp.path, 'send-me'));
  mkdirSync(join(tmp.path, 'other'));
  const sent = join(tmp.path, 'send-me', 'ct.dcm');
  const other = join(tmp.path, 'other', 'ct-anon.dcm');
  copyFileSync(CT, sent);
  edited(CT, other, { PatientID: 'ANON-1', PatientName: 'Anonymous' });
  const otherBytes = readFileSync(other);
  assert.equal(runCli(['index', join(tmp.path, 'other')], home).status, 0);
  const listen = await freePort();
  const pacs = await spawnPacs(['--port', '0', '--ae', 'PACS', '--dir', join(tmp.path, 'pacs'), '--reply-to', `COURIER@127.0.0.1:${listen}`], join(tmp.path, 'pacs-home'));
  t.after(() => pacs.stop());
  const r = await runCliAsync(
    ['send', join(tmp.path, 'send-me'), '--to', `PACS@127.0.0.1:${pacs.port}`, '--ae', 'COURIER', '--commit', '--listen', String(listen), '--commit-timeout', '20', '--delete-after-commit', '--json'],
    home,
  );
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { instances: { path: string; commit: string; deleted: boolean; kept?: string }[] };
  // The PACS holds one object per UID: which of the two contents is the one committed is not known (docs/data-safety.md, invariant 1).
  assert.deepEqual(out.instances.map((i) => [i.path, i.commit, i.deleted, i.kept]), [
    [sent, 'committed', false, `the library holds another file with the same SOP Instance UID but different content (${other}); the PACS holds only one of them`],
  ]);
  assert.ok(existsSync(sent));
  assert.deepEqual(readFileSync(other), otherBytes, 'the other content is untouched');
});
