/**
 * Deletion: only committed, unchanged files inside the folders sent from; never twice; every
 * deletion audited; an interrupted deletion is completed, not repeated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { tempDir } from '../../helpers.ts';
import { deleteCommitted } from '../../../electron/commit/delete.ts';
import { stampOf } from '../../../electron/fileStamp.ts';
import { processReport } from '../../../electron/commit/report.ts';
import { CT, createTxn, openStore, report } from './fixtures.ts';

function files(dir: string, n: number) {
  mkdirSync(dir, { recursive: true });
  return Array.from({ length: n }, (_, i) => {
    const path = join(dir, `f${i}.dcm`);
    const content = Buffer.from(`instance ${i} `.repeat(50));
    writeFileSync(path, content);
    return { SOPClassUID: CT, SOPInstanceUID: `1.2.3.4.${i + 1}`, path, size: content.length, sha256: createHash('sha256').update(content).digest('hex') };
  });
}

function setup(t: import('node:test').TestContext, n: number) {
  const dir = tempDir();
  const { db, store } = openStore(dir.path);
  t.after(() => {
    db.close();
    dir.cleanup();
  });
  const root = join(dir.path, 'sent');
  const instances = files(root, n);
  return { dir: dir.path, db, store, root, instances };
}

const commitAll = (store: ReturnType<typeof openStore>['store'], uid: string, list: { SOPClassUID: string; SOPInstanceUID: string }[], failed: typeof list = []) =>
  processReport(store, null, report({
    TransactionUID: uid,
    referenced: list.map(({ SOPClassUID, SOPInstanceUID }) => ({ SOPClassUID, SOPInstanceUID })),
    failed: failed.map(({ SOPClassUID, SOPInstanceUID }) => ({ SOPClassUID, SOPInstanceUID, FailureReason: 0x0112 })),
  }));

test('CommittedUnchangedFiles_AreDeletedAndAudited_FailedOnesKept', async (t) => {
  const { db, store, root, instances } = setup(t, 4);
  const txn = createTxn(store, instances, [root]);
  commitAll(store, txn.transactionUid, instances.slice(0, 3), instances.slice(3));
  const out = await deleteCommitted(store, store.byId(txn.id)!);
  assert.deepEqual(out.map((o) => o.deleted), [true, true, true]);
  assert.deepEqual(instances.map((i) => existsSync(i.path)), [false, false, false, true]);
  const audit = store.deletions();
  assert.equal(audit.length, 3);
  assert.equal(audit[0].transactionUid, txn.transactionUid);
  assert.equal(audit[0].node, 'PACS@127.0.0.1:11112');
  assert.match(audit[0].sha256, /^[0-9a-f]{64}$/);
  // Running again deletes nothing more and writes no second audit row.
  assert.deepEqual(await deleteCommitted(store, store.byId(txn.id)!), []);
  assert.equal((db.prepare('SELECT count(*) AS n FROM commit_deletions').get() as { n: number }).n, 3);
});

test('PendingInstances_AreNeverDeleted', async (t) => {
  const { store, root, instances } = setup(t, 2);
  const txn = createTxn(store, instances, [root]);
  assert.deepEqual(await deleteCommitted(store, store.byId(txn.id)!), []);
  assert.ok(instances.every((i) => existsSync(i.path)));
});

test('FileChangedSinceSent_IsKept', async (t) => {
  const { store, root, instances } = setup(t, 2);
  const txn = createTxn(store, instances, [root]);
  commitAll(store, txn.transactionUid, instances);
  const c = Buffer.from(`instance 0 `.repeat(50));
  c[0] = 'X'.charCodeAt(0); // same size, other content
  writeFileSync(instances[0].path, c);
  writeFileSync(instances[1].path, 'shorter');
  const out = await deleteCommitted(store, store.byId(txn.id)!);
  assert.deepEqual(out.map((o) => o.deleted), [false, false]);
  assert.match(out[0].problem!, /content differs/);
  assert.match(out[1].problem!, /size/);
  assert.ok(instances.every((i) => existsSync(i.path)));
  assert.match(store.instanceRows(txn.id)[0].keptReason!, /changed since/);
});

test('FileOutsideTheSentFolders_IsKept', async (t) => {
  const { dir, store, root, instances } = setup(t, 1);
  const elsewhere = files(join(dir, 'elsewhere'), 1).map((e) => ({ ...e, SOPInstanceUID: '1.2.3.8.1' }));
  const link = join(root, 'link.dcm');
  symlinkSync(elsewhere[0].path, link);
  const viaLink = { ...elsewhere[0], SOPInstanceUID: '1.2.3.9.1', path: link };
  const txn = createTxn(store, [...instances, elsewhere[0], viaLink], [root]);
  commitAll(store, txn.transactionUid, [...instances, elsewhere[0], viaLink]);
  const out = await deleteCommitted(store, store.byId(txn.id)!);
  assert.deepEqual(out.map((o) => o.deleted), [true, false, false]);
  assert.match(out[1].problem!, /outside the folders/);
  assert.match(out[2].problem!, /symbolic link/);
  assert.ok(existsSync(elsewhere[0].path));
});

test('FileOnReadOnlyMedia_IsKeptAndReported', async (t) => {
  const { store, root, instances } = setup(t, 2);
  const txn = createTxn(store, instances, [root]);
  commitAll(store, txn.transactionUid, instances);
  const unlink = async (p: string) => {
    throw Object.assign(new Error(`EROFS: read-only file system, unlink '${p}'`), { code: p.endsWith('f0.dcm') ? 'EROFS' : 'EACCES' });
  };
  const out = await deleteCommitted(store, store.byId(txn.id)!, { unlink });
  assert.deepEqual(out.map((o) => o.problem), ['is on read-only media', 'may not be deleted (permission denied)']);
  assert.equal(store.deletions().length, 0);
  assert.deepEqual(store.instanceRows(txn.id).map((r) => r.deleted), [false, false]);
});

test('InterruptedDeletion_IsCompletedOnce_NotRepeated', async (t) => {
  const { db, store, root, instances } = setup(t, 3);
  const txn = createTxn(store, instances, [root]);
  commitAll(store, txn.transactionUid, instances);
  const [a, b] = store.deletionCandidates(txn.id);
  // Crash after the intent of a, before its unlink; crash after b's unlink, before its record.
  assert.ok(store.markDeleting(a.id, `${a.path}.aside`));
  assert.ok(store.markDeleting(b.id, `${b.path}.aside`));
  const { unlinkSync } = await import('node:fs');
  unlinkSync(b.path);
  const out = await deleteCommitted(store, store.byId(txn.id)!);
  assert.deepEqual(out.map((o) => o.deleted), [true, true, true]);
  assert.equal((db.prepare('SELECT count(*) AS n FROM commit_deletions').get() as { n: number }).n, 3);
  assert.ok(instances.every((i) => !existsSync(i.path)));
});

test('SameFileInTwoTransactions_IsDeletedOnce', async (t) => {
  const { store, root, instances } = setup(t, 1);
  const t1 = createTxn(store, instances, [root]);
  const t2 = createTxn(store, instances, [root]);
  commitAll(store, t1.transactionUid, instances);
  commitAll(store, t2.transactionUid, instances);
  assert.equal((await deleteCommitted(store, store.byId(t1.id)!))[0].deleted, true);
  const second = await deleteCommitted(store, store.byId(t2.id)!);
  assert.equal(second[0].deleted, false);
  assert.match(second[0].problem!, /already deleted/);
  assert.equal(store.deletions().length, 1);
});

/** The instances with a stamp of each file as it is now (as the sender takes it when it reads the bytes). */
const stamped = (instances: ReturnType<typeof files>) =>
  // Taken "a second later" than the files were written: a stamp taken within 50 ms of a write is racy and never deletes.
  instances.map((i) => ({ ...i, sha256: '', stamp: stampOf(statSync(i.path), Date.now() + 1000) }));

