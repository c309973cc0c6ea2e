// Workers that run queued jobs item by item. Finished items are recorded, so a job resumed after a crash starts at its
// first unfinished item; a cancel takes effect at the next item boundary; interactive inference goes first.
import { SegkitError } from '@segkit/core';
import type { JobBus, JobEvent } from './bus.js';
import { FINAL, type ItemError, type JobInfo, type JobQueue, sumCounts } from './queue.js';

/** What a job handler gets: items it runs one by one (skipping those already done), and a progress line. */
export interface JobRun {
  /**
   * Runs `fn` for `key` unless a previous attempt finished it; records it, moves progress, emits `item`. When `fn`
   * throws, the item is recorded as failed with the error's first line and the job goes on with the next item; a job
   * whose items all failed ends `failed`, one with some failed ends `partial`.
   */
  item(
    key: string,
    fn: () => Promise<ItemCounts | undefined> | Promise<void>,
    message?: string,
  ): Promise<void>;
  /** Reports progress inside an item (a training epoch): the job's message and counts, and a `progress` event. */
  note(message: string, progress?: { done: number; total: number }): Promise<void>;
  /** Of `n` items, how many this run covers: all of them, or this lane's share when the job is split. */
  share(n: number): number;
}

/** What an item may count (`{masks: 3}`): kept with the item, and added up into the job's result at its end. */
export type ItemCounts = Record<string, number>;

export type JobHandler = (job: JobInfo, run: JobRun) => Promise<unknown>;

/** How a run ended: the job reached a final state, or it went back to the queue because this worker is stopping. */
export type RunOutcome = 'done' | 'released';

/**
 * What hands jobs to the runner: the table queue's claim loop (jobs/dispatch.ts), or a BullMQ worker
 * (team/bull.ts). `run` resolves once the job is final or released.
 */
export interface JobDispatch {
  start(run: (job: JobInfo, lane: number) => Promise<RunOutcome>): void;
  /** Stops taking jobs; resolves when the jobs it handed out have returned. */
  stop(): Promise<void>;
}

const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

/** An item's failure as the items route shows it: the error's code (E_INTERNAL when it has none) and first line. */
const itemError = (e: unknown): ItemError => ({
  code: e instanceof SegkitError ? e.code : 'E_INTERNAL',
  message: firstLine(e),
});

class Cancelled extends Error {}
class Stopping extends Error {}

export interface RunnerOptions {
  owner: string;
  leaseMs: number;
  /** Resolves when no interactive inference is waiting (jobs yield to it between items). */
  interactiveIdle: () => Promise<void>;
}

export class JobRunner {
  private stopping = false;

  constructor(
    private readonly queue: JobQueue,
    private readonly handlers: Record<string, JobHandler>,
    private readonly bus: JobBus,
    private readonly dispatch: JobDispatch,
    private readonly opts: RunnerOptions,
  ) {}

  start(): void {
    this.dispatch.start((job, lane) => this.run(job, lane));
  }

  /** Stops taking jobs, lets each running job finish its current item, and puts it back in the queue. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.dispatch.stop();
    await this.queue.release(this.opts.owner);
  }

  private emit(type: JobEvent['type'], job: JobInfo, item?: string, error?: ItemError) {
    this.bus.publish({
      type,
      job,
      ...(item ? { item, worker: this.opts.owner } : {}),
      ...(error ? { error } : {}),
    });
  }

  /**
   * Runs a claimed job (or its lane `lane`: the items whose index modulo `job.lanes` is `lane`) to its end, or to the
   * next item boundary when this worker is stopping. The last lane to end finishes the job.
   */
  async run(job: JobInfo, lane = 0): Promise<RunOutcome> {
    const { queue, opts } = this;
    const renew = setInterval(
      () => void queue.renew(job.id, opts.owner, opts.leaseMs).catch(() => {}),
      opts.leaseMs / 3,
    );
    this.emit('started', job);
    try {
      const handler = this.handlers[job.kind];
      if (!handler) throw new Error(`No handler for jobs of kind ${job.kind}`);
      const done = await queue.doneItems(job.id);
      let index = 0;
      let count = done.size;
      const result = await handler(job, {
        item: async (key, fn, message) => {
          if (index++ % job.lanes !== lane || done.has(key)) return;
          if (this.stopping) throw new Stopping();
          if ((await queue.get(job.id))?.cancelRequested) throw new Cancelled();
          await opts.interactiveIdle();
          let error: ItemError | undefined;
          let counts: ItemCounts | undefined;
          try {
            counts = (await fn()) ?? undefined;
          } catch (e) {
            error = itemError(e);
          }
          await queue.itemDone(job.id, key, { error, worker: opts.owner, counts: counts || undefined });
          done.add(key);
          const now = await queue.itemProgress(job.id, job.total, message ?? null); // every lane's items
          count = now.done;
          this.emit('item', now, key, error);
          this.emit('progress', now);
        },
        note: async (message, progress) => {
          await queue.progress(job.id, progress?.done ?? count, progress?.total ?? job.total, message);
          this.emit('progress', (await queue.get(job.id))!);
        },
        share: (n) => Math.floor(n / job.lanes) + (lane < n % job.lanes ? 1 : 0),
      });
      const lanes = await queue.laneDone(job.id, lane, result);
      if (lanes.finished < job.lanes) return 'done'; // another lane is still running; the last one finishes
      const laneResult = job.lanes > 1 ? sumCounts(lanes.results) : result;
      const totals = await queue.itemTotals(job.id);
      await this.finish(
        job,
        Object.keys(totals).length ? { ...(laneResult as object | undefined), ...totals } : laneResult,
      );
    } catch (e) {
      if (e instanceof Stopping) {
        // Another worker, or this one's next start, resumes it (a lane goes back to BullMQ's queue on its own).
        if (job.lanes === 1) await queue.release(opts.owner, job.id);
        return 'released';
      }
      if (e instanceof Cancelled) {
        await queue.finish(job.id, 'cancelled', {});
        this.emit('cancelled', (await queue.get(job.id))!);
      } else {
        await queue.finish(job.id, 'failed', { error: firstLine(e) });
        this.emit('failed', (await queue.get(job.id))!);
      }
    } finally {
      clearInterval(renew);
    }
    return 'done';
  }

  /** Ends a job whose items are all done: `failed` when every item failed, `partial` when some did. */
  private async finish(job: JobInfo, result: unknown): Promise<void> {
    const { queue } = this;
    const after = (await queue.get(job.id))!;
    if (FINAL.includes(after.state)) return; // cancelled meanwhile
    const finished = await queue.countItems(job.id);
    if (after.failedItems > 0 && after.failedItems >= finished) {
      const reason = (await queue.items(job.id, { failed: true, limit: 1, offset: 0 }))[0]?.error?.message;
      const error = after.failedItems === 1 ? reason : `All ${after.failedItems} items failed: ${reason}`;
      await queue.finish(job.id, 'failed', { result, error: error ?? 'Every item failed' });
      this.emit('failed', (await queue.get(job.id))!);
      return;
    }
    await queue.finish(job.id, after.failedItems ? 'partial' : 'succeeded', { result });
    this.emit('finished', (await queue.get(job.id))!);
  }
}
