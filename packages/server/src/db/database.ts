// The dialect setup. Engine-specific code lives here and in portable.ts only; everything else speaks Kysely.
import { join } from 'node:path';
import { ServiceUnavailableError } from '@segkit/core';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { withoutCredentials } from '../urls.js';
import { migrationProvider } from './migrations.js';
import { isPostgres } from './portable.js';
import type { Database } from './schema.js';

export interface DatabaseOptions {
  /** A PostgreSQL URL (`postgres://user:pass@host:5432/db`); without one, the data directory's SQLite file. */
  url?: string | undefined;
  /** Connections in the PostgreSQL pool (default 10). */
  poolSize?: number;
}

/** True for a URL that names a PostgreSQL database. */
export const isPostgresUrl = (url: string) => /^postgres(ql)?:\/\//i.test(url);

/** PostgreSQL's 64-bit integers (count(*), sums) as JavaScript numbers, as SQLite gives them. */
const INT8 = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

function connect(dataDir: string, opts: DatabaseOptions): Kysely<Database> {
  if (opts.url)
    return new Kysely<Database>({
      dialect: new PostgresDialect({
        pool: new pg.Pool({ connectionString: opts.url, max: opts.poolSize ?? 10, types }),
      }),
    });
  const sqlite = new SQLite(join(dataDir, 'segkit.db'));
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
}

/**
 * Opens the database (the data directory's SQLite file, created if needed, or the PostgreSQL database `opts.url`
 * names) and brings its schema up to date. Replicas starting together on one PostgreSQL database migrate once: the
 * migrator holds a lock while it works.
 */
export async function openDatabase(dataDir: string, opts: DatabaseOptions = {}): Promise<Kysely<Database>> {
  const db = connect(dataDir, opts);
  const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    await db.destroy();
    if (opts.url && unreachable(error))
      throw new ServiceUnavailableError(
        `Cannot reach PostgreSQL at ${withoutCredentials(opts.url)}: ${(error as Error).message.split('\n')[0]}`,
      );
    throw new Error(`Database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
  return db;
}

/**
 * A connection that failed before any statement ran: refused, unknown host, timed out, bad password (28P01), no
 * such database (3D000) or role (28000).
 */
function unreachable(e: unknown): boolean {
  const code = String((e as { code?: unknown } | undefined)?.code ?? '');
  return [
    'ECONNREFUSED',
    'ENOTFOUND',
    'EAI_AGAIN',
    'ETIMEDOUT',
    'EHOSTUNREACH',
    '28P01',
    '3D000',
    '28000',
  ].includes(code);
}

/** The database's own consistency check: `['ok']` when sound (SQLite's integrity_check; on PostgreSQL, a query). */
export async function integrityCheck(db: Kysely<Database>): Promise<string[]> {
  if (isPostgres(db)) {
    await sql`select 1`.execute(db);
    return ['ok'];
  }
  const r = await sql<{ integrity_check: string }>`PRAGMA integrity_check`.execute(db);
  return r.rows.map((row) => row.integrity_check);
}
