// Keeping a data directory sound: temporary files of dead processes swept at start, `segkit doctor` (integrity,
// blobs against their hashes, orphaned blobs, stuck job leases, leftover temporary files), and an online backup with
// SQLite's backup API, and its restore.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { FileNotFoundError, InvalidArgumentError, isSegkitError, trackTemp, untrackTemp } from '@segkit/core';
import SQLite from 'better-sqlite3';
import { blobStoreOf } from './blob-stores.js';
import { integrityCheck, openDatabase } from './db/database.js';
import { artifactBlobs } from './repo/artifacts.js';

/** A temporary name made by `writeFileAtomic` (`.name.tmp-<pid>-<hex>`) or a job's work folder (`tmp/<pid>-…`). */
const TEMP_FILE = /\.tmp-(\d+)-[0-9a-f]{8}$/;
const WORK_DIR = /^(\d+)-/;

/** True when a process with this id runs on this machine. */
function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A job's work folder under `<data>/tmp/`, named by this process so a restart can sweep it if we die. */
export async function workDir(dataDir: string): Promise<string> {
  const root = join(dataDir, 'tmp');
  await mkdir(root, { recursive: true });
  return mkdtemp(join(root, `${process.pid}-`));
}

/** Temporary files and work folders in the data directory, each with the process that made it. */
async function temps(dataDir: string): Promise<{ path: string; pid: number }[]> {
  const out: { path: string; pid: number }[] = [];
  const visit = async (dir: string, depth: number) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const path = join(dir, e.name);
      const m = TEMP_FILE.exec(e.name);
      if (m) out.push({ path, pid: Number(m[1]) });
      else if (e.isDirectory() && depth < 2 && e.name !== 'runs') await visit(path, depth + 1);
    }
  };
  await visit(dataDir, 0);
  const work = join(dataDir, 'tmp');
  for (const name of existsSync(work) ? await readdir(work) : []) {
    const m = WORK_DIR.exec(name);
    out.push({ path: join(work, name), pid: m ? Number(m[1]) : 0 });
  }
  return out;
}

/** Removes the temporary files and work folders of processes that are gone (a server killed mid-write). */
export async function sweepTemps(dataDir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const t of await temps(dataDir)) {
    if (alive(t.pid)) continue;
    await rm(t.path, { recursive: true, force: true });
    removed.push(relative(dataDir, t.path));
  }
  return removed;
}

export interface DoctorReport {
  /** True when nothing is damaged: the database is sound and every blob it names is there with the right bytes. */
  ok: boolean;
  /** True when there is also nothing to tidy: no orphaned blobs, stuck jobs or leftover temporary files. */
  tidy: boolean;
  /** SQLite's `PRAGMA integrity_check`: `['ok']` when sound. */
  integrity: string[];
  /** Blobs the database names: how many were read, and those missing or whose bytes do not match their hash. */
  blobs: { checked: number; missing: string[]; corrupt: string[] };
  /** Content blobs no row names (left by a crash between storing and recording). Derived blobs (thumbnails) are not counted. */
  orphans: string[];
  /** Jobs marked running whose lease has expired: their server died; the next `segkit serve` resumes them. */
  stuckJobs: { id: number; kind: string; owner: string | null; leaseExpiredAt: string | null }[];
  /** Temporary files of processes that are gone. */
  temps: string[];
  /** What `--fix` removed (orphaned blobs and temporary files). */
  fixed: string[];
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Every blob key the database names: images, recipes, processing results' COCO files, export zips. */
async function namedBlobs(db: Awaited<ReturnType<typeof openDatabase>>): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const r of await db.selectFrom('image').select('sha256').execute()) keys.add(r.sha256);
  for (const r of await db.selectFrom('recipe').select('blob').execute()) keys.add(r.blob);
  for (const key of await artifactBlobs(db)) keys.add(key);
  for (const r of await db.selectFrom('processing_result').select('coco_blob').execute())
    if (r.coco_blob) keys.add(r.coco_blob);
  for (const r of await db.selectFrom('job').select('result').where('result', 'is not', null).execute()) {
    const blob = (JSON.parse(r.result!) as { blob?: unknown }).blob;
    if (typeof blob === 'string') keys.add(blob);
  }
  return keys;
}

/**
 * Checks a data directory (with its PostgreSQL database and S3 bucket when `databaseUrl` and `blobs` name them): the
 * database's integrity, every blob it names against its SHA-256 (damage: `ok` false),
 * then content blobs nobody names, jobs whose lease expired and temporary files left by dead processes (left by a
 * crash, harmless: `tidy` false). With `fix`, orphaned blobs and those temporary files are removed (nothing the
 * database names is ever touched); stuck jobs are resumed by the next `segkit serve`.
 * @example const r = await doctor('segkit-data'); if (!r.ok) console.log(r);
 */
