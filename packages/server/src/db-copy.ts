// `segkit db copy`: a data directory's SQLite database and blobs into PostgreSQL (and an S3 bucket). Blobs go first
// (each written under its key, skipped when already there); then every table in one transaction, so an interrupted
// copy leaves the target database empty and the command can simply be run again. Counts and hashes are checked after.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConflictError, FileNotFoundError, WriteError } from '@segkit/core';
import { type Kysely, sql } from 'kysely';
import { blobStoreOf } from './blob-stores.js';
import { openDatabase } from './db/database.js';
import { isPostgres } from './db/portable.js';
import type { Database } from './db/schema.js';

/** Every table, parents before children (foreign keys), with the serial id column where there is one. */
const TABLES: [keyof Database, string | null][] = [
  ['instance', null],
  ['project', 'id'],
  ['recipe', 'id'],
  ['artifact', 'id'],
  ['image', 'id'],
  ['annotation', 'id'],
  ['processing_result', 'id'],
  ['job', 'id'],
  ['job_item', null],
  ['job_lane', null],
  ['user', 'id'],
  ['token', 'id'],
  ['membership', null],
];

/** Tables whose rows make a target "in use" (a server has started on it, or a copy finished). */
const USER_DATA: (keyof Database)[] = ['project', 'user', 'job'];

export interface CopyReport {
  /** Rows copied per table (the same count read back from the target). */
  tables: Record<string, number>;
  /** Blobs in the source store; how many were written (the others were already in the target). */
  blobs: { total: number; written: number };
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export async function copyDatabase(
  dataDir: string,
  opts: {
    to: string;
    blobs?: string | undefined;
    onProgress?: (line: string) => void;
    /** Rows read and written at a time (default 500): a table is never held in memory whole. */
    batchRows?: number;
  },
): Promise<CopyReport> {
  const batch = opts.batchRows ?? 500;
  if (!existsSync(join(dataDir, 'segkit.db')))
    throw new FileNotFoundError(`No SegKit database in ${dataDir} (expected ${join(dataDir, 'segkit.db')})`);
  const say = opts.onProgress ?? (() => {});
  const source = await openDatabase(dataDir);
  let target: Kysely<Database> | undefined;
  try {
    target = await openDatabase(dataDir, { url: opts.to });
    if (!isPostgres(target)) throw new Error('db copy writes to PostgreSQL only');
    for (const t of USER_DATA) {
      const row = await target.selectFrom(t).select(sql<number>`1`.as('x')).limit(1).executeTakeFirst();
      if (row)
        throw new ConflictError(
          `The target database already has ${t} rows: db copy fills an empty database only (create a new one, or drop this one's tables)`,
        );
    }
    const blobs = await copyBlobs(dataDir, opts.blobs, say);
    const tables: Record<string, number> = {};
    await target.transaction().execute(async (tx) => {
      await tx.deleteFrom('instance').execute(); // the source's installation id replaces the fresh one
      for (const [table, serial] of TABLES) {
        // In pages of `batch` rows, in SQLite's rowid order (a keyset: each page starts after the last one's rowid).
        let count = 0;
        for (let after = 0; ; ) {
          const page = (await source
            .selectFrom(table)
            .selectAll()
            .select(sql<number>`rowid`.as('_rowid'))
            .where(sql`rowid`, '>', after)
            .orderBy(sql`rowid`)
            .limit(batch)
            .execute()) as { _rowid: number }[];
          if (!page.length) break;
          after = page.at(-1)!._rowid;
          await tx
            .insertInto(table)
            .values(page.map(({ _rowid, ...row }) => row) as never)
            .execute();
          count += page.length;
        }
        // Later inserts number on from the copied ids.
        if (serial && count)
          await sql`select setval(pg_get_serial_sequence(${table}, ${serial}), (select max(${sql.ref(serial)}) from ${sql.table(table)}))`.execute(
            tx,
          );
        tables[table] = count;
        say(`${table}: ${count} rows`);
      }
    });
    for (const [table] of TABLES) {
      const n = await target
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      if (Number(n.n) !== tables[table])
        throw new WriteError(`Copied ${tables[table]} ${table} rows but the target holds ${n.n}`);
    }
    return { tables, blobs };
  } finally {
    await source.destroy();
    await target?.destroy();
  }
}

/** Every blob of the data directory's folder into the target store, each checked by hash once written. */
async function copyBlobs(dataDir: string, to: string | undefined, say: (line: string) => void) {
  const from = blobStoreOf(dataDir);
  if (!to) return { total: 0, written: 0 }; // the blobs stay in the data directory's folder
  const store = blobStoreOf(dataDir, to);
  let total = 0;
  let written = 0;
  try {
    for await (const key of from.keys()) {
      total++;
      if (await store.has(key)) continue; // an earlier, interrupted copy wrote it
      const bytes = await from.get(key);
      await store.putAt(key, bytes);
      if (sha256(await store.get(key)) !== sha256(bytes))
        throw new WriteError(`Blob ${key} reads back different from the target store`);
      written++;
      if (written % 100 === 0) say(`blobs: ${written} written`);
    }
  } finally {
    store.close();
  }
  say(`blobs: ${total} in the source, ${written} written`);
  return { total, written };
}
