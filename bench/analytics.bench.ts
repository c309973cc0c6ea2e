// UMAP + HDBSCAN on random 512-d vectors. Each size runs in a fresh Node process, so its peak memory (maxRSS) is its
// own and not what earlier suites left behind. Single timed run each.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hdbscan, umap2d } from '../packages/analytics/src/index.js';
import type { BenchResult } from './harness.js';

function vectors(n: number, d: number): number[][] {
  let s = 1234;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  // 8 loose groups, so the layout has structure to find.
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: d }, (_, k) => (k % 8 === i % 8 ? 2 : 0) + rand()),
  );
}

interface OneRun {
  umapMs: number;
  hdbscanMs: number;
  randomStartMs?: number;
  clusters: number;
  baseRssMiB: number;
  peakRssMiB: number;
}

/** One size, in this process (the child's side). */
function runOne(n: number): OneRun {
  const data = vectors(n, 512);
  const baseRssMiB = process.memoryUsage().rss / 2 ** 20;
  const t0 = performance.now();
  const { points } = umap2d(data, { seed: 42 });
  const t1 = performance.now();
  const labels = hdbscan(points, { minClusterSize: Math.max(5, Math.round(n / 200)) });
  const t2 = performance.now();
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  let randomStartMs: number | undefined;
  if (n <= 2000) {
    // The spectral start's cost: the same layout from umap-js's random start.
    const r0 = performance.now();
    umap2d(data, { seed: 42, init: 'random' });
    randomStartMs = performance.now() - r0;
  }
  const clusters = new Set(Array.from(labels).filter((l) => l >= 0)).size;
  return { umapMs: t1 - t0, hdbscanMs: t2 - t1, randomStartMs, clusters, baseRssMiB, peakRssMiB };
}

export async function runAnalyticsBench(
  sizes = [2000, 10000],
): Promise<{ results: BenchResult[]; notes: string[] }> {
  const results: BenchResult[] = [];
  const notes: string[] = [];
  const one = (name: string, ms: number): BenchResult => ({ name, median: ms, min: ms, max: ms, runs: 1 });
  for (const n of sizes) {
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), String(n)],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      },
    );
    if (child.status !== 0) throw new Error(`analytics bench for ${n} failed: ${child.stderr}`);
    const r = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as OneRun;
    results.push(
      one(`UMAP ${n}×512`, r.umapMs),
      one(`HDBSCAN ${n} (2-D)`, r.hdbscanMs),
      one(`UMAP + HDBSCAN ${n}×512`, r.umapMs + r.hdbscanMs),
    );
    if (r.randomStartMs !== undefined) results.push(one(`UMAP ${n}×512, random start`, r.randomStartMs));
    notes.push(
      `${n} vectors: ${r.clusters} clusters; peak RSS ${r.peakRssMiB.toFixed(0)} MiB ` +
        `(${(r.peakRssMiB - r.baseRssMiB).toFixed(0)} MiB over the process with the input vectors loaded)`,
    );
  }
  return { results, notes };
}

export const analyticsTargets: Record<string, number> = { 'UMAP + HDBSCAN 10000×512': 60_000 };

// Run as a child: `node --import tsx bench/analytics.bench.ts 10000` prints one JSON line.
if (process.argv[1] === fileURLToPath(import.meta.url))
  console.log(JSON.stringify(runOne(Number(process.argv[2]))));