test('DeletionRace_PathSwappedBetweenTheChecksAndTheUnlink_TheSwappedInFileIsKept', async (t) => {
  const { dir, store, root, instances } = setup(t, 2);
  const txn = createTxn(store, stamped(instances), [root]);
  commitAll(store, txn.transactionUid, instances);
  // After every check passed and the intent is recorded, another file takes the first file's path.
  const beforeUnlink = (path: string) => {
    if (path !== instances[0].path) return;
    writeFileSync(join(dir, 'other.dcm'), 'a file nobody sent');
    renameSync(join(dir, 'other.dcm'), path);
  };
  const out = await deleteCommitted(store, store.byId(txn.id)!, { beforeUnlink });
  assert.deepEqual(out.map((o) => o.deleted), [false, true]);
  assert.match(out[0].problem!, /replaced by another file just before its deletion; that file was not deleted/);
  assert.equal(readFileSync(instances[0].path, 'utf8'), 'a file nobody sent', 'the swapped-in file is where it was, untouched');
  assert.ok(!existsSync(instances[1].path));
  assert.deepEqual(readdirSync(root), ['f0.dcm'], 'nothing is left aside');
  assert.deepEqual(store.deletions().map((d) => d.path), [instances[1].path]);
});

test('OverwrittenAfterSent_SameSizeMtimeRestored_IsKeptAsChangedSinceSent', async (t) => {
  const { store, root, instances } = setup(t, 2);
  const txn = createTxn(store, stamped(instances), [root]);
  commitAll(store, txn.transactionUid, instances);
  // Same size, same SOP Instance UID, the mtime put back to the nanosecond (touch -r, as `cp -p` keeps one): only the ctime moved.
  const before = statSync(instances[0].path);
  copyFileSync(instances[0].path, join(root, '..', 'reference'));
  execFileSync('touch', ['-m', '-r', instances[0].path, join(root, '..', 'reference')]);
  const other = Buffer.from(readFileSync(instances[0].path));
  other[0] ^= 0xff;
  writeFileSync(instances[0].path, other);
  execFileSync('touch', ['-m', '-r', join(root, '..', 'reference'), instances[0].path]);
  assert.equal(statSync(instances[0].path).mtimeMs, before.mtimeMs);
  assert.equal(statSync(instances[0].path).size, before.size);
  const out = await deleteCommitted(store, store.byId(txn.id)!);
  assert.deepEqual(out.map((o) => o.deleted), [false, true]);
  assert.match(out[0].problem!, /^changed since it was sent/);
  assert.ok(existsSync(instances[0].path));
});

