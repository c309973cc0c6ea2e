// What `segkit users add|list|revoke` does on a data directory, without a running server.
import { mkdirSync } from 'node:fs';
import { openDatabase } from './db/database.js';
import { addUser, listUsers, revokeUser, type UserInfo } from './repo/users.js';

async function withDb<T>(
  dataDir: string,
  databaseUrl: string | undefined,
  fn: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>,
): Promise<T> {
  mkdirSync(dataDir, { recursive: true });
  const db = await openDatabase(dataDir, { url: databaseUrl });
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

/** The data directory's database, or the PostgreSQL database `databaseUrl` names (`--db`). */
export const usersAdd = (dataDir: string, name: string, role: string, databaseUrl?: string) =>
  withDb(dataDir, databaseUrl, (db) => addUser(db, name, role));
export const usersList = (dataDir: string, databaseUrl?: string): Promise<UserInfo[]> =>
  withDb(dataDir, databaseUrl, (db) => listUsers(db));
export const usersRevoke = (dataDir: string, name: string, databaseUrl?: string) =>
  withDb(dataDir, databaseUrl, (db) => revokeUser(db, name));
