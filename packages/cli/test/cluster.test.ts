// The team set-up as a cluster on 127.0.0.1: PostgreSQL, Redis, an S3-protocol server, two API replicas
// (`segkit serve --workers 0`) and two `segkit worker` processes. A 20-image processing job is shared by both workers;
// one is SIGKILLed mid-job; the job still ends with every item done once, watched through the other replica.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeImage, loadImage } from '@segkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Postgres,
  postgresAvailable,
  type RedisServer,
  redisAvailable,
  type S3,
  startPostgres,
  startRedis,
  startS3,
} from '../../server/test/engines.js';
import { multipart } from '../../server/test/helpers.js';
import { cli, repo, serve, tmp } from './helpers.js';

const built = existsSync(join(repo, 'packages/cli/dist/main.js'));

/** The real `segkit worker` until it says it runs jobs: its owner name (host:pid), kill() and stop(). */
async function worker(env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    [join(repo, 'packages/cli/bin/segkit.js'), 'worker', '--data', tmp(), '--model', 'classic'],
    {
      env: { ...process.env, SEGKIT_CACHE_DIR: tmp(), ...env },
    },
  );
  let stderr = '';
  const owner = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start: ${stderr}`)), 30_000);
    child.stderr.on('data', (d) => {
      stderr += String(d);
      const m = /segkit worker (\S+): running jobs/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  return {
    owner,
    kill: () => child.kill('SIGKILL'),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Reads a job's Server-Sent Events until it ends, calling `onItem` with each item event's data. */
async function watch(url: string, token: string, onItem: (data: { item: string; worker: string }) => void) {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const reader = res.body!.getReader();
  const seen: string[] = [];
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return seen;
    text += Buffer.from(value).toString();
    for (let i = text.indexOf('\n\n'); i >= 0; i = text.indexOf('\n\n')) {
      const chunk = text.slice(0, i);
      text = text.slice(i + 2);
      const type = /^event: (\S+)/m.exec(chunk)?.[1];
      if (!type) continue;
      seen.push(type);
      if (type === 'item') onItem(JSON.parse(/^data: (.*)$/m.exec(chunk)![1]!));
    }
  }
}

let pg: Postgres;
let redis: RedisServer;
let s3: S3;
const ready = built && postgresAvailable() && redisAvailable();
beforeAll(async () => {
  if (!ready) return;
  [pg, redis, s3] = await Promise.all([startPostgres(), startRedis(), startS3()]);
}, 60_000);
afterAll(async () => {
  await redis?.stop();
  await s3?.stop();
  pg?.stop();
});

describe.skipIf(!ready)('a cluster: 2 replicas and 2 workers on PostgreSQL, Redis and S3', () => {
  it('shares a 20-image job between the workers; a SIGKILLed worker’s part is finished by the other, each item once', async () => {
    const env = {
      ...s3.env,
      SEGKIT_DATABASE_URL: await pg.createDatabase(),
      SEGKIT_BLOBS_URL: `s3://${await s3.createBucket()}/blobs`,
      SEGKIT_REDIS_URL: redis.url,
      SEGKIT_JOB_LEASE_MS: '2000', // a killed worker's lanes move on after about 2 s
    };
    const a = await serve(['--data', tmp(), '--workers', '0', '--model', 'classic'], { env });
    const b = await serve(['--data', tmp(), '--workers', '0', '--model', 'classic'], { env });
    const workers = [await worker(env), await worker(env)];
    try {
      expect(a.token).not.toBe('');
      expect(b.token).toBe(''); // one admin token per database: B found A's
      const call = async (base: string, method: string, path: string, body?: unknown, headers = {}) => {
        const res = await fetch(`${base}/api/v1${path}`, {
          method,
          headers: {
            authorization: `Bearer ${a.token}`,
            ...(body && !Buffer.isBuffer(body) ? { 'content-type': 'application/json' } : {}),
            ...headers,
          },
          ...(body ? { body: Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body) } : {}),
        });
        return {
          status: res.status,
          json: (await res.json()) as never,
        };
      };
      // 20 distinct images: the 12 shapes, and 8 of them again with one pixel changed.
      const files = [];
      for (let i = 0; i < 20; i++) {
        const file = join(repo, 'examples/shapes', `img${String(i % 12).padStart(2, '0')}.png`);
        const image = await loadImage(readFileSync(file));
        image.data[0] = i;
        files.push({ name: `img${i}.png`, bytes: await encodeImage(image) });
      }
      const project = (await call(a.base, 'POST', '/projects', { name: 'cluster' })).json as { id: number };
      const up = multipart(files);
      const added = await call(a.base, 'POST', `/projects/${project.id}/images`, up.body, up.headers);
      const images = (added.json as { images: { id: number }[] }).images;
      expect(images).toHaveLength(20);
      for (const img of images)
        expect(
          (
            await call(a.base, 'POST', `/images/${img.id}/annotations`, {
              mode: 'inside_box',
              bbox: [20, 20, 150, 110],
            })
          ).status,
        ).toBe(201);
      // Enqueued through A, watched through B; worker 0 is killed once it has done an item and three are done.
      const job = (await call(a.base, 'POST', `/projects/${project.id}/process`, { mode: 'inside_box' }))
        .json as {
        id: number;
      };
      let seen = 0;
      let killedAt = 0;
      const events = await watch(`${b.base}/api/v1/jobs/${job.id}/events`, a.token, ({ worker }) => {
        seen++;
        if (!killedAt && seen >= 3 && worker === workers[0]!.owner) {
          workers[0]!.kill();
          killedAt = seen;
        }
      });
      expect(killedAt).toBeGreaterThanOrEqual(3);
      expect(killedAt).toBeLessThan(20); // killed mid-job
      expect(events.at(-1)).toBe('finished');
      const after = (await call(b.base, 'GET', `/jobs/${job.id}`)).json as Record<string, unknown>;
      expect(after).toMatchObject({ state: 'succeeded', done: 20, total: 20, failedItems: 0 });
      expect(after.result).toMatchObject({ images: 20, masks: 20 });
      const items = (await call(b.base, 'GET', `/jobs/${job.id}/items?limit=100`)).json as {
        items: { item: string; worker: string; error: unknown }[];
      };
      expect(new Set(items.items.map((i) => i.item)).size).toBe(20);
      expect(items.items).toHaveLength(20);
      const by = new Set(items.items.map((i) => i.worker));
      expect(by).toEqual(new Set(workers.map((w) => w.owner))); // both workers did items
      // No duplicate annotations: each image has its one box, now with its mask, read through B.
      for (const img of images) {
        const anns = (await call(b.base, 'GET', `/images/${img.id}/annotations?mode=inside_box`)).json as {
          rle: unknown;
        }[];
        expect(anns).toHaveLength(1);
        expect(anns[0]!.rle).toBeTruthy();
      }
      // A token revoked on the shared database stops working on both replicas within about a second.
      const add = await cli(
        'users',
        'add',
        'ada',
        '--role',
        'annotator',
        '--data',
        tmp(),
        '--db',
        env.SEGKIT_DATABASE_URL,
      );
      const ada = add.stdout.trim();
      const asAda = (base: string) =>
        fetch(`${base}/api/v1/projects`, { headers: { authorization: `Bearer ${ada}` } });
      expect([(await asAda(a.base)).status, (await asAda(b.base)).status]).toEqual([200, 200]);
      process.env.SEGKIT_DATABASE_URL = env.SEGKIT_DATABASE_URL;
      const revoked = await cli('users', 'revoke', 'ada', '--data', tmp()).finally(() => {
        delete process.env.SEGKIT_DATABASE_URL;
      });
      expect(revoked.code).toBe(0);
      await new Promise((r) => setTimeout(r, 1100));
      expect([(await asAda(a.base)).status, (await asAda(b.base)).status]).toEqual([401, 401]);
    } finally {
      await Promise.all([a.stop(), b.stop(), ...workers.map((w) => w.stop())]);
    }
  }, 180_000);

  it('a worker without --redis, and --workers 0 without it, are refused with the reason', async () => {
    const w = await cli('worker', '--data', tmp());
    expect(w.code).toBe(2);
    expect(w.stderr.trim()).toBe(
      'segkit: E_USAGE: segkit worker needs --redis (or SEGKIT_REDIS_URL): jobs reach it through BullMQ, and the servers hear its progress there',
    );
    const s = await cli('serve', '--workers', '0', '--data', tmp());
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/E_USAGE: --workers 0 runs no jobs here/);
    const down = await cli('worker', '--data', tmp(), '--redis', 'redis://127.0.0.1:1');
    expect(down.code).not.toBe(0);
    expect(down.stderr.trim()).toMatch(
      /^segkit: E_SERVICE_UNAVAILABLE: Cannot reach Redis at redis:\/\/127\.0\.0\.1:1: /,
    );
  });
});
