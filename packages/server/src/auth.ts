// Tokens and roles. A token is shown once and stored only as its SHA-256; requests carry it as
// `Authorization: Bearer <token>` or as the cookie that the URL printed by `segkit serve` sets.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@segkit/core';
import type { Kysely } from 'kysely';
import type { Database } from './db/schema.js';

export type Role = 'admin' | 'annotator' | 'viewer';
export const ROLES: readonly Role[] = ['admin', 'annotator', 'viewer'];

/** Who is calling. */
export interface Caller {
  userId: number;
  name: string;
  role: Role;
}

export const COOKIE = 'segkit_token';
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
export const newToken = () => randomBytes(24).toString('base64url');

/** Creates a user (or reuses one by name) and a new token for it; returns the token, shown once. */
export async function issueToken(db: Kysely<Database>, name: string, role: Role): Promise<string> {
  let user = await db.selectFrom('user').select(['id']).where('name', '=', name).executeTakeFirst();
  user ??= await db.insertInto('user').values({ name, role }).returning('id').executeTakeFirstOrThrow();
  const token = newToken();
  await db
    .insertInto('token')
    .values({ user_id: user.id, hash: hashToken(token) })
    .execute();
  return token;
}

/**
 * The admin token of a data directory: made at first start (kept in `admin-token`, mode 0600, so the URL can be
 * printed again), and registered for the `admin` user.
 */
export async function ensureAdminToken(db: Kysely<Database>, dataDir: string): Promise<string> {
  const file = join(dataDir, 'admin-token');
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    const known = await db
      .selectFrom('token')
      .select('id')
      .where('hash', '=', hashToken(token))
      .executeTakeFirst();
    if (known) return token;
  }
  const token = await issueToken(db, 'admin', 'admin');
  await writeFileAtomic(file, `${token}\n`);
  const { chmod } = await import('node:fs/promises');
  await chmod(file, 0o600);
  return token;
}

/** The caller a token stands for, or undefined for an unknown or revoked token. */
/** Recent token lookups, so a busy client costs one query a second; a revoked token stops within that second. */
const recent = new Map<string, { caller: Caller | undefined; until: number }>();
export const TOKEN_CACHE_MS = 1000;

export async function callerOf(db: Kysely<Database>, token: string | undefined): Promise<Caller | undefined> {
  if (!token) return undefined;
  const hash = hashToken(token);
  const hit = recent.get(hash);
  if (hit && hit.until > Date.now()) return hit.caller;
  const caller = await lookup(db, hash);
  if (recent.size > 10_000) recent.clear();
  recent.set(hash, { caller, until: Date.now() + TOKEN_CACHE_MS });
  return caller;
}

async function lookup(db: Kysely<Database>, hash: string): Promise<Caller | undefined> {
  const row = await db
    .selectFrom('token')
    .innerJoin('user', 'user.id', 'token.user_id')
    .select(['user.id as userId', 'user.name as name', 'user.role as role'])
    .where('token.hash', '=', hash)
    .where('token.revoked_at', 'is', null)
    .executeTakeFirst();
  return row ? { userId: row.userId, name: row.name, role: row.role as Role } : undefined;
}
