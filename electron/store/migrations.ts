/**
 * Schema migrations, applied in this order and recorded by id. Each area appends its own;
 * never edit one that has shipped — add another.
 */
import { libraryMigrations } from './schema/library.ts';
import { commitMigrations } from './schema/commit.ts';
import { sendMigrations } from './schema/send.ts';

/** One migration: a stable id and the SQL that applies it. */
export interface Migration {
  id: string;
  sql: string;
}

/** Every migration, in order. */
export const migrations: readonly Migration[] = [...libraryMigrations, ...commitMigrations, ...sendMigrations];