test('RacyStamp_FileWrittenMomentsBeforeItWasRead_IsNeverDeleted', async (t) => {
  const { store, root, instances } = setup(t, 1);
  const racy = instances.map((i) => ({ ...i, sha256: '', stamp: stampOf(statSync(i.path), statSync(i.path).ctimeMs + 1) }));
  const txn = createTxn(store, racy, [root]);
  commitAll(store, txn.transactionUid, instances);
  const out = await deleteCommitted(store, store.byId(txn.id)!);
  assert.equal(out[0].deleted, false);
  assert.match(out[0].problem!, /written to moments before it was sent/);
});

test('InterruptedAfterTheMoveAside_IsFinished_OrPutBackWhenItChanged', async (t) => {
  const { store, root, instances } = setup(t, 2);
  const txn = createTxn(store, stamped(instances), [root]);
  commitAll(store, txn.transactionUid, instances);
  // A crash after each file was moved aside (its ctime moves with the rename), before its unlink.
  const aside = store.deletionCandidates(txn.id).map((c) => {
    const q = join(root, `.courier-deleting-${c.id}-test`);
    assert.ok(store.markDeleting(c.id, q));
    renameSync(c.path, q);
    return q;
  });
  // The second one was written to while Courier was down.
  writeFileSync(aside[1], 'changed while aside');
  const out = await deleteCommitted(store, store.byId(txn.id)!);
  assert.deepEqual(out.map((o) => o.deleted), [true, false]);
  assert.ok(!existsSync(aside[0]) && !existsSync(instances[0].path));
  assert.ok(!existsSync(aside[1]));
  assert.equal(readFileSync(instances[1].path, 'utf8'), 'changed while aside', 'put back where it was, and kept');
  assert.match(out[1].problem!, /changed since it was sent/);
  assert.equal(store.deletions().length, 1);
});
