// Everything a server or a worker process runs on, made in one place: the database, the blob store, Redis when
// given, the job queue and its events, the shared context, and the job runner. build() and `segkit worker` start
// here; nothing below imports it.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Redis } from 'ioredis';
import { blobStoreOf } from './blob-stores.js';
import { DEFAULT_LIMITS, type DefaultModels, type Limits, ServerContext } from './context.js';
import { openDatabase } from './db/database.js';
import { type JobBus, LocalJobBus } from './jobs/bus.js';
import { TableDispatch } from './jobs/dispatch.js';
import { jobHandlers } from './jobs/handlers.js';
import { processOwner, TableJobQueue } from './jobs/queue.js';
import { type JobDispatch, JobRunner } from './jobs/runner.js';
import { Metrics } from './metrics.js';
import { instanceId } from './repo/instance.js';
import { InflightLimiter, type InflightSlots } from './security.js';
import { BullDispatch, BullJobQueue } from './team/bull.js';
import { connectRedis, namespaceOf, RedisInflightSlots, RedisJobBus } from './team/redis.js';

export interface RuntimeOptions {
  /** The data directory: the SQLite database, blobs and admin token when no `databaseUrl`/`blobs` are given. */
  dataDir: string;
  /** A PostgreSQL URL instead of the SQLite file. */
  databaseUrl?: string | undefined;
  /** An S3 URL (`s3://bucket/prefix`) instead of the data directory's blob folder. */
  blobs?: string | undefined;
  /** A Redis URL: jobs on BullMQ, job events over pub/sub, per-user limits shared by replicas. */
  redisUrl?: string | undefined;
  limits?: Partial<Limits> | undefined;
  /** The segmentation model when neither a call nor its project names one (default: `sam`, else `classic`). */
  defaultSegmentModel?: string | undefined;
  /** The text-prompt (CLIPSeg) model when the project names none (default: the `clipseg` preset). */
  defaultTextModel?: string | undefined;
  /** The embedding (CLIP) model when the project names none (default: the `clip` preset). */
  defaultEmbedModel?: string | undefined;
  /** The SAM 3 concept model find-all uses when the project names none (default: none, the CLIPSeg pipeline). */
  defaultFindModel?: string | undefined;
  /** Folders whose model directories requests and project settings may name as `model`. */
  modelRoots?: string[] | undefined;
}

export interface Runtime {
  ctx: ServerContext;
  metrics: Metrics;
  /** The per-user cap on inference calls in flight (shared through Redis when there is one). */
  inflight: InflightSlots;
  /** Starts `workers` job workers in this process (none for 0); stopped by close(). */
  startJobs(workers: number): void;
  /** Stops the workers (each releases its job at the next item boundary), then closes Redis and the database. */
  close(): Promise<void>;
}

/** How long a worker's hold on a job lasts without renewal (SEGKIT_JOB_LEASE_MS, default 30 s). */
export function jobLeaseMs(): number {
  const v = Number(process.env.SEGKIT_JOB_LEASE_MS);
  return Number.isInteger(v) && v >= 1000 ? v : 30_000;
}

export async function openRuntime(options: RuntimeOptions): Promise<Runtime> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const redis: Redis | undefined = options.redisUrl ? await connectRedis(options.redisUrl) : undefined;
  const blobs = blobStoreOf(dataDir, options.blobs);
  const db = await blobs
    .check()
    .then(() => openDatabase(dataDir, { url: options.databaseUrl }))
    .catch((e) => {
      redis?.disconnect();
      blobs.close();
      throw e;
    });
  const namespace = redis ? namespaceOf(await instanceId(db)) : '';
  const jobs = redis ? new BullJobQueue(db, redis, namespace) : new TableJobQueue(db);
  const bus: JobBus = redis ? await RedisJobBus.open(redis, namespace) : new LocalJobBus();
  const ctx = new ServerContext(db, blobs, dataDir, limits, jobs, bus, {
    segment: options.defaultSegmentModel,
    text: options.defaultTextModel,
    embed: options.defaultEmbedModel,
    find: options.defaultFindModel,
  } satisfies DefaultModels);
  ctx.modelRoots = options.modelRoots ?? [];
  const metrics = new Metrics(ctx);
  ctx.metrics = metrics;
  const inflight = redis
    ? new RedisInflightSlots(redis, namespace, limits.inflightPerClient, limits.requestTimeoutMs)
    : new InflightLimiter(limits.inflightPerClient);
  let runner: JobRunner | undefined;
  return {
    ctx,
    metrics,
    inflight,
    startJobs(workers) {
      if (!workers || runner) return;
      const owner = processOwner();
      const leaseMs = jobLeaseMs();
      const dispatch: JobDispatch =
        jobs instanceof BullJobQueue
          ? new BullDispatch(jobs, redis!, { owner, concurrency: workers, leaseMs })
          : new TableDispatch(jobs, { owner, workers, leaseMs, pollMs: 100 });
      runner = new JobRunner(jobs, jobHandlers(ctx), bus, dispatch, {
        owner,
        leaseMs,
        interactiveIdle: () => ctx.interactiveIdle(),
      });
      runner.start();
    },
    async close() {
      await runner?.stop();
      await bus.close();
      if (jobs instanceof BullJobQueue) await jobs.close();
      redis?.disconnect();
      ctx.blobs.close();
      await db.destroy();
    },
  };
}
