// What replicas share through Redis: job events (pub/sub) and the per-user cap on inference calls, each under its
// installation's namespace.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../src/app.js';
import { openDatabase } from '../src/db/database.js';
import type { JobEvent } from '../src/jobs/bus.js';
import { connectRedis, namespaceOf, RedisInflightSlots, RedisJobBus } from '../src/team/redis.js';
import { type RedisServer, redisAvailable, startRedis } from './engines.js';
import { client, fixture, multipart, repo, tmp } from './helpers.js';

let server: RedisServer;
const open: Redis[] = [];
const connect = async () => {
  const r = await connectRedis(server.url);
  open.push(r);
  return r;
};
beforeAll(async () => {
  if (redisAvailable()) server = await startRedis();
}, 30_000);
afterAll(async () => {
  for (const r of open) r.disconnect();
  await server?.stop();
});

const event = (id: number): JobEvent =>
  ({ type: 'progress', job: { id, state: 'running', done: 1, total: 2 } }) as unknown as JobEvent;

describe.skipIf(!redisAvailable())('Redis between replicas', () => {
  it('a job event published by one process reaches every process of the installation, in order, and no other', async () => {
    const [a, b, other] = [
      await RedisJobBus.open(await connect(), namespaceOf('one')),
      await RedisJobBus.open(await connect(), namespaceOf('one')),
      await RedisJobBus.open(await connect(), namespaceOf('two')),
    ];
    const heard: Record<string, number[]> = { a: [], b: [], other: [] };
    a.subscribe((e) => heard.a!.push(e.job.id));
    b.subscribe((e) => heard.b!.push(e.job.id));
    other.subscribe((e) => heard.other!.push(e.job.id));
    for (let i = 1; i <= 20; i++) a.publish(event(i));
    for (let i = 0; i < 100 && heard.b!.length < 20; i++) await new Promise((r) => setTimeout(r, 20));
    const all = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(heard).toEqual({ a: all, b: all, other: [] });
    await Promise.all([a.close(), b.close(), other.close()]);
  });

  it('the cap on a user’s inference calls counts the calls of every replica; slots come back; a dead replica’s expire', async () => {
    const ns = namespaceOf('cap');
    const [a, b] = [
      new RedisInflightSlots(await connect(), ns, 2, 60_000),
      new RedisInflightSlots(await connect(), ns, 2, 60_000),
    ];
    const leaveA = await a.enter(7);
    const leaveB = await b.enter(7);
    await expect(a.enter(7)).rejects.toMatchObject({ code: 'E_RATE_LIMITED' });
    await expect(b.enter(7)).rejects.toMatchObject({ code: 'E_RATE_LIMITED' });
    const other = await b.enter(8); // another user has slots of their own
    leaveA();
    await new Promise((r) => setTimeout(r, 50));
    const again = await b.enter(7);
    for (const leave of [leaveB, other, again]) leave();
    // A replica that died holding slots: its calls stop counting once they are older than the request timeout.
    const short = new RedisInflightSlots(await connect(), namespaceOf('stale'), 1, 200);
    await short.enter(9); // never left
    await expect(short.enter(9)).rejects.toMatchObject({ code: 'E_RATE_LIMITED' });
    await new Promise((r) => setTimeout(r, 250));
    (await short.enter(9))();
  });

  it('an unreachable PostgreSQL is one coded line too, with the password left out', async () => {
    const e = await openDatabase(tmp(), { url: 'postgres://segkit:secret@127.0.0.1:1/segkit' }).catch(
      (x) => x,
    );
    expect(e).toMatchObject({ code: 'E_SERVICE_UNAVAILABLE' });
    expect(e.message).toMatch(/^Cannot reach PostgreSQL at postgres:\/\/127\.0\.0\.1:1\/segkit: /);
  });

  it('an unreachable Redis is one coded line, not a hang', async () => {
    const t0 = Date.now();
    await expect(connectRedis('redis://127.0.0.1:1')).rejects.toMatchObject({
      code: 'E_SERVICE_UNAVAILABLE',
      message: expect.stringMatching(/^Cannot reach Redis at redis:\/\/127\.0\.0\.1:1: /),
    });
    expect(Date.now() - t0).toBeLessThan(6000);
    await expect(connectRedis('http://example.com')).rejects.toMatchObject({ code: 'E_USAGE' });
  });

  it('with Redis gone, a server still answers: a new job is recorded queued at once, inference is not refused', async () => {
    const own = await startRedis();
    const app = await build({
      dataDir: tmp(),
      redisUrl: own.url,
      defaultSegmentModel: fixture('sam-fixture'),
      modelRoots: [join(repo, 'fixtures/models')],
      workers: 0,
    });
    const c = client(app, app.segkit.adminToken);
    const p = (await c('POST', '/api/v1/projects', { name: 'no redis' })).json;
    const up = multipart([
      { name: 'img00.png', bytes: readFileSync(join(repo, 'examples/shapes/img00.png')) },
    ]);
    const img = (await c('POST', `/api/v1/projects/${p.id}/images`, up.body, up.headers)).json.images[0];
    own.kill();
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    const job = await c('POST', `/api/v1/projects/${p.id}/process`, { mode: 'inside_box' });
    expect([job.status, job.json.state]).toEqual([202, 'queued']);
    const seg = await c('POST', `/api/v1/images/${img.id}/segment`, {
      points: [{ x: 100, y: 80, label: 1 }],
    });
    expect(seg.status).toBe(200);
    // Neither waits for Redis reconnects (they back off for seconds): both go ahead as soon as Redis is known down.
    expect(Date.now() - t0).toBeLessThan(5000);
    await app.close();
    await own.stop();
  }, 30_000);
});
