/**
 * The whole workflow from the command line, as the README shows it: `courier pacs` in each
 * delivery mode with one instance refused by --fail, and `courier send --commit --listen
 * --delete-after-commit --json`: the others are deleted, the refused one is kept with its reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, tempDir } from '../../helpers.ts';
import { runCliAsync } from './net.ts';
import { spawnPacs } from '../pacs/cli.ts';
import { makeStudy } from './study.ts';

interface SendJson {
  transactionUid: string | null;
  instances: { path: string; sopInstanceUid: string; store: string; status: string; commit: string; failureReason?: string; deleted: boolean }[];
}

for (const delivery of ['same', 'new', 'next'] as const) {
  test(`CourierSend_CommitAgainstCourierPacs_${delivery}Delivery_DeletesCommittedKeepsRefused`, async (t) => {
    const dir = tempDir();
    const files = makeStudy(join(dir.path, 'study'), 5);
    const refused = files[3];
    const listen = await freePort();
    const pacs = await spawnPacs(
      ['--port', '0', '--ae', 'PACS', '--dir', join(dir.path, 'pacs'), '--commit-delivery', delivery, '--reply-to', `COURIER@127.0.0.1:${listen}`,
        '--commit-delay', '100', '--fail', refused.sopInstanceUid],
      join(dir.path, 'pacs-home'),
    );
    t.after(async () => {
      await pacs.stop();
      dir.cleanup();
    });
    const r = await runCliAsync(
      ['send', join(dir.path, 'study'), '--to', `PACS@127.0.0.1:${pacs.port}`, '--ae', 'COURIER', '--commit', '--listen', String(listen),
        '--commit-timeout', '12', '--delete-after-commit', '--json'],
      join(dir.path, 'home'),
    );
    assert.equal(r.status, 1, `a refused instance makes the send fail: ${r.stderr}`);
    const out = JSON.parse(r.stdout) as SendJson;
    assert.match(out.transactionUid!, /^2\.25\.\d+$/);
    assert.equal(out.instances.length, 5);
    for (const i of out.instances) {
      assert.equal(i.store, 'success');
      assert.equal(i.status, '0x0000');
      if (i.sopInstanceUid === refused.sopInstanceUid) {
        assert.deepEqual([i.commit, i.failureReason, i.deleted], ['failed', '0x0110', false]);
        assert.ok(existsSync(i.path));
      } else {
        assert.deepEqual([i.commit, i.deleted], ['committed', true]);
        assert.ok(!existsSync(i.path));
      }
    }
  });
}
