// The dialect setup: the only SQLite-specific code. Everything else speaks Kysely.
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresAdapter, SqliteDialect, sql } from 'kysely';
import { migrationProvider } from './migrations.js';
import type { Database } from './schema.js';

/** Opens (creating if needed) the data directory's SQLite file and brings its schema up to date. */
export async function openDatabase(dataDir: string): Promise<Kysely<Database>> {
  const sqlite = new SQLite(join(dataDir, 'segkit.db'));
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    await db.destroy();
    throw new Error(`Database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
  return db;
}

/** SQLite's own consistency check of the database file: `['ok']` when sound. */
export async function integrityCheck(db: Kysely<Database>): Promise<string[]> {
  const r = await sql<{ integrity_check: string }>`PRAGMA integrity_check`.execute(db);
  return r.rows.map((row) => row.integrity_check);
}

/** True when `db` speaks to PostgreSQL (for the few statements that differ: row locks, sequences). */
export const isPostgres = <T>(db: Kysely<T>) => db.getExecutor().adapter instanceof PostgresAdapter;
