// Redis for the team set-up (`--redis redis://…`): one checked connection, job events over pub/sub, and the
// per-user cap on inference calls shared by every replica.
import { randomUUID } from 'node:crypto';
import { RateLimitedError, ServiceUnavailableError, UsageError } from '@segkit/core';
import { Redis } from 'ioredis';
import type { JobEvent } from '../jobs/bus.js';
import { LocalJobBus } from '../jobs/bus.js';
import type { InflightSlots } from '../security.js';
import { withoutCredentials } from '../urls.js';

/** The Redis names of one installation (its database's instance id): keys, queue prefix and event channel. */
export const namespaceOf = (instance: string) => `segkit:${instance}`;

/** Opens a connection and checks that Redis answers: E_USAGE for a URL that is not redis://, else one line. */
export async function connectRedis(url: string): Promise<Redis> {
  if (!/^rediss?:\/\/[^/\s]/i.test(url))
    throw new UsageError(
      `--redis must be a Redis URL such as redis://127.0.0.1:6379, not ${JSON.stringify(url)}`,
    );
  // Commands fail after a few tries instead of waiting for Redis forever (a request never hangs on it); a BullMQ
  // worker's own connection waits (team/bull.ts).
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, connectTimeout: 5000 });
  redis.on('error', () => {}); // reconnects on its own; a failed first connect is reported below
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    redis.disconnect();
    throw new ServiceUnavailableError(
      `Cannot reach Redis at ${withoutCredentials(url)}: ${(e as Error).message.split('\n')[0]}`,
    );
  }
  return redis;
}

/** Job events through Redis pub/sub: every replica hears every worker's events, its own included, in order. */
export class RedisJobBus extends LocalJobBus {
  private constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly channel: string,
  ) {
    super();
  }

  static async open(redis: Redis, namespace: string): Promise<RedisJobBus> {
    const sub = redis.duplicate();
    sub.on('error', () => {});
    const channel = `${namespace}:job-events`;
    const bus = new RedisJobBus(redis, sub, channel);
    sub.on('message', (_channel: string, text: string) => {
      try {
        bus.events.emit('job', JSON.parse(text) as JobEvent);
      } catch {
        // not one of ours
      }
    });
    await sub.subscribe(channel);
    return bus;
  }

  override publish(event: JobEvent): void {
    void this.pub.publish(this.channel, JSON.stringify(event)).catch(() => {});
  }

  override async close(): Promise<void> {
    await super.close();
    this.sub.disconnect();
  }
}

/**
 * The per-user cap on inference calls in flight, counted across replicas: each call is a member of the user's sorted
 * set, scored by its start; members older than `staleMs` (a replica that died mid-call) no longer count.
 */
export class RedisInflightSlots implements InflightSlots {
  constructor(
    private readonly redis: Redis,
    private readonly namespace: string,
    readonly max: number,
    private readonly staleMs: number,
  ) {}

  async enter(userId: number): Promise<() => void> {
    const key = `${this.namespace}:inflight:${userId}`;
    const id = randomUUID();
    // Redis known to be down: the call goes ahead uncounted at once rather than waiting for reconnects.
    if (this.redis.status !== 'ready') return () => {};
    const now = Date.now();
    const r = await this.redis
      .multi()
      .zremrangebyscore(key, '-inf', now - this.staleMs)
      .zadd(key, now, id)
      .zcard(key)
      .pexpire(key, this.staleMs)
      .exec()
      .catch(() => undefined); // Redis down: the call goes ahead uncounted rather than failing
    if (!r) return () => {};
    const n = Number(r[2]?.[1] ?? 0);
    const leave = () => void this.redis.zrem(key, id).catch(() => {});
    if (n > this.max) {
      leave();
      throw new RateLimitedError(
        `${n - 1} inference calls of this client are still running (at most ${this.max} at once); retry when one finishes`,
      );
    }
    return leave;
  }
}
