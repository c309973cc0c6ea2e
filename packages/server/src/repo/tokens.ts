// The token table: tokens are stored only as their SHA-256 (hashing and the lookup cache live in auth.ts).
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Caller, Role } from '../roles.js';

/** Creates a user (or reuses one by name) and a token of the given hash for it. */
export async function insertToken(
  db: Kysely<Database>,
  name: string,
  role: Role,
  hash: string,
): Promise<void> {
  let user = await db.selectFrom('user').select(['id']).where('name', '=', name).executeTakeFirst();
  user ??= await db.insertInto('user').values({ name, role }).returning('id').executeTakeFirstOrThrow();
  await db.insertInto('token').values({ user_id: user.id, hash }).execute();
}

/** Whether a token of this hash exists and is not revoked. */
export async function tokenIsLive(db: Kysely<Database>, hash: string): Promise<boolean> {
  const known = await db
    .selectFrom('token')
    .select('id')
    .where('hash', '=', hash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return known !== undefined;
}

/**
 * Registers a token of hash `hash` for the `admin` user unless it has a live one already, decided under a lock on its
 * row (PostgreSQL), so replicas starting together make one between them. Returns whether it was registered.
 */
export async function insertFirstAdminToken(db: Kysely<Database>, hash: string): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    await tx
      .insertInto('user')
      .values({ name: 'admin', role: 'admin' })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const admin = await tx
      .selectFrom('user')
      .select('id')
      .where('name', '=', 'admin')
      .forUpdate()
      .executeTakeFirstOrThrow();
    const live = await tx
      .selectFrom('token')
      .select('id')
      .where('user_id', '=', admin.id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (live) return false;
    await tx.insertInto('token').values({ user_id: admin.id, hash }).execute();
    return true;
  });
}

/** The caller a live token of this hash stands for. */
export async function callerOfHash(db: Kysely<Database>, hash: string): Promise<Caller | undefined> {
  const row = await db
    .selectFrom('token')
    .innerJoin('user', 'user.id', 'token.user_id')
    .select(['user.id as userId', 'user.name as name', 'user.role as role'])
    .where('token.hash', '=', hash)
    .where('token.revoked_at', 'is', null)
    .executeTakeFirst();
  return row ? { userId: row.userId, name: row.name, role: row.role as Role } : undefined;
}
