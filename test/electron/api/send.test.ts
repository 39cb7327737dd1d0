/**
 * The send channels as the UI uses them, with storage commitment and deletion: `send.start` over a
 * library selection, then `send.instances` for what happened to each file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { indexPath } from '../../../electron/library/indexer.ts';
import { sendHandlers } from '../../../electron/api/send.ts';
import { appWithPacs } from '../workflow/app.ts';
import { makeStudy } from '../commit/study.ts';

test('SendStart_WithCommitAndDelete_AFileWhoseUidTheLibraryHoldsWithOtherContent_IsKeptWithTheReason', async (t) => {
  const { dir, services, pacs } = await appWithPacs(t);
  // The library holds a second file of the first instance, changed by DCMTK (same SOP Instance UID, other content).
  const study = join(dir, 'study');
  const files = makeStudy(study, 2);
  const other = join(dir, 'other', 'IM00001.dcm');
  mkdirSync(join(dir, 'other'));
  copyFileSync(files[0].path, other);
  execFileSync('dcmodify', ['-nb', '-i', '(0008,103e)=EDITED ELSEWHERE', other]);
  await indexPath(services.db, services.library, study);
  await indexPath(services.db, services.library, join(dir, 'other'));
  const node = services.nodes.save({ aeTitle: 'PACS', host: '127.0.0.1', port: pacs.port, commitTimeoutS: 8, commitRetries: 0 });

  const api = sendHandlers(services);
  const { sendJobId } = await api['send.start']({
    nodeId: node.id,
    patientIds: services.library.patients().map((p) => p.id),
    choice: { preferFolders: [study] },
    commit: { request: true, deleteAfterCommit: true },
  });
  await services.send.wait(sendJobId);
  await services.workflow.settled(sendJobId);

  const rows = await api['send.instances']({ sendJobId });
  assert.deepEqual(rows.map((r) => [r.path, r.commit?.state, r.commit?.deleted]), [[files[0].path, 'committed', false], [files[1].path, 'committed', true]]);
  assert.equal(rows[0].commit?.keptReason, `the library holds another file with the same SOP Instance UID but different content (${other}); the PACS holds only one of them`);
  assert.ok(existsSync(files[0].path) && existsSync(other) && !existsSync(files[1].path));
  assert.equal(services.send.store.job(sendJobId)?.commit?.state, 'done');
});
