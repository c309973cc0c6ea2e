// What `segkit users add|list|revoke` does on a data directory, without a running server.
import { mkdirSync } from 'node:fs';
import { openDatabase } from './db/database.js';
import { addUser, listUsers, revokeUser, type UserInfo } from './repo/users.js';

async function withDb<T>(
  dataDir: string,
  fn: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>,
): Promise<T> {
  mkdirSync(dataDir, { recursive: true });
  const db = await openDatabase(dataDir);
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

export const usersAdd = (dataDir: string, name: string, role: string) =>
  withDb(dataDir, (db) => addUser(db, name, role));
export const usersList = (dataDir: string): Promise<UserInfo[]> => withDb(dataDir, (db) => listUsers(db));
export const usersRevoke = (dataDir: string, name: string) => withDb(dataDir, (db) => revokeUser(db, name));
