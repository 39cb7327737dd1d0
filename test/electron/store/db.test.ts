// The library database, its WAL and shared memory are this user's only (0600 in a 0700 folder),
// also when an older version left them world-readable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../../electron/store/db.ts';
import { PYDICOM_TEST_FILES, runCli, tempDir } from '../../helpers.ts';

const mode = (path: string) => statSync(path).mode & 0o777;

test('a new library folder, database, WAL and shared memory are 0700/0600 whatever the umask', () => {
  const dir = tempDir();
  const umask = process.umask(0o022);
  try {
    const home = join(dir.path, 'new', 'Courier');
    const db = openDatabase(join(home, 'courier.db'));
    db.exec("CREATE TABLE t (x); INSERT INTO t VALUES ('Doe^Jane')");
    for (const f of ['courier.db', 'courier.db-wal', 'courier.db-shm']) assert.equal(mode(join(home, f)), 0o600, f);
    assert.equal(mode(home), 0o700);
    db.close();
  } finally {
    process.umask(umask);
    dir.cleanup();
  }
});

test('a world-readable library an older version made is tightened when opened', () => {
  const dir = tempDir();
  try {
    const home = join(dir.path, 'Courier');
    mkdirSync(home);
    const path = join(home, 'courier.db');
    openDatabase(path).close();
    for (const f of ['courier.db', 'courier.db-wal', 'courier.db-shm']) {
      if (!existsSync(join(home, f))) writeFileSync(join(home, f), '');
      chmodSync(join(home, f), 0o644);
    }
    chmodSync(home, 0o755);
    openDatabase(path).close();
    assert.equal(mode(home), 0o700);
    for (const f of ['courier.db', 'courier.db-wal', 'courier.db-shm']) if (existsSync(join(home, f))) assert.equal(mode(join(home, f)), 0o600, f);
  } finally {
    dir.cleanup();
  }
});

test('courier index creates its library home private', () => {
  const dir = tempDir();
  try {
    const home = join(dir.path, 'home');
    const r = runCli(['index', join(PYDICOM_TEST_FILES, 'CT_small.dcm'), '--json'], home);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(mode(home), 0o700);
    assert.equal(mode(join(home, 'courier.db')), 0o600);
  } finally {
    dir.cleanup();
  }
});
