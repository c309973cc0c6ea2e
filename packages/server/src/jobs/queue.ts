// The job queue seam: the job table holds every job's state, progress and finished items; who runs a job next comes
// from the table itself (claim() with leases, the embedded default) or from BullMQ over Redis (team/bull.ts). A job
// survives a crash: its lease expires (or its owner is found dead) and another worker picks it up at its first
// unfinished item.
import { hostname } from 'node:os';
import type { ExpressionBuilder, Kysely, Selectable } from 'kysely';
import { skipLocked } from '../db/portable.js';
import type { Database, JobTable } from '../db/schema.js';

/** `partial`: finished with some items failed; `failed`: every item failed, or the job itself did. */
export type JobState = 'queued' | 'running' | 'succeeded' | 'partial' | 'failed' | 'cancelled';
export const FINAL: readonly JobState[] = ['succeeded', 'partial', 'failed', 'cancelled'];

/** One finished item of a job: its key, when it finished, and why it failed (null when it succeeded). */
export interface JobItemInfo {
  item: string;
  error: ItemError | null;
  finishedAt: string;
  /** The worker process (host:pid) that finished it. */
  worker: string | null;
}

/** Why an item failed: a stable code and a one-line message. */
export interface ItemError {
  code: string;
  message: string;
}

export interface JobInfo {
  id: number;
  projectId: number | null;
  kind: string;
  params: Record<string, unknown>;
  state: JobState;
  done: number;
  total: number;
  message: string | null;
  attempts: number;
  result: unknown;
  error: string | null;
  /** Items that failed so far (their reasons: `items()`). */
  failedItems: number;
  /** Lanes sharing the job's items (1 unless split across workers). */
  lanes: number;
  cancelRequested: boolean;
  createdAt: string;
  updatedAt: string;
}

/**
 * Kinds whose items are independent and visited in the same order on every run, so that lanes in several workers can
 * share them round-robin (the team set-up splits these).
 */
export const SPLITTABLE: ReadonlySet<string> = new Set(['process', 'text-batch', 'build-seg']);

/** What the lanes of a job have recorded so far. */
export interface LanesDone {
  finished: number;
  /** Each finished lane's result. */
  results: unknown[];
}

export interface JobQueue {
  enqueue(
    kind: string,
    projectId: number | null,
    params: Record<string, unknown>,
    total: number,
  ): Promise<JobInfo>;
  /** Records that a lane ended, with its result (once per lane); what every finished lane recorded. */
  laneDone(id: number, lane: number, result: unknown): Promise<LanesDone>;
  /** Finished items of the job, failed ones included. */
  countItems(id: number): Promise<number>;
  /** Takes the oldest queued job, or a running one whose lease expired, for `owner`. */
  claim(owner: string, leaseMs: number): Promise<JobInfo | undefined>;
  /**
   * Takes one job by id for `owner` when it is queued or running (a dispatcher that already holds it exclusively,
   * BullMQ, hands it over after a worker died); undefined when it is final or gone.
   */
  claimById(id: number, owner: string, leaseMs: number): Promise<JobInfo | undefined>;
  renew(id: number, owner: string, leaseMs: number): Promise<void>;
  get(id: number): Promise<JobInfo | undefined>;
  list(projectIds: number[] | 'all'): Promise<JobInfo[]>;
  progress(id: number, done: number, total: number, message: string | null): Promise<void>;
  /**
   * Sets the job's `done` to its finished items (every lane's), its `total` back to its items' count (a note may
   * have counted epochs) and its message, in one statement; the job after.
   */
  itemProgress(id: number, total: number, message: string | null): Promise<JobInfo>;
  /**
   * Records a finished item, with its one-line reason when it failed (counted in `failedItems`); returns false when
   * it was already recorded (a resumed job never redoes it).
   */
  itemDone(
    id: number,
    item: string,
    outcome?: { error?: ItemError | undefined; worker?: string; counts?: Record<string, number> | undefined },
  ): Promise<boolean>;
  /** The items' counts added up, over every attempt and lane (`{masks: 40}`). */
  itemTotals(id: number): Promise<Record<string, number>>;
  doneItems(id: number): Promise<Set<string>>;
  /** The job's finished items in the order they finished, only the failed ones with `failed`, at most `limit`. */
  items(id: number, opts: { failed?: boolean; limit: number; offset: number }): Promise<JobItemInfo[]>;
  finish(id: number, state: JobState, outcome: { result?: unknown; error?: string }): Promise<void>;
  requestCancel(id: number): Promise<JobInfo | undefined>;
  /** Puts this owner's running jobs (or the one job `id`) back in the queue (graceful shutdown). */
  release(owner: string, id?: number): Promise<void>;
  /** Re-queues running jobs whose owner, a process on this host, is no longer alive. */
  recoverOrphans(): Promise<number>;
  depth(): Promise<Record<JobState, number>>;
}

