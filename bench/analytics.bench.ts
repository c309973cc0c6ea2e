// UMAP + HDBSCAN on random 512-d vectors (single timed run each; memory from process.memoryUsage).
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

export async function runAnalyticsBench(
  sizes = [2000, 10000],
): Promise<{ results: BenchResult[]; notes: string[] }> {
  const results: BenchResult[] = [];
  const notes: string[] = [];
  for (const n of sizes) {
    const data = vectors(n, 512);
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    const { points } = umap2d(data, { seed: 42 });
    const t1 = performance.now();
    const labels = hdbscan(points, { minClusterSize: Math.max(5, Math.round(n / 200)) });
    const t2 = performance.now();
    const peak = (process.memoryUsage().rss - rss0) / 2 ** 20;
    const one = (name: string, ms: number): BenchResult => ({ name, median: ms, min: ms, max: ms, runs: 1 });
    results.push(
      one(`UMAP ${n}×512`, t1 - t0),
      one(`HDBSCAN ${n} (2-D)`, t2 - t1),
      one(`UMAP + HDBSCAN ${n}×512`, t2 - t0),
    );
    if (n <= 2000) {
      // The spectral start's cost: the same layout from umap-js's random start.
      const r0 = performance.now();
      umap2d(data, { seed: 42, init: 'random' });
      results.push(one(`UMAP ${n}×512, random start`, performance.now() - r0));
    }
    notes.push(
      `${n} vectors: ${new Set(Array.from(labels).filter((l) => l >= 0)).size} clusters, RSS grew by ${peak.toFixed(0)} MiB`,
    );
  }
  return { results, notes };
}

export const analyticsTargets: Record<string, number> = { 'UMAP + HDBSCAN 10000×512': 60_000 };
