import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { LocalJobBus } from '../src/jobs/bus.js';
import { TableDispatch } from '../src/jobs/dispatch.js';
import { FINAL, TableJobQueue } from '../src/jobs/queue.js';
import { type JobHandler, JobRunner } from '../src/jobs/runner.js';
import { type Postgres, postgresAvailable, startPostgres } from './engines.js';

let postgres: Postgres | undefined;
beforeAll(async () => {
  if (postgresAvailable()) postgres = await startPostgres();
});
afterAll(() => postgres?.stop());

describe.each(['sqlite', 'postgres'])('the table job queue on %s', (engine) => {
  it('a job split into lanes runs each item once, adds up the lanes’ and items’ counts, and finishes once', async (t) => {
    if (engine === 'postgres' && !postgres) return t.skip();
    const url = engine === 'postgres' ? await postgres!.createDatabase() : undefined;
    const db = await openDatabase(mkdtempSync(join(tmpdir(), 'segkit-queue-')), { url });
    const q = new TableJobQueue(db);
    // Split while Redis was in use (3 lanes), then run by the embedded claim loop, which takes the lanes in turn.
    const job = await q.enqueue('count', null, {}, 7, 3);
    const calls: string[] = [];
    const count: JobHandler = async (_job, run) => {
      for (let i = 0; i < 7; i++)
        await run.item(`k${i}`, async () => {
          calls.push(`k${i}`);
          return { masks: 2 };
        });
      return { images: run.share(7), masks: 0 };
    };
    const bus = new LocalJobBus();
    const events: string[] = [];
    bus.subscribe((e) => events.push(e.type));
    const owner = 'test:1';
    const dispatch = new TableDispatch(q, { owner, workers: 1, leaseMs: 30_000, pollMs: 10 });
    const runner = new JobRunner(q, { count }, bus, dispatch, {
      owner,
      leaseMs: 30_000,
      interactiveIdle: async () => {},
    });
    runner.start();
    let final = await q.get(job.id);
    for (let i = 0; i < 500 && !FINAL.includes(final!.state); i++) {
      await new Promise((r) => setTimeout(r, 10));
      final = await q.get(job.id);
    }
    await runner.stop();
    await db.destroy();
    expect(calls.sort()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6']);
    expect(final).toMatchObject({ state: 'succeeded', done: 7, lanes: 3, result: { images: 7, masks: 14 } });
    expect(events.filter((e) => e === 'finished')).toHaveLength(1);
  });

  it('two claimers on two connections racing for 40 jobs get each job exactly once, with no error', async (t) => {
    if (engine === 'postgres' && !postgres) return t.skip();
    const dir = mkdtempSync(join(tmpdir(), 'segkit-queue-'));
    const url = engine === 'postgres' ? await postgres!.createDatabase() : undefined;
    const [a, b] = [await openDatabase(dir, { url }), await openDatabase(dir, { url })];
    try {
      const qa = new TableJobQueue(a);
      const qb = new TableJobQueue(b);
      for (let i = 0; i < 40; i++) await qa.enqueue('export', null, { i }, 1);
      const claimed = new Map<number, string[]>();
      const errors: unknown[] = [];
      const claimer = async (q: TableJobQueue, owner: string) => {
        for (let idle = 0; idle < 3; ) {
          try {
            const job = await q.claim(owner, 60_000);
            if (!job) {
              idle++;
              continue;
            }
            claimed.set(job.id, [...(claimed.get(job.id) ?? []), owner]);
            expect(job.state).toBe('running');
          } catch (e) {
            errors.push(e);
            idle++;
          }
        }
      };
      await Promise.all([
        claimer(qa, 'host:1'),
        claimer(qb, 'host:2'),
        claimer(qa, 'host:3'),
        claimer(qb, 'host:4'),
      ]);
      expect(errors.map(String)).toEqual([]);
      expect(claimed.size).toBe(40);
      expect([...claimed.values()].filter((owners) => owners.length > 1)).toEqual([]);
      expect(new Set([...claimed.values()].map((o) => o[0]!.slice(-1))).size).toBeGreaterThan(1);
      expect((await qa.depth()).running).toBe(40);
      expect(await qb.claim('host:5', 60_000)).toBeUndefined();
    } finally {
      await Promise.all([a.destroy(), b.destroy()]);
    }
  });
});
