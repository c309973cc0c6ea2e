// Server benchmarks: 50 concurrent clients saving and listing annotations against a real `segkit serve` on 127.0.0.1
// (bounded in time; SEGKIT_BENCH_SECONDS, default 60), and the server's own overhead on a segment call on a cached
// encoder output compared with calling Segmenter.segment directly.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeImage, loadImage } from '../packages/core/src/index.js';
import { Segmenter } from '../packages/models/src/index.js';
import { build } from '../packages/server/src/index.js';
import type { BenchResult } from './harness.js';

const root = new URL('../', import.meta.url).pathname;
const fixture = (n: string) => join(root, 'fixtures/models', n);
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

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
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  try {
    const created = await fetch(`${server.base}/api/v1/projects`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'load' }),
    });
    const project = (await created.json()) as { id: number };
    const png = await encodeImage(await loadImage(join(root, 'examples/shapes/img00.png')), 'png');
    const form = new FormData();
    form.append('files', new Blob([new Uint8Array(png)]), 'img00.png');
    const up = (await (
      await fetch(`${server.base}/api/v1/projects/${project.id}/images`, {
        method: 'POST',
        headers: { authorization: headers.authorization },
        body: form,
      })
    ).json()) as { images: { id: number }[] };
    const imageId = up.images[0]!.id;
    const seconds = Number(process.env.SEGKIT_BENCH_SECONDS ?? 60);
    const deadline = Date.now() + seconds * 1000;
    const latencies: number[] = [];
    let errors = 0;
    let saved = 0;
    await Promise.all(
      Array.from({ length: 50 }, async (_, client) => {
        for (let i = 0; Date.now() < deadline && i < 1_000_000; i++) {
          const t0 = performance.now();
          const res =
            i % 2 === 0
              ? await fetch(`${server.base}/api/v1/images/${imageId}/annotations`, {
                  method: 'POST',
                  headers,
                  body: JSON.stringify({ mode: 'inside_box', bbox: [client % 200, 10, 20, 20] }),
                })
              : await fetch(`${server.base}/api/v1/images/${imageId}/annotations?mode=find_all`, { headers });
          await res.arrayBuffer();
          latencies.push(performance.now() - t0);
          if (res.status >= 400) errors++;
          else if (i % 2 === 0) saved++;
        }
      }),
    );
    const listed = await fetch(`${server.base}/api/v1/images/${imageId}/annotations?mode=inside_box`, {
      headers,
    });
    const rows = ((await listed.json()) as unknown[]).length;
    latencies.sort((a, b) => a - b);
    results.push({
      name: '50 clients: save/list annotation latency (p50)',
      median: pct(latencies, 50),
      min: latencies[0]!,
      max: latencies.at(-1)!,
      runs: latencies.length,
    });
    notes.push(
      `load: ${latencies.length} requests in ${seconds} s by 50 clients (${(latencies.length / seconds).toFixed(0)}/s); p50 ${pct(latencies, 50).toFixed(1)} ms, p95 ${pct(latencies, 95).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms; ${errors} errors; ${saved} saves acknowledged, ${rows} rows stored (${saved - rows} lost)`,
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
