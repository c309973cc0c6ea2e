// The column types and defaults that differ between SQLite and PostgreSQL, for the migrations: everything else in
// them is Kysely's portable schema builder.
import {
  type ColumnDefinitionBuilder,
  type Kysely,
  PostgresAdapter,
  type RawBuilder,
  type SelectQueryBuilder,
  sql,
} from 'kysely';

/** True when `db` speaks to PostgreSQL (for the few statements that differ: row locks, types, maintenance). */
export const isPostgres = <T>(db: Kysely<T>) => db.getExecutor().adapter instanceof PostgresAdapter;

type Build = (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;

export interface Portable {
  /** An integer primary key the database numbers: `serial` on PostgreSQL, INTEGER AUTOINCREMENT on SQLite. */
  id: ['serial' | 'integer', Build];
  /** A double-precision number (SQLite's REAL is one; PostgreSQL's `real` is single precision). */
  float: 'real' | 'double precision';
  /** The current time as text, `YYYY-MM-DD HH:MM:SS` in UTC on both. */
  now: RawBuilder<string>;
}

export function portable(db: Kysely<unknown>): Portable {
  if (isPostgres(db))
    return {
      id: ['serial', (c) => c.primaryKey()],
      float: 'double precision',
      now: sql<string>`(to_char(now() at time zone 'utc', 'YYYY-MM-DD HH24:MI:SS'))`,
    };
  return {
    id: ['integer', (c) => c.primaryKey().autoIncrement()],
    float: 'real',
    now: sql<string>`CURRENT_TIMESTAMP`,
  };
}

/** A row-picking subquery that, on PostgreSQL, locks the row it picks and skips rows other transactions hold. */
export function skipLocked<T, DB, TB extends keyof DB, O>(
  db: Kysely<T>,
  q: SelectQueryBuilder<DB, TB, O>,
): SelectQueryBuilder<DB, TB, O> {
  return isPostgres(db) ? q.forUpdate().skipLocked() : q;
}

/**
 * True for the database refusing a number a request carried: PostgreSQL's "out of range" and "invalid input" for an
 * integer (an id such as 1e999, which the validator lets through as Infinity and SQLite matches with nothing).
 */
export const isNumberRefused = (e: unknown) =>
  ['22003', '22P02'].includes(String((e as { code?: unknown }).code));
