/**
 * The SQLite database (node:sqlite, built into Node 22 and Electron 38+): opening it with the
 * pragmas the data-safety invariants need, and applying migrations in order.
 */
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { PRIVATE_FILE_MODE, privateDir, privateFile, tighten } from '../privateFiles.ts';
import { migrations } from './migrations.ts';

/** The database handle the stores share. */
export type Db = DatabaseSync;

/** Opens (creating if needed) the database at `path`, readable by this user only, and brings its schema up to date. */
export function openDatabase(path: string): Db {
  if (path !== ':memory:') {
    // Patient names and paths: this user's only. SQLite gives the WAL and -shm files the database's mode.
    privateDir(dirname(path));
    privateFile(path);
    for (const extra of ['-wal', '-shm', '-journal']) tighten(path + extra, PRIVATE_FILE_MODE);
  }
  const db = new DatabaseSync(path);
  // WAL lets readers go on during writes; synchronous=FULL makes every commit durable before the
  // next step acts on it (docs/data-safety.md, invariant 2). busy_timeout covers a CLI and the app at once.
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;');
  migrate(db);
  return db;
}

/** Applies every migration not yet recorded, each in its own transaction. */
export function migrate(db: Db): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
  const applied = new Set((db.prepare('SELECT id FROM schema_migrations').all() as { id: string }[]).map((r) => r.id));
  for (const m of migrations) {
    if (applied.has(m.id)) continue;
    transaction(db, () => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)').run(m.id, new Date().toISOString());
    });
  }
}

/** Runs `fn` inside BEGIN IMMEDIATE … COMMIT, rolling back if it throws. */
export function transaction<T>(db: Db, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}
