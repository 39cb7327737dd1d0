/**
 * Against a real Storage Commitment SCP, Orthanc: `courier send … --commit --listen
 * --delete-after-commit --json` reports every instance stored and committed, the files are gone,
 * and Orthanc holds them all (its REST API /instances). Orthanc reports on a new association to
 * our accepter, possibly before its N-ACTION-RSP.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, tempDir } from '../../helpers.ts';
import { startOrthanc } from './orthanc.ts';
import { missingPeers } from '../../peers.ts';
import { makeStudy } from './study.ts';
import { runCliAsync } from './net.ts';

test('CourierSend_CommitAgainstOrthanc_AllCommittedFilesGoneOrthancHoldsThem', { skip: missingPeers('Orthanc') }, async (t) => {
  const dir = tempDir();
  const files = makeStudy(join(dir.path, 'study'), 8);
  const listen = await freePort();
  const orthanc = await startOrthanc(join(dir.path, 'orthanc'), { aeTitle: 'COURIER', host: '127.0.0.1', port: listen });
  t.after(async () => {
    await orthanc.stop();
    dir.cleanup();
  });
  const r = await runCliAsync(
    ['send', join(dir.path, 'study'), '--to', `ORTHANC@127.0.0.1:${orthanc.dicomPort}`, '--ae', 'COURIER', '--commit', '--listen', String(listen),
      '--delete-after-commit', '--json'],
    join(dir.path, 'home'),
  );
  assert.equal(r.status, 0, `${r.stderr}\n--- Orthanc ---\n${orthanc.log().slice(-3000)}`);
  const out = JSON.parse(r.stdout) as { transactionUid: string; instances: { path: string; sopInstanceUid: string; store: string; commit: string; deleted: boolean }[] };
  assert.match(out.transactionUid, /^2\.25\.\d+$/);
  assert.equal(out.instances.length, files.length);
  for (const i of out.instances) assert.deepEqual([i.store, i.commit, i.deleted], ['success', 'committed', true], i.path);
  assert.ok(files.every((f) => !existsSync(f.path)), 'every committed file is deleted');
  const ids = await orthanc.get<string[]>('/instances');
  assert.equal(ids.length, files.length);
  const held = new Set<string>();
  for (const id of ids) held.add((await orthanc.get<{ MainDicomTags: { SOPInstanceUID: string } }>(`/instances/${id}`)).MainDicomTags.SOPInstanceUID);
  for (const f of files) assert.ok(held.has(f.sopInstanceUid), `Orthanc lacks ${f.sopInstanceUid}`);
});

test('CourierSend_CommitAgainstOrthancThatDoesNotKnowUs_TimesOutAndKeepsEveryFile', { skip: missingPeers('Orthanc') }, async (t) => {
  const dir = tempDir();
  const files = makeStudy(join(dir.path, 'study'), 2);
  const listen = await freePort();
  // Orthanc knows another AE only: it stores, but never answers our N-ACTION (docs/dimse.md).
  const orthanc = await startOrthanc(join(dir.path, 'orthanc'), { aeTitle: 'SOMEONE', host: '127.0.0.1', port: listen });
  t.after(async () => {
    await orthanc.stop();
    dir.cleanup();
  });
  const r = await runCliAsync(
    ['send', join(dir.path, 'study'), '--to', `ORTHANC@127.0.0.1:${orthanc.dicomPort}`, '--ae', 'COURIER', '--commit', '--listen', String(listen),
      '--commit-timeout', '4', '--delete-after-commit', '--json'],
    join(dir.path, 'home'),
  );
  assert.equal(r.status, 1, r.stderr);
  const out = JSON.parse(r.stdout) as { instances: { store: string; commit: string; deleted: boolean }[] };
  for (const i of out.instances) assert.deepEqual([i.store, i.commit, i.deleted], ['success', 'pending', false]);
  assert.ok(files.every((f) => existsSync(f.path)), 'nothing is deleted without a report');
});
