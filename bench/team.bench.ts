// The team set-up, measured (`npm run bench -- team`): the 50-client save/list load against one server on SQLite, one
// replica on PostgreSQL and two replicas on PostgreSQL + Redis, side by side; and a 200-image processing job run by 1,
// 2 and 4 `segkit worker` processes. Throwaway PostgreSQL, Redis and S3 servers on 127.0.0.1 (packages/server/test/
// engines.ts), stopped at the end.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeImage, loadImage } from '../packages/core/src/index.js';
import { startEngines } from '../packages/server/test/engines.js';
import { startSegkit } from '../scripts/harness/load.js';
import type { BenchResult } from './harness.js';
import { load, pct } from './load.js';

const root = new URL('../', import.meta.url).pathname;
/** Folders this bench made (data directories, caches of embeddings): removed at the end. */
const made: string[] = [];
const tmp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-bench-team-'));
  made.push(dir);
  return dir;
};
/** Starts a `segkit` process with the fixture models and its own embedding cache; waits for its ready line. */
async function start(args: string[], env: Record<string, string>, ready: RegExp) {
  const { child, match } = await startSegkit(args, ready, { SEGKIT_CACHE_DIR: tmp(), ...env });
  return { child, m: match };
}
const stop = (child: ChildProcess) =>
  new Promise<void>((r) => {
    if (child.exitCode !== null) return r();
    child.on('exit', () => r());
    child.kill('SIGTERM');
  });

/** `n` servers on one set-up (the first makes the admin token); their base URLs and the token. */
async function servers(n: number, env: Record<string, string>, extra: string[] = []) {
  const data = tmp();
  const children: ChildProcess[] = [];
  const bases: string[] = [];
  for (let i = 0; i < n; i++) {
    const { child, m } = await start(
      ['serve', '--port', '0', '--data', i === 0 ? data : tmp(), '--max-inflight', '64', ...extra],
      env,
      /SegKit server on (http:\/\/127\.0\.0\.1:\d+)/,
    );
    children.push(child);
    bases.push(m[1]!);
  }
  return {
    bases,
    token: readFileSync(join(data, 'admin-token'), 'utf8').trim(),
    stop: () => Promise.all(children.map(stop)),
  };
}

/** A processing job over `images` images (each with a box) run by `workers` worker processes; its wall time, ms. */
async function jobRun(workers: number, images: number, engines: Awaited<ReturnType<typeof engineSet>>) {
  const env = await engines.fresh();
  const api = await servers(1, env, ['--workers', '0']);
  const procs: ChildProcess[] = [];
  try {
    for (let i = 0; i < workers; i++)
      procs.push((await start(['worker', '--data', tmp()], env, /segkit worker \S+: running jobs/)).child);
    const base = api.bases[0]!;
    const headers = { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' };
    const project = (await (
      await fetch(`${base}/api/v1/projects`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: 'jobs' }),
      })
    ).json()) as { id: number };
    const form = new FormData();
    for (let i = 0; i < images; i++) {
      const image = await loadImage(
        join(root, 'examples/shapes', `img${String(i % 12).padStart(2, '0')}.png`),
      );
      image.data[0] = i % 256;
      image.data[1] = Math.floor(i / 256);
      form.append('files', new Blob([new Uint8Array(await encodeImage(image))]), `img${i}.png`);
    }
    const up = (await (
      await fetch(`${base}/api/v1/projects/${project.id}/images`, {
        method: 'POST',
        headers: { authorization: headers.authorization },
        body: form,
      })
    ).json()) as { images: { id: number }[] };
    for (const img of up.images)
      await fetch(`${base}/api/v1/images/${img.id}/annotations`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ mode: 'inside_box', bbox: [20, 20, 150, 110] }),
      });
    const t0 = performance.now();
    const job = (await (
      await fetch(`${base}/api/v1/projects/${project.id}/process`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ mode: 'inside_box' }),
      })
    ).json()) as { id: number };
    for (;;) {
      const j = (await (await fetch(`${base}/api/v1/jobs/${job.id}`, { headers })).json()) as {
        state: string;
      };
      if (['succeeded', 'partial', 'failed', 'cancelled'].includes(j.state)) {
        if (j.state !== 'succeeded') {
          const failed = await (
            await fetch(`${base}/api/v1/jobs/${job.id}/items?failed=true&limit=3`, { headers })
          ).text();
          throw new Error(`job ended ${j.state}: ${failed}`);
        }
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return performance.now() - t0;
  } finally {
    await Promise.all([...procs.map(stop), api.stop()]);
  }
}