export async function doctor(
  dataDir: string,
  opts: { fix?: boolean; databaseUrl?: string | undefined; blobs?: string | undefined } = {},
): Promise<DoctorReport> {
  if (!opts.databaseUrl && !existsSync(join(dataDir, 'segkit.db')))
    throw new FileNotFoundError(`No SegKit database in ${dataDir} (expected ${join(dataDir, 'segkit.db')})`);
  const db = await openDatabase(dataDir, { url: opts.databaseUrl });
  const store = blobStoreOf(dataDir, opts.blobs);
  try {
    const integrity = await integrityCheck(db);
    const named = await namedBlobs(db);
    const missing: string[] = [];
    const corrupt: string[] = [];
    for (const key of named) {
      const bytes = await store.get(key).catch((e) => {
        if (isSegkitError(e, 'E_NOT_FOUND')) return undefined;
        throw e;
      });
      if (!bytes) missing.push(key);
      else if (sha256(bytes) !== key) corrupt.push(key);
    }
    const orphans: string[] = [];
    for await (const key of store.keys()) {
      if (named.has(key)) continue;
      // A key that is its content's hash is a content blob; thumbnails are keyed by what they derive from.
      if (sha256(await store.get(key)) === key) orphans.push(key);
    }
    const now = new Date().toISOString();
    const stuckJobs = (
      await db
        .selectFrom('job')
        .select(['id', 'kind', 'lease_owner', 'lease_expires_at'])
        .where('state', '=', 'running')
        .execute()
    )
      .filter((j) => !j.lease_expires_at || j.lease_expires_at < now || ownerGone(j.lease_owner))
      .map((j) => ({ id: j.id, kind: j.kind, owner: j.lease_owner, leaseExpiredAt: j.lease_expires_at }));
    const leftover = (await temps(dataDir))
      .filter((t) => !alive(t.pid))
      .map((t) => relative(dataDir, t.path));
    const fixed: string[] = [];
    if (opts.fix) {
      for (const key of orphans) {
        await store.delete(key);
        fixed.push(`blobs/${key.slice(0, 2)}/${key}`);
      }
      fixed.push(...(await sweepTemps(dataDir)));
    }
    const ok = integrity.length === 1 && integrity[0] === 'ok' && !missing.length && !corrupt.length;
    const tidy = !stuckJobs.length && (opts.fix || (!orphans.length && !leftover.length));
    return {
      ok,
      tidy,
      integrity,
      blobs: { checked: named.size, missing, corrupt },
      orphans,
      stuckJobs,
      temps: leftover,
      fixed,
    };
  } finally {
    store.close();
    await db.destroy();
  }
}

/** True when a lease owner (`host:pid`) is a process of this machine that no longer runs. */
function ownerGone(owner: string | null): boolean {
  const [h, pid] = (owner ?? '').split(':');
  return h === hostname() && !!pid && !alive(Number(pid));
}

/**
 * An online, consistent copy of the database (SQLite's backup API), safe while `segkit serve` writes to it. Written
 * to a temporary file beside `file`, then renamed, so `file` is whole or absent. Blobs are not copied: they are
 * content-addressed and never rewritten, so a copy of `blobs/` taken after the backup holds every blob it names.
 */
export async function backupDatabase(
  dataDir: string,
  file: string,
): Promise<{ bytes: number; pages: number }> {
  const source = join(dataDir, 'segkit.db');
  if (!existsSync(source)) throw new FileNotFoundError(`No SegKit database in ${dataDir}`);
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(16).slice(2, 10).padEnd(8, '0')}`;
  trackTemp(tmp);
  const db = new SQLite(source, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const r = await db.backup(tmp);
    await rename(tmp, file);
    return { bytes: (await stat(file)).size, pages: r.totalPages };
  } finally {
    db.close();
    await rm(tmp, { force: true });
    untrackTemp(tmp);
  }
}

/**
 * Replaces the data directory's database with a backup, after checking the backup's integrity. Stop `segkit serve`
 * first. The old database is kept beside it as `segkit.db.before-restore`.
 */
export async function restoreDatabase(dataDir: string, file: string): Promise<void> {
  if (!existsSync(file)) throw new FileNotFoundError(`Backup not found: ${file}`);
  const check = new SQLite(file, { readonly: true, fileMustExist: true });
  let integrity: string;
  try {
    integrity = String((check.pragma('integrity_check', { simple: true }) as string) ?? '');
    const hasTables = check.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'image'").get() as {
      n: number;
    };
    if (!hasTables.n)
      throw new InvalidArgumentError(`${file} is not a SegKit database backup (no image table)`);
  } catch (e) {
    if (e instanceof InvalidArgumentError) throw e;
    throw new InvalidArgumentError(`${file} is not a SQLite database: ${(e as Error).message}`);
  } finally {
    check.close();
  }
  if (integrity !== 'ok')
    throw new InvalidArgumentError(`${file} fails SQLite's integrity check: ${integrity}`);
  await mkdir(dataDir, { recursive: true });
  const target = join(dataDir, 'segkit.db');
  const tmp = `${target}.tmp-${process.pid}-${Math.random().toString(16).slice(2, 10).padEnd(8, '0')}`;
  const src = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    await src.backup(tmp);
  } finally {
    src.close();
  }
  if (existsSync(target)) {
    // Fold the old database's write-ahead log into it first, so the copy kept aside is whole on its own.
    const old = new SQLite(target);
    try {
      old.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      old.close();
    }
    await rename(target, `${target}.before-restore`);
  }
  for (const side of ['-wal', '-shm']) await rm(`${target}${side}`, { force: true });
  await rename(tmp, target);
}
