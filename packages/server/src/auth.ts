// Tokens and roles. A token is shown once and stored only as its SHA-256; requests carry it as
// `Authorization: Bearer <token>` or as the cookie that the URL printed by `segkit serve` sets.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@segkit/core';
import type { Kysely } from 'kysely';
import type { Database } from './db/schema.js';
import { callerOfHash, insertFirstAdminToken, insertToken, tokenIsLive } from './repo/tokens.js';
import type { Caller, Role } from './roles.js';

export { type Caller, ROLES, type Role } from './roles.js';

export const COOKIE = 'segkit_token';
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
export const newToken = () => randomBytes(24).toString('base64url');

/** Creates a user (or reuses one by name) and a new token for it; returns the token, shown once. */
export async function issueToken(db: Kysely<Database>, name: string, role: Role): Promise<string> {
  const token = newToken();
  await insertToken(db, name, role, hashToken(token));
  return token;
}

/**
 * The admin token: made once per database, at the first start (kept in the data directory's `admin-token`, mode 0600,
 * so the URL can be printed again), and registered for the `admin` user. On the data directory's own SQLite database
 * a lost file is made anew. On a shared (PostgreSQL) database, a replica that finds the admin with a live token
 * already makes none and returns undefined: the first server's data directory has it, and `segkit users add` makes
 * more. Replicas starting together make one between them (the admin's row is locked while it is decided).
 */
export async function ensureAdminToken(
  db: Kysely<Database>,
  dataDir: string,
  shared = false,
): Promise<string | undefined> {
  const file = join(dataDir, 'admin-token');
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (await tokenIsLive(db, hashToken(token))) return token;
  }
  const token = shared ? await firstAdminToken(db) : await issueToken(db, 'admin', 'admin');
  if (token === undefined) return undefined;
  await writeFileAtomic(file, `${token}\n`);
  const { chmod } = await import('node:fs/promises');
  await chmod(file, 0o600);
  return token;
}

/** A token for the `admin` user unless it has a live one already (PostgreSQL, shared by replicas). */
async function firstAdminToken(db: Kysely<Database>): Promise<string | undefined> {
  const token = newToken();
  return (await insertFirstAdminToken(db, hashToken(token))) ? token : undefined;
}

/** Recent token lookups, so a busy client costs one query a second; a revoked token stops within that second. */
const recent = new Map<string, { caller: Caller | undefined; until: number }>();
export const TOKEN_CACHE_MS = 1000;

/** The caller a token stands for, or undefined for an unknown or revoked token. */
export async function callerOf(db: Kysely<Database>, token: string | undefined): Promise<Caller | undefined> {
  if (!token) return undefined;
  const hash = hashToken(token);
  const hit = recent.get(hash);
  if (hit && hit.until > Date.now()) return hit.caller;
  const caller = await callerOfHash(db, hash);
  if (recent.size > 10_000) recent.clear();
  recent.set(hash, { caller, until: Date.now() + TOKEN_CACHE_MS });
  return caller;
}
