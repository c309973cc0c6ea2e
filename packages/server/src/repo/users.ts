// Users, their tokens, and project membership.
import { InvalidArgumentError, NotFoundError } from '@segkit/core';
import type { Kysely } from 'kysely';
import { issueToken } from '../auth.js';
import type { Database } from '../db/schema.js';
import { ROLES, type Role } from '../roles.js';

const NAME = /^[A-Za-z0-9][\w.@-]{0,63}$/;

export interface UserInfo {
  id: number;
  name: string;
  role: Role;
  tokens: number;
  createdAt: string;
}

/** Adds a user with a role (or gives an existing one a new token) and returns a token, shown once. */
export async function addUser(db: Kysely<Database>, name: string, role: string): Promise<string> {
  if (!NAME.test(name))
    throw new InvalidArgumentError(
      `A user name is letters, digits and . _ @ - (at most 64), not ${JSON.stringify(name)}`,
    );
  if (!ROLES.includes(role as Role))
    throw new InvalidArgumentError(`--role must be one of ${ROLES.join(', ')}`);
  const existing = await db
    .selectFrom('user')
    .select(['id', 'role'])
    .where('name', '=', name)
    .executeTakeFirst();
  if (existing && existing.role !== role)
    await db.updateTable('user').set({ role }).where('id', '=', existing.id).execute();
  return issueToken(db, name, role as Role);
}

export async function listUsers(db: Kysely<Database>): Promise<UserInfo[]> {
  const users = await db.selectFrom('user').selectAll().orderBy('id').execute();
  const tokens = await db.selectFrom('token').select('user_id').where('revoked_at', 'is', null).execute();
  return users.map((u) => ({
    id: u.id,
    name: u.name,
    role: u.role as Role,
    tokens: tokens.filter((t) => t.user_id === u.id).length,
    createdAt: u.created_at,
  }));
}

/** Revokes every token of a user; returns how many. */
export async function revokeUser(db: Kysely<Database>, name: string): Promise<number> {
  const user = await db.selectFrom('user').select('id').where('name', '=', name).executeTakeFirst();
  if (!user) throw new NotFoundError(`No user ${JSON.stringify(name)}`);
  const r = await db
    .updateTable('token')
    .set({ revoked_at: new Date().toISOString() })
    .where('user_id', '=', user.id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function addMember(db: Kysely<Database>, projectId: number, userName: string): Promise<void> {
  const user = await db.selectFrom('user').select('id').where('name', '=', userName).executeTakeFirst();
  if (!user) throw new NotFoundError(`No user ${JSON.stringify(userName)}`);
  await db
    .insertInto('membership')
    .values({ user_id: user.id, project_id: projectId })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export async function removeMember(db: Kysely<Database>, projectId: number, userId: number): Promise<void> {
  await db
    .deleteFrom('membership')
    .where('project_id', '=', projectId)
    .where('user_id', '=', userId)
    .execute();
}

export async function members(db: Kysely<Database>, projectId: number) {
  return db
    .selectFrom('membership')
    .innerJoin('user', 'user.id', 'membership.user_id')
    .select(['user.id as id', 'user.name as name', 'user.role as role'])
    .where('membership.project_id', '=', projectId)
    .orderBy('user.id')
    .execute();
}
