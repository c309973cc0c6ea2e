// The database seam on PostgreSQL: replicas that start together on a fresh database migrate it once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAdminToken } from '../src/auth.js';
import { openDatabase } from '../src/db/database.js';
import { MIGRATIONS } from '../src/db/migrations.js';
import { type Postgres, postgresAvailable, startPostgres } from './engines.js';
import { tmp } from './helpers.js';

let postgres: Postgres | undefined;
beforeAll(async () => {
  if (postgresAvailable()) postgres = await startPostgres();
}, 60_000);
afterAll(() => postgres?.stop());

describe.skipIf(!postgresAvailable())('the database on PostgreSQL', () => {
  it('three servers opening a fresh database at once migrate it once, and all three read and write it', async () => {
    const url = await postgres!.createDatabase();
    const dbs = await Promise.all([0, 1, 2].map(() => openDatabase(tmp(), { url })));
    try {
      const migrations = await dbs[0]!
        .selectFrom('kysely_migration' as never)
        .select('name' as never)
        .execute();
      expect(migrations.map((m) => (m as { name: string }).name)).toEqual(Object.keys(MIGRATIONS));
      // One installation id, made once: the namespace every replica and worker uses in Redis.
      const ids = await Promise.all(dbs.map((d) => d.selectFrom('instance').select('id').execute()));
      expect(ids[0]).toHaveLength(1);
      expect(ids[1]).toEqual(ids[0]);
      await dbs[1]!
        .insertInto('project')
        .values({ name: 'from replica 1', labels: '[]', settings: '{}' })
        .execute();
      const seen = await dbs[2]!.selectFrom('project').select(['id', 'name', 'created_at']).execute();
      expect(seen).toMatchObject([{ id: 1, name: 'from replica 1' }]);
      expect(seen[0]!.created_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/); // the same text form as SQLite's
    } finally {
      await Promise.all(dbs.map((d) => d.destroy()));
    }
  });

  it('replicas starting together on one database make one admin token between them; a later replica makes none', async () => {
    const url = await postgres!.createDatabase();
    const dbs = await Promise.all([0, 1, 2].map(() => openDatabase(tmp(), { url })));
    try {
      const tokens = await Promise.all(dbs.map((d) => ensureAdminToken(d, tmp(), true)));
      expect(tokens.filter((t) => t !== undefined)).toHaveLength(1);
      expect(await dbs[0]!.selectFrom('token').select('id').execute()).toHaveLength(1);
      expect(await ensureAdminToken(dbs[1]!, tmp(), true)).toBeUndefined();
      // The data directory that holds the token prints it again on restart.
      const dir = tmp();
      await dbs[2]!.updateTable('token').set({ revoked_at: '2026-01-01 00:00:00' }).execute();
      const fresh = await ensureAdminToken(dbs[2]!, dir, true);
      expect(fresh).toBeDefined();
      expect(await ensureAdminToken(dbs[0]!, dir, true)).toBe(fresh);
    } finally {
      await Promise.all(dbs.map((d) => d.destroy()));
    }
  });
});
