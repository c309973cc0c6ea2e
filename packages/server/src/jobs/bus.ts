// Where job events go: the runner publishes each one, and the SSE routes and the activity stream listen. In one
// process an EventEmitter carries them; with `--redis` Redis pub/sub does, so a job run by a worker elsewhere is
// watched through any replica (team/redis.ts).
import { EventEmitter } from 'node:events';
import type { ItemError, JobInfo } from './queue.js';

/** A job event for SSE and the activity feed. */
export interface JobEvent {
  type: 'started' | 'progress' | 'item' | 'finished' | 'failed' | 'cancelled';
  job: JobInfo;
  item?: string;
  /** Why the item failed (`item` events only). */
  error?: ItemError;
  /** The worker process (host:pid) that finished the item (`item` events only). */
  worker?: string;
}

export interface JobBus {
  publish(event: JobEvent): void;
  /** Calls `listener` with every event from now on; returns the function that stops it. */
  subscribe(listener: (event: JobEvent) => void): () => void;
  close(): Promise<void>;
}

/** The embedded server's bus: events stay in this process. */
export class LocalJobBus implements JobBus {
  protected readonly events = new EventEmitter().setMaxListeners(0);

  publish(event: JobEvent): void {
    this.events.emit('job', event);
  }

  subscribe(listener: (event: JobEvent) => void): () => void {
    this.events.on('job', listener);
    return () => this.events.off('job', listener);
  }

  async close(): Promise<void> {
    this.events.removeAllListeners();
  }
}
