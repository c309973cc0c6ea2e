// `segkit worker`: a process that runs jobs and nothing else (no HTTP), beside API replicas on the same database,
// Redis and blob store.
import { processOwner } from './jobs/queue.js';
import { openRuntime, type RuntimeOptions } from './runtime.js';

export interface WorkerOptions extends RuntimeOptions {
  redisUrl: string;
  /** Jobs this process runs at once (default 1). */
  concurrency?: number;
}

export interface WorkerHandle {
  /** This process's name in the job table's lease owner column (host:pid). */
  owner: string;
  /** Stops taking jobs; a running job stops at its next item boundary and goes back to the queue for another worker. */
  close(): Promise<void>;
}

export async function startWorker(options: WorkerOptions): Promise<WorkerHandle> {
  const runtime = await openRuntime(options);
  runtime.startJobs(options.concurrency ?? 1);
  return { owner: processOwner(), close: () => runtime.close() };
}
