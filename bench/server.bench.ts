// Server benchmarks: 50 concurrent clients saving and listing annotations against a real `segkit serve` on 127.0.0.1
// (bounded in time; SEGKIT_BENCH_SECONDS, default 60), and the server's own overhead on a segment call on a cached
// encoder output compared with calling Segmenter.segment directly.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadImage } from '../packages/core/src/index.js';
import { Segmenter } from '../packages/models/src/index.js';
import { build } from '../packages/server/src/index.js';
import type { BenchResult } from './harness.js';
import { load, pct } from './load.js';

const root = new URL('../', import.meta.url).pathname;
const fixture = (n: string) => join(root, 'fixtures/models', n);

async function startServer(data: string): Promise<{ base: string; stop: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    [join(root, 'packages/cli/bin/segkit.js'), 'serve', '--data', data, '--port', '0'],
    {
      env: { ...process.env, SEGKIT_CACHE_DIR: mkdtempSync(join(tmpdir(), 'segkit-bench-cache-')) },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let err = '';
  const base = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      err += String(d);
      const m = /Open (http:\/\/127\.0\.0\.1:\d+)\//.exec(err);
      if (m) resolve(m[1]!);
    });
    child.on('exit', () => reject(new Error(`segkit serve exited: ${err}`)));
  });
  return {
    base,
    stop: () =>
      new Promise<void>((r) => {
        child.on('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}

export async function runServerBench(): Promise<{ results: BenchResult[]; notes: string[] }> {
  const notes: string[] = [];
  const results: BenchResult[] = [];
  // 1. Load: 50 clients, each alternately saving an annotation and listing the image's annotations.
  const data = mkdtempSync(join(tmpdir(), 'segkit-bench-'));
  const server = await startServer(data);
  const token = readFileSync(join(data, 'admin-token'), 'utf8').trim();
  try {
    const seconds = Number(process.env.SEGKIT_BENCH_SECONDS ?? 60);
    const r = await load([server.base], token, seconds);
    results.push({
      name: '50 clients: save/list annotation latency (p50)',
      median: pct(r.latencies, 50),
      min: r.latencies[0]!,
      max: r.latencies.at(-1)!,
      runs: r.latencies.length,
    });
    notes.push(
      `load: ${r.latencies.length} requests in ${seconds} s by 50 clients (${r.rate.toFixed(0)}/s); p50 ${pct(r.latencies, 50).toFixed(1)} ms, p95 ${pct(r.latencies, 95).toFixed(1)} ms, p99 ${pct(r.latencies, 99).toFixed(1)} ms; ${r.errors} errors; ${r.saved} saves acknowledged, ${r.saved - r.lost} rows stored (${r.lost} lost)`,
    );
  } finally {
    await server.stop();
  }
  // 2. The server's own overhead on a segment call, on a cached encoder output.
  const app = await build({
    dataDir: mkdtempSync(join(tmpdir(), 'segkit-bench-')),
    defaultSegmentModel: fixture('sam-fixture'),
    workers: 0,
  });
  const auth = { authorization: `Bearer ${app.segkit.adminToken}` };
  const project = (
    await app.inject({ method: 'POST', url: '/api/v1/projects', headers: auth, payload: { name: 'b' } })
  ).json();
  const boundary = '----segkitbench';
  const png = readFileSync(join(root, 'examples/coffee.png'));
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="c.png"\r\n\r\n`),
    png,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const img = (
    await app.inject({
      method: 'POST',
      url: `/api/v1/projects/${project.id}/images`,
      headers: { ...auth, 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: body,
    })
  ).json().images[0].id;
  const direct = await Segmenter.create({ model: fixture('sam-fixture'), diskCacheDir: false });
  const pixels = await loadImage(png);
  await direct.preload(pixels);
  const call = (i: number) =>
    app.inject({
      method: 'POST',
      url: `/api/v1/images/${img}/segment`,
      headers: auth,
      payload: { points: [{ x: 250 + (i % 10), y: 150, label: 1 }] },
    });
  await call(0);
  const overheads: number[] = [];
  for (let i = 0; i < 60; i++) {
    const t0 = performance.now();
    await call(i);
    const viaServer = performance.now() - t0;
    const t1 = performance.now();
    await direct.segment(pixels, { prompt: { point: [250 + (i % 10), 150] }, multimask: true });
    overheads.push(viaServer - (performance.now() - t1));
  }
  await app.close();
  overheads.sort((a, b) => a - b);
  results.push({
    name: 'server overhead on a cached segment call',
    median: pct(overheads, 50),
    min: overheads[0]!,
    max: overheads.at(-1)!,
    runs: overheads.length,
  });
  return { results, notes };
}

export const serverTargets: Record<string, number> = {
  'server overhead on a cached segment call': 5,
};
