// Throwaway instances of the team set-up's engines for tests and harnesses: a PostgreSQL cluster, a Redis server and
// an S3-protocol server, each in a temporary folder on a free port of 127.0.0.1, stopped (and removed) by `stop()`.
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** PostgreSQL's programs: SEGKIT_PG_BIN, else the newest Debian install (/usr/lib/postgresql/N/bin). */
const PG_BIN =
  process.env.SEGKIT_PG_BIN ??
  join(
    '/usr/lib/postgresql',
    (existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql') : [])
      .filter((v) => existsSync(join('/usr/lib/postgresql', v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a))[0] ?? '15',
    'bin',
  );

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Runs a PostgreSQL program as the `postgres` user when this process is root (initdb refuses root). */
function asPostgres(program: string, args: string[]): string {
  const bin = join(PG_BIN, program);
  const root = process.getuid?.() === 0;
  return execFileSync(root ? 'runuser' : bin, root ? ['-u', 'postgres', '--', bin, ...args] : args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export const postgresAvailable = () => existsSync(join(PG_BIN, 'initdb'));
/** Where PostgreSQL's programs are (initdb, createdb, psql, pg_dump, …). */
export const pgBin = () => PG_BIN;

export interface Postgres {
  /** The URL of the cluster's `postgres` database. */
  url: string;
  port: number;
  /** A fresh empty database in the cluster; its URL. */
  createDatabase(): Promise<string>;
  stop(): void;
}

let made = 0;
/** A fresh empty database in the cluster whose `postgres` database `url` names; the new database's URL. */
export async function createDatabaseIn(url: string): Promise<string> {
  const name = `t${process.pid}_${++made}_${Math.random().toString(36).slice(2, 8)}`;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`create database ${name}`);
  } finally {
    await c.end();
  }
  return url.replace(/\/[^/]*$/, `/${name}`);
}

/**
 * Starts a PostgreSQL cluster of its own (trust auth on 127.0.0.1, fsync off: a test cluster), whose superuser is
 * `superuser` (`segkit` unless named; `postgres` as a distribution's cluster has).
 */
export async function startPostgres(opts: { superuser?: string } = {}): Promise<Postgres> {
  const superuser = opts.superuser ?? 'segkit';
  const dir = mkdtempSync(join(tmpdir(), 'segkit-pg-'));
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  asPostgres('initdb', [
    '-D',
    data,
    '-A',
    'trust',
    '-U',
    superuser,
    '-E',
    'UTF8',
    '--no-sync',
    '--no-instructions',
  ]);
  const port = await freePort();
  const settings = `-p ${port} -h 127.0.0.1 -k ${dir} -F -c max_connections=300 -c shared_buffers=32MB`;
  asPostgres('pg_ctl', ['-D', data, '-o', settings, '-l', join(dir, 'log'), '-w', '-s', 'start']);
  const url = `postgres://${superuser}@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    createDatabase: () => createDatabaseIn(url),
    stop() {
      try {
        asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-s', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export interface S3 {
  /** The endpoint (http://127.0.0.1:PORT) and the environment that points the AWS SDK at it. */
  endpoint: string;
  env: Record<string, string>;
  /** A fresh empty bucket (named `name`, else a new name); its name. */
  createBucket(name?: string): Promise<string>;
  stop(): Promise<void>;
}

/** An S3-protocol server of its own (s3rver, from the npm registry) on a free port of 127.0.0.1. */
export async function startS3(): Promise<S3> {
  const { default: S3rver } = await import('s3rver');
  const dir = mkdtempSync(join(tmpdir(), 'segkit-s3-'));
  const port = await freePort();
  const server = new S3rver({ port, address: '127.0.0.1', directory: dir, silent: true });
  await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const env = {
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
  };
  let n = 0;
  return {
    endpoint,
    env,
    async createBucket(given?: string) {
      const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
      const name = given ?? `segkit-${process.pid}-${++n}`;
      const c = new S3Client({
        region: 'us-east-1',
        endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      });
      await c.send(new CreateBucketCommand({ Bucket: name }));
      c.destroy();
      return name;
    },
    async stop() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const redisAvailable = () => existsSync('/usr/bin/redis-server');

export interface RedisServer {
  url: string;
  /** Kills it at once (SIGKILL), as a crash would; `start()` brings it back on the same port, empty. */
  kill(): void;
  stop(): Promise<void>;
}

/** A Redis server of its own (Debian's redis-server), no persistence, on a free port of 127.0.0.1. */
export async function startRedis(): Promise<RedisServer> {
  if (!redisAvailable()) throw new Error('redis-server is not installed (apt-get install -y redis-server)');
  const dir = mkdtempSync(join(tmpdir(), 'segkit-redis-'));
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  child.on('error', () => {}); // a failed start shows as the connection failing below
  const url = `redis://127.0.0.1:${port}`;
  const { Redis } = await import('ioredis');
  for (let i = 0; ; i++) {
    const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => {});
    try {
      await c.connect();
      await c.ping();
      c.disconnect();
      break;
    } catch (e) {
      c.disconnect();
      if (i > 100 || child.exitCode !== null)
        throw new Error(`redis-server did not start: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const exited = new Promise((r) => child.once('exit', r));
  return {
    url,
    kill: () => child.kill('SIGKILL'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** PostgreSQL, Redis and the S3 server, started together; if one fails, the others are stopped before the error. */
export async function startEngines(): Promise<{ pg: Postgres; redis: RedisServer; s3: S3 }> {
  const [pg, redis, s3] = await Promise.allSettled([startPostgres(), startRedis(), startS3()]);
  if (pg.status === 'fulfilled' && redis.status === 'fulfilled' && s3.status === 'fulfilled')
    return { pg: pg.value, redis: redis.value, s3: s3.value };
  if (pg.status === 'fulfilled') pg.value.stop();
  if (redis.status === 'fulfilled') await redis.value.stop();
  if (s3.status === 'fulfilled') await s3.value.stop();
  throw [pg, redis, s3].find((r) => r.status === 'rejected')!.reason;
}
