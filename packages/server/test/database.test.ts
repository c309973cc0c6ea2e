// The database seam on PostgreSQL: replicas that start together on a fresh database migrate it once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
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
      expect(migrations.map((m) => (m as { name: string }).name)).toEqual([
        '0001-initial',
        '0002-job-cancel',
        '0003-job-item-errors',
        '0004-recipes',
      ]);
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
});
