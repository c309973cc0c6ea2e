// The team set-up for the soak and crash-loop harnesses (`--cluster`): throwaway PostgreSQL, Redis and S3 servers on
// 127.0.0.1 (packages/server/test/engines.ts), API-only `segkit serve` replicas and `segkit worker` processes on
// them, each with a data directory of its own as on separate machines. Any process can be killed and started again.
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DoctorReport, doctor } from '@segkit/server';
import pg from 'pg';
import {
  pgBin,
  postgresAvailable,
  redisAvailable,
  startEngines,
} from '../../packages/server/test/engines.js';
import type { AnnotationRow } from './load.js';
import { type Served, startSegkit, startServer } from './load.js';

export type Role = 'replica' | 'worker';

export interface Cluster {
  /** The replicas' base URLs (a killed replica keeps its slot and gets a new URL when started again). */
  bases(): string[];
  token: string;
  /** A process's id (for its memory), by role and index. */
  pid(role: Role, i: number): number;
  count(role: Role): number;
  /** SIGKILLs a process, as a crash would, and waits for it to be gone. */
  kill(role: Role, i: number): Promise<void>;
  /** Starts a killed process again, with its own data directory. */
  restart(role: Role, i: number): Promise<void>;
  /** SIGTERMs every process (a graceful stop); their exit codes, replicas first. */
  stop(): Promise<(number | null)[]>;
  /** Rows of the cluster's database. */
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Every annotation the database holds, by id (for the ledger). */
  annotations(): Promise<Map<number, AnnotationRow>>;
  /** `segkit doctor` on the database and the bucket. */
  doctor(): Promise<DoctorReport>;
  /** Takes a `pg_dump` of the database; `restores()` later loads it into a fresh database and runs doctor on it. */
  backup(): Promise<{ restores(): Promise<boolean> }>;
  close(): Promise<void>;
}

/** Starts the engines, `replicas` API-only servers (the first makes the admin token) and `workers` workers. */
export async function startCluster(replicas: number, workers: number): Promise<Cluster> {
  if (!postgresAvailable() || !redisAvailable()) {
    console.error(
      `--cluster needs PostgreSQL (${pgBin()}) and redis-server (apt-get install -y postgresql redis-server)`,
    );
    process.exit(2);
  }
  const { pg: pgServer, redis, s3 } = await startEngines();
  const databaseUrl = await pgServer.createDatabase();
  const blobs = `s3://${await s3.createBucket()}/blobs`;
  const env: Record<string, string> = {
    ...s3.env,
    SEGKIT_DATABASE_URL: databaseUrl,
    SEGKIT_BLOBS_URL: blobs,
    SEGKIT_REDIS_URL: redis.url,
    // A killed worker's job moves to another after 5 s (30 s by default), so a round of the crash loop sees it.
    SEGKIT_JOB_LEASE_MS: '5000',
  };
  // doctor() and the backup check run in this process: they reach the bucket with the same settings.
  Object.assign(process.env, s3.env);
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'segkit-cluster-'));
    dirs.push(d);
    return d;
  };
  const startReplica = () => startServer(dir(), ['--workers', '0'], env);
  const startWorker = async () =>
    (await startSegkit(['worker', '--data', dir()], /segkit worker \S+: running jobs/, env)).child;
  const servers: Served[] = [];
  for (let i = 0; i < replicas; i++) servers.push(await startReplica());
  const token = servers[0]!.token;
  const procs: ChildProcess[] = [];
  for (let i = 0; i < workers; i++) procs.push(await startWorker());
  const child = (role: Role, i: number) => (role === 'replica' ? servers[i]!.child : procs[i]!);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const gone = (c: ChildProcess) =>
    new Promise<number | null>((r) => {
      if (c.exitCode !== null || c.signalCode !== null) r(c.exitCode ?? 128 + 9);
      else c.once('exit', (code, signal) => r(code ?? (signal === 'SIGKILL' ? 137 : 143)));
    });
  const query = async <T>(sql: string, params: unknown[] = []) => (await pool.query(sql, params)).rows as T[];
  return {
    bases: () => servers.map((s) => s.base),
    token,
    pid: (role, i) => child(role, i).pid!,
    count: (role) => (role === 'replica' ? servers.length : procs.length),
    async kill(role, i) {
      const c = child(role, i);
      const exited = gone(c);
      c.kill('SIGKILL');
      await exited;
    },
    async restart(role, i) {
      if (role === 'replica') servers[i] = await startReplica();
      else procs[i] = await startWorker();
    },
    async stop() {
      const all = [...servers.map((s) => s.child), ...procs];
      const codes = all.map(gone);
      for (const c of all) c.kill('SIGTERM');
      return Promise.all(codes);
    },
    query,
    async annotations() {
      const rows = await query<AnnotationRow>('select id, version, label from annotation');
      return new Map(rows.map((r) => [Number(r.id), { ...r, id: Number(r.id) }]));
    },
    doctor: () => doctor(dir(), { databaseUrl, blobs }),
    async backup() {
      const file = join(dir(), 'backup.dump');
      execFileSync(join(pgBin(), 'pg_dump'), ['-Fc', '-f', file, databaseUrl]);
      return {
        async restores() {
          const copy = await pgServer.createDatabase();
          execFileSync(join(pgBin(), 'pg_restore'), ['--no-owner', '-d', copy, file]);
          return (await doctor(dir(), { databaseUrl: copy, blobs })).ok;
        },
      };
    },
    async close() {
      for (const c of [...servers.map((s) => s.child), ...procs])
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await pool.end();
      await redis.stop();
      await s3.stop();
      pgServer.stop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}