async function engineSet() {
  const { pg, redis, s3 } = await startEngines();
  return {
    /** A fresh database and bucket on the shared engines, as environment variables. */
    fresh: async () => ({
      ...s3.env,
      SEGKIT_DATABASE_URL: await pg.createDatabase(),
      SEGKIT_BLOBS_URL: `s3://${await s3.createBucket()}/blobs`,
      SEGKIT_REDIS_URL: redis.url,
      SEGKIT_JOB_LANES: '4',
    }),
    stop: async () => {
      await redis.stop();
      await s3.stop();
      pg.stop();
    },
  };
}

export async function runTeamBench(): Promise<{ results: BenchResult[]; notes: string[] }> {
  const seconds = Number(process.env.SEGKIT_BENCH_SECONDS ?? 30);
  const images = Number(process.env.SEGKIT_BENCH_JOB_IMAGES ?? 200);
  const results: BenchResult[] = [];
  const notes: string[] = [];
  const engines = await engineSet();
  try {
    const setups: [string, () => Promise<Awaited<ReturnType<typeof servers>>>][] = [
      ['SQLite, 1 server', () => servers(1, {})],
      ['PostgreSQL, 1 replica', async () => servers(1, { ...(await engines.fresh()), SEGKIT_REDIS_URL: '' })],
      ['PostgreSQL + Redis, 2 replicas', async () => servers(2, await engines.fresh())],
    ];
    for (const [name, make] of setups) {
      const s = await make();
      try {
        const r = await load(s.bases, s.token, seconds);
        results.push({
          name: `50 clients, ${name}: p95 ms`,
          median: pct(r.latencies, 95),
          min: r.latencies[0]!,
          max: r.latencies.at(-1)!,
          runs: r.latencies.length,
        });
        notes.push(
          `${name}: ${r.rate.toFixed(0)} req/s; p50 ${pct(r.latencies, 50).toFixed(1)} ms, p95 ${pct(r.latencies, 95).toFixed(1)} ms, p99 ${pct(r.latencies, 99).toFixed(1)} ms; ${r.errors} errors; ${r.lost} lost`,
        );
      } finally {
        await s.stop();
      }
    }
    const walls: Record<number, number> = {};
    for (const workers of [1, 2, 4]) {
      walls[workers] = await jobRun(workers, images, engines);
      results.push({
        name: `${images}-image job, ${workers} worker${workers > 1 ? 's' : ''}: wall ms`,
        median: walls[workers]!,
        min: walls[workers]!,
        max: walls[workers]!,
        runs: 1,
      });
    }
    notes.push(
      `${images}-image processing job (fixture SAM, inside-box, 4 lanes): 1 worker ${(walls[1]! / 1000).toFixed(1)} s, 2 workers ${(walls[2]! / 1000).toFixed(1)} s (×${(walls[1]! / walls[2]!).toFixed(2)}), 4 workers ${(walls[4]! / 1000).toFixed(1)} s (×${(walls[1]! / walls[4]!).toFixed(2)})`,
    );
  } finally {
    await engines.stop();
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
  return { results, notes };
}

export const teamTargets: Record<string, number> = {
  '50 clients, SQLite, 1 server: p95 ms': 50,
  '50 clients, PostgreSQL, 1 replica: p95 ms': 50,
  '50 clients, PostgreSQL + Redis, 2 replicas: p95 ms': 50,
};
