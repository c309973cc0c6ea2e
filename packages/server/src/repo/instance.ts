// The installation's id (made with the database by migration 0005): the namespace of its Redis keys.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

export async function instanceId(db: Kysely<Database>): Promise<string> {
  const row = await db.selectFrom('instance').select('id').executeTakeFirstOrThrow();
  return row.id;
}