/** Numeric fields added up over several results ({images, masks} of each lane or item). */
export function sumCounts(results: unknown[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results)
    if (r && typeof r === 'object')
      for (const [k, v] of Object.entries(r)) if (typeof v === 'number') out[k] = (out[k] ?? 0) + v;
  return out;
}

/** The columns a claim sets: running, leased to `owner` until `now + leaseMs`, one more attempt. */
const claimed =
  (owner: string, leaseMs: number, now: number) => (eb: ExpressionBuilder<Database, 'job'>) => ({
    state: 'running',
    lease_owner: owner,
    lease_expires_at: iso(now + leaseMs),
    attempts: eb('attempts', '+', 1),
    updated_at: iso(now),
  });

const iso = (ms: number) => new Date(ms).toISOString();

function info(r: Selectable<JobTable>): JobInfo {
  return {
    id: r.id,
    projectId: r.project_id,
    kind: r.kind,
    params: JSON.parse(r.params),
    state: r.state as JobState,
    done: r.done,
    total: r.total,
    message: r.message,
    attempts: r.attempts,
    result: r.result === null ? null : JSON.parse(r.result),
    error: r.error,
    failedItems: r.failed_items,
    lanes: r.lanes,
    cancelRequested: r.cancel_requested === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The owner id of this process: host and pid, so a restarted server can tell a dead owner's jobs. */
export const processOwner = () => `${hostname()}:${process.pid}`;

export class TableJobQueue implements JobQueue {
  constructor(protected readonly db: Kysely<Database>) {}

  async enqueue(
    kind: string,
    projectId: number | null,
    params: Record<string, unknown>,
    total: number,
    lanes = 1,
  ) {
    const r = await this.db
      .insertInto('job')
      .values({ kind, project_id: projectId, params: JSON.stringify(params), state: 'queued', total, lanes })
      .returningAll()
      .executeTakeFirstOrThrow();
    return info(r);
  }

  async laneDone(id: number, lane: number, result: unknown) {
    await this.db
      .insertInto('job_lane')
      .values({ job_id: id, lane, result: result === undefined ? null : JSON.stringify(result) })
      .onConflict((oc) => oc.doNothing())
      .execute();
    const rows = await this.db.selectFrom('job_lane').select('result').where('job_id', '=', id).execute();
    return {
      finished: rows.length,
      results: rows.map((r) => (r.result === null ? undefined : JSON.parse(r.result))),
    };
  }

  /** The lanes of a job that have not ended. */
  protected async openLanes(id: number, lanes: number): Promise<number[]> {
    const rows = await this.db.selectFrom('job_lane').select('lane').where('job_id', '=', id).execute();
    const ended = new Set(rows.map((r) => r.lane));
    return [...Array(lanes).keys()].filter((l) => !ended.has(l));
  }

  async itemTotals(id: number) {
    const rows = await this.db
      .selectFrom('job_item')
      .select('result')
      .where('job_id', '=', id)
      .where('result', 'is not', null)
      .execute();
    return sumCounts(rows.map((r) => JSON.parse(r.result!)));
  }

  async countItems(id: number) {
    const r = await this.db
      .selectFrom('job_item')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('job_id', '=', id)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /**
   * Takes the oldest claimable job (queued, or running on an expired lease) in one conditional update, so two
   * claimers, in this process or another, never both get it: the update re-checks the row's state, and on
   * PostgreSQL the candidate row is locked with SKIP LOCKED so a second claimer moves on to the next job.
   */
  async claim(owner: string, leaseMs: number) {
    const now = Date.now();
    const claimable = (eb: ExpressionBuilder<Database, 'job'>) =>
      eb.or([
        eb('state', '=', 'queued'),
        eb.and([eb('state', '=', 'running'), eb('lease_expires_at', '<', iso(now))]),
      ]);
    const r = await this.db
      .updateTable('job')
      .set(claimed(owner, leaseMs, now))
      .where('id', '=', (eb) =>
        skipLocked(this.db, eb.selectFrom('job').select('id').where(claimable).orderBy('id').limit(1)),
      )
      .where(claimable)
      .returningAll()
      .executeTakeFirst();
    return r ? info(r) : undefined;
  }

  async claimById(id: number, owner: string, leaseMs: number) {
    const now = Date.now();
    const r = await this.db
      .updateTable('job')
      .set(claimed(owner, leaseMs, now))
      .where('id', '=', id)
      .where('state', 'in', ['queued', 'running'])
      .returningAll()
      .executeTakeFirst();
    return r ? info(r) : undefined;
  }

  async renew(id: number, owner: string, leaseMs: number) {
    await this.db
      .updateTable('job')
      .set({ lease_expires_at: iso(Date.now() + leaseMs) })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('state', '=', 'running')
      .execute();
  }

  async get(id: number) {
    const r = await this.db.selectFrom('job').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? info(r) : undefined;
  }

  async list(projectIds: number[] | 'all') {
    let q = this.db.selectFrom('job').selectAll().orderBy('id', 'desc').limit(500);
    if (projectIds !== 'all') {
      if (!projectIds.length) return [];
      q = q.where('project_id', 'in', projectIds);
    }
    return (await q.execute()).map(info);
  }

  async progress(id: number, done: number, total: number, message: string | null) {
    await this.db
      .updateTable('job')
      .set({ done, total, message, updated_at: iso(Date.now()) })
      .where('id', '=', id)
      .execute();
  }

  async itemProgress(id: number, total: number, message: string | null) {
    const r = await this.db
      .updateTable('job')
      .set((eb) => ({
        done: eb.selectFrom('job_item').select(eb.fn.countAll<number>().as('n')).where('job_id', '=', id),
        total,
        message,
        updated_at: iso(Date.now()),
      }))
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return info(r);
  }

  async itemDone(
    id: number,
    item: string,
    outcome: {
      error?: ItemError | undefined;
      worker?: string;
      counts?: Record<string, number> | undefined;
    } = {},
  ) {
    const { error, worker, counts } = outcome;
    return this.db.transaction().execute(async (tx) => {
      const r = await tx
        .insertInto('job_item')
        .values({
          job_id: id,
          item,
          error: error?.message ?? null,
          error_code: error?.code ?? null,
          worker: worker ?? null,
          result: counts ? JSON.stringify(counts) : null,
        })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      const inserted = Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
      if (inserted && error !== undefined)
        await tx
          .updateTable('job')
          .set((eb) => ({ failed_items: eb('failed_items', '+', 1) }))
          .where('id', '=', id)
          .execute();
      return inserted;
    });
  }

  async items(id: number, opts: { failed?: boolean; limit: number; offset: number }) {
    let q = this.db
      .selectFrom('job_item')
      .select(['item', 'error', 'error_code', 'finished_at', 'worker'])
      .where('job_id', '=', id)
      .orderBy('finished_at')
      .orderBy('item')
      .limit(opts.limit)
      .offset(opts.offset);
    if (opts.failed) q = q.where('error', 'is not', null);
    return (await q.execute()).map((r) => ({
      item: r.item,
      error: r.error === null ? null : { code: r.error_code ?? 'E_INTERNAL', message: r.error },
      finishedAt: r.finished_at,
      worker: r.worker,
    }));
  }

  async doneItems(id: number) {
    const rows = await this.db.selectFrom('job_item').select('item').where('job_id', '=', id).execute();
    return new Set(rows.map((r) => r.item));
  }

  async finish(id: number, state: JobState, outcome: { result?: unknown; error?: string }) {
    await this.db
      .updateTable('job')
      .set({
        state,
        result: outcome.result === undefined ? null : JSON.stringify(outcome.result),
        error: outcome.error ?? null,
        lease_owner: null,
        lease_expires_at: null,
        updated_at: iso(Date.now()),
      })
      .where('id', '=', id)
      .where('state', 'in', ['queued', 'running']) // a final state stays (a lane ending after a cancel)
      .execute();
  }

  async requestCancel(id: number) {
    const job = await this.get(id);
    if (!job || FINAL.includes(job.state)) return job;
    if (job.state === 'queued') await this.finish(id, 'cancelled', {});
    else await this.db.updateTable('job').set({ cancel_requested: 1 }).where('id', '=', id).execute();
    return this.get(id);
  }

  async release(owner: string, id?: number) {
    let q = this.db
      .updateTable('job')
      .set({ state: 'queued', lease_owner: null, lease_expires_at: null })
      .where('lease_owner', '=', owner)
      .where('state', '=', 'running')
      .where('lanes', '=', 1); // a split job's lanes go back to BullMQ's queue one by one
    if (id !== undefined) q = q.where('id', '=', id);
    await q.execute();
  }

  async recoverOrphans() {
    const host = hostname();
    const running = await this.db
      .selectFrom('job')
      .select(['id', 'lease_owner'])
      .where('state', '=', 'running')
      .execute();
    let n = 0;
    for (const j of running) {
      const [h, pid] = (j.lease_owner ?? '').split(':');
      if (h !== host || !pid || Number(pid) === process.pid) continue;
      let alive = true;
      try {
        process.kill(Number(pid), 0);
      } catch (e) {
        alive = (e as NodeJS.ErrnoException).code === 'EPERM';
      }
      if (alive) continue;
      await this.db
        .updateTable('job')
        .set({ state: 'queued', lease_owner: null, lease_expires_at: null })
        .where('id', '=', j.id)
        .where('state', '=', 'running')
        .execute();
      n++;
    }
    return n;
  }

  /** The jobs not yet final, oldest first, with their lane counts. */
  protected async unfinished(): Promise<{ id: number; lanes: number }[]> {
    return this.db
      .selectFrom('job')
      .select(['id', 'lanes'])
      .where('state', 'in', ['queued', 'running'])
      .orderBy('id')
      .execute();
  }

  async depth() {
    const rows = await this.db
      .selectFrom('job')
      .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('state')
      .execute();
    const out = { queued: 0, running: 0, succeeded: 0, partial: 0, failed: 0, cancelled: 0 };
    for (const r of rows) out[r.state as JobState] = Number(r.n);
    return out;
  }
}
