// The embedded dispatcher: `workers` loops that claim the oldest claimable job from the table and run it.
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobInfo, JobQueue } from './queue.js';
import type { JobDispatch, RunOutcome } from './runner.js';

export interface TableDispatchOptions {
  owner: string;
  workers: number;
  leaseMs: number;
  pollMs: number;
}

export class TableDispatch implements JobDispatch {
  private stopping = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly queue: JobQueue,
    private readonly opts: TableDispatchOptions,
  ) {}

  start(run: (job: JobInfo, lane: number) => Promise<RunOutcome>): void {
    for (let i = 0; i < this.opts.workers; i++) this.loops.push(this.loop(run));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  private async loop(run: (job: JobInfo, lane: number) => Promise<RunOutcome>): Promise<void> {
    while (!this.stopping) {
      const job = await this.queue.claim(this.opts.owner, this.opts.leaseMs).catch(() => undefined);
      if (!job) {
        await sleep(this.opts.pollMs);
        continue;
      }
      // The table queue never splits a job; one split while Redis was in use runs here lane after lane.
      for (let lane = 0; lane < job.lanes; lane++) if ((await run(job, lane)) === 'released') break;
    }
  }
}
