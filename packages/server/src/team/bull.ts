// Jobs on BullMQ (`--redis`): the job table stays the record of every job (state, progress, finished items), and
// BullMQ decides who runs a job next: it hands each job to one worker process, renews that worker's lock, and gives a
// job whose worker died (its lock lapsed) to another, which resumes at the first unfinished item.
import { DelayedError, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { type JobInfo, SPLITTABLE, TableJobQueue } from '../jobs/queue.js';
import type { JobDispatch, RunOutcome } from '../jobs/runner.js';

const QUEUE = 'segkit-jobs';
const bullId = (id: number, lane: number) => `job-${id}-${lane}`;

/** Lanes a splittable job gets (SEGKIT_JOB_LANES, default 4): as many workers at most share it. */
export function jobLanes(): number {
  const v = Number(process.env.SEGKIT_JOB_LANES);
  return Number.isInteger(v) && v >= 1 && v <= 64 ? v : 4;
}

/** The job table, with each new job also put on the BullMQ queue. */
export class BullJobQueue extends TableJobQueue {
  readonly bull: Queue;

  constructor(
    db: Kysely<Database>,
    private readonly redis: Redis,
    /** The installation's Redis namespace: BullMQ's key prefix. */
    readonly prefix: string,
  ) {
    super(db);
    this.bull = new Queue(QUEUE, { connection: redis, prefix });
    this.bull.on('error', () => {}); // Redis down: an enqueue says so by failing (see enqueue), not on the console
  }

  /** A splittable job's items are dealt to lanes, one BullMQ job each, so that several workers share them. */
  override async enqueue(
    kind: string,
    projectId: number | null,
    params: Record<string, unknown>,
    total: number,
  ) {
    const lanes = SPLITTABLE.has(kind) ? Math.max(1, Math.min(total, jobLanes())) : 1;
    const job = await super.enqueue(kind, projectId, params, total, lanes);
    // Redis known to be down: the job is recorded (queued) at once, and the workers' resync puts it on BullMQ once
    // Redis is back, rather than the request waiting for reconnects.
    if (this.redis.status !== 'ready') return job;
    try {
      for (let lane = 0; lane < lanes; lane++) await this.dispatchOne(job.id, lane);
    } catch {
      // Redis is down: the job is recorded (queued), and the workers' resync puts it on BullMQ once Redis is back.
    }
    return job;
  }

  /** Puts a lane on the BullMQ queue; adding one that is already there does nothing (the id is the lane's). */
  private async dispatchOne(id: number, lane: number): Promise<void> {
    await this.bull.add(
      'run',
      { id, lane },
      {
        jobId: bullId(id, lane),
        // A processor that throws (the database went away mid-job) is retried; the job's own failures are final
        // states in the table and never reach BullMQ as errors.
        attempts: 8,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: true,
        removeOnFail: 1000,
      },
    );
  }

  /**
   * Puts every unfinished job of the table on the BullMQ queue: after a Redis restart that lost its data, or an
   * enqueue whose Redis write failed after the row was written. Returns how many it looked at.
   */
  async resync(): Promise<number> {
    const open = await this.unfinished();
    for (const { id, lanes } of open)
      for (const lane of await this.openLanes(id, lanes)) await this.dispatchOne(id, lane);
    return open.length;
  }

  override async recoverOrphans(): Promise<number> {
    return 0; // BullMQ's stalled-job check hands a dead worker's job to another
  }

  async close(): Promise<void> {
    await this.bull.close();
  }
}

export interface BullDispatchOptions {
  owner: string;
  /** Jobs this process runs at once. */
  concurrency: number;
  /** How long a worker's lock on a job lasts without renewal: a killed worker's job moves on after about this. */
  leaseMs: number;
}

/** A BullMQ worker that claims each job it is handed in the table and runs it. */
export class BullDispatch implements JobDispatch {
  private worker: Worker | undefined;
  private connection: Redis | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly queue: BullJobQueue,
    private readonly redis: Redis,
    private readonly opts: BullDispatchOptions,
  ) {}

  start(run: (job: JobInfo, lane: number) => Promise<RunOutcome>): void {
    const { opts, queue } = this;
    // Its own connection, which waits for Redis as long as it must: a worker blocks on it while it waits for jobs.
    const connection = this.redis.duplicate({ maxRetriesPerRequest: null });
    this.connection = connection;
    this.worker = new Worker(
      QUEUE,
      async (bullJob, token) => {
        const job = await queue.claimById(Number(bullJob.data.id), opts.owner, opts.leaseMs);
        if (!job) return; // cancelled while queued, or already finished
        if ((await run(job, Number(bullJob.data.lane ?? 0))) === 'released') {
          // This worker is stopping: the job goes back to BullMQ's queue for another worker, at once.
          await bullJob.moveToDelayed(Date.now(), token);
          throw new DelayedError();
        }
      },
      {
        connection,
        prefix: queue.prefix,
        concurrency: opts.concurrency,
        lockDuration: opts.leaseMs,
        stalledInterval: Math.max(1000, Math.floor(opts.leaseMs / 2)),
        // A job whose worker keeps dying is still resumed where it stopped; it never fails for that alone.
        maxStalledCount: 1000,
      },
    );
    this.worker.on('error', () => {}); // Redis hiccups: BullMQ reconnects on its own
    void queue.resync().catch(() => {});
    this.resyncTimer = setInterval(() => void queue.resync().catch(() => {}), 60_000);
    this.resyncTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.resyncTimer);
    await this.worker?.close(); // waits for the jobs in hand: each returns at its next item boundary
    this.connection?.disconnect();
  }
}
