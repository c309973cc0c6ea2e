import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { TableJobQueue } from '../src/jobs/queue.js';
import { type Postgres, postgresAvailable, startPostgres } from './engines.js';

let postgres: Postgres | undefined;
beforeAll(async () => {
  if (postgresAvailable()) postgres = await startPostgres();
});
afterAll(() => postgres?.stop());

describe.each(['sqlite', 'postgres'])('the table job queue on %s', (engine) => {
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
