// Workers that run queued jobs item by item. Finished items are recorded, so a job resumed after a crash starts at its
// first unfinished item; a cancel takes effect at the next item boundary; interactive inference goes first.
import { SegkitError } from '@segkit/core';
import type { JobBus, JobEvent } from './bus.js';
import type { ItemError, JobInfo, JobQueue } from './queue.js';

/** What a job handler gets: items it runs one by one (skipping those already done), and a progress line. */
export interface JobRun {
  /**
   * Runs `fn` for `key` unless a previous attempt finished it; records it, moves progress, emits `item`. When `fn`
   * throws, the item is recorded as failed with the error's first line and the job goes on with the next item; a job
   * whose items all failed ends `failed`, one with some failed ends `partial`.
   */
  item(key: string, fn: () => Promise<void>, message?: string): Promise<void>;
  /** Reports progress inside an item (a training epoch): the job's message and counts, and a `progress` event. */
  note(message: string, progress?: { done: number; total: number }): Promise<void>;
}

export type JobHandler = (job: JobInfo, run: JobRun) => Promise<unknown>;

/** How a run ended: the job reached a final state, or it went back to the queue because this worker is stopping. */
export type RunOutcome = 'done' | 'released';

/**
 * What hands jobs to the runner: the table queue's claim loop (jobs/dispatch.ts), or a BullMQ worker
 * (team/bull.ts). `run` resolves once the job is final or released.
 */
export interface JobDispatch {
  start(run: (job: JobInfo) => Promise<RunOutcome>): void;
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
    this.dispatch.start((job) => this.run(job));
  }

  /** Stops taking jobs, lets each running job finish its current item, and puts it back in the queue. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.dispatch.stop();
    await this.queue.release(this.opts.owner);
  }

  private emit(type: JobEvent['type'], job: JobInfo, item?: string, error?: ItemError) {
    this.bus.publish({ type, job, ...(item ? { item } : {}), ...(error ? { error } : {}) });
  }

  /** Runs a claimed job to its end, or to the next item boundary when this worker is stopping. */
  async run(job: JobInfo): Promise<RunOutcome> {
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
      let count = done.size;
      let firstError: ItemError | undefined;
      const result = await handler(job, {
        item: async (key, fn, message) => {
          if (done.has(key)) return;
          if (this.stopping) throw new Stopping();
          if ((await queue.get(job.id))?.cancelRequested) throw new Cancelled();
          await opts.interactiveIdle();
          let error: ItemError | undefined;
          try {
            await fn();
          } catch (e) {
            error = itemError(e);
            firstError ??= error;
          }
          if (await queue.itemDone(job.id, key, error)) count++;
          done.add(key);
          await queue.progress(job.id, count, job.total, message ?? null);
          const now = (await queue.get(job.id))!;
          this.emit('item', now, key, error);
          this.emit('progress', now);
        },
        note: async (message, progress) => {
          await queue.progress(job.id, progress?.done ?? count, progress?.total ?? job.total, message);
          this.emit('progress', (await queue.get(job.id))!);
        },
      });
      const after = (await queue.get(job.id))!;
      // `done` holds every finished item, this attempt's and those of earlier ones.
      if (after.failedItems > 0 && after.failedItems >= done.size) {
        const reason = (
          firstError ?? (await queue.items(job.id, { failed: true, limit: 1, offset: 0 }))[0]?.error
        )?.message;
        const error = after.failedItems === 1 ? reason : `All ${after.failedItems} items failed: ${reason}`;
        await queue.finish(job.id, 'failed', { result, error: error ?? 'Every item failed' });
        this.emit('failed', (await queue.get(job.id))!);
        return 'done';
      }
      await queue.finish(job.id, after.failedItems ? 'partial' : 'succeeded', { result });
      this.emit('finished', (await queue.get(job.id))!);
    } catch (e) {
      if (e instanceof Stopping) {
        await queue.release(opts.owner, job.id);
        return 'released'; // another worker, or this one's next start, resumes it
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
}
