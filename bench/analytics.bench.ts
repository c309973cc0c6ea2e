// UMAP + HDBSCAN on CLIP-like 512-d vectors (12 clusters, L2-normalised, 5% noise), as the issue that set the targets
// measured umap-learn + hdbscan. Each size and engine runs in a fresh Node process, so its peak memory (maxRSS) is its
// own. Single timed run each.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { adjustedRandIndex, hdbscan, umap2dAsync } from '../packages/analytics/src/index.js';
import { clipLike } from '../packages/analytics/test/helpers/clip-like.js';
import type { BenchResult } from './harness.js';

interface OneRun {
  umapMs: number;
  hdbscanMs: number;
  /** HDBSCAN with the reference's defaults (min_cluster_size 5, min_samples 5) on the same layout. */
  hdbscanDefaultMs: number;
  /** The first call once more, in the same process: the code is compiled by now (what a server pays). */
  hdbscanWarmMs: number;
  clusters: number;
  ari: number;
  baseRssMiB: number;
  peakRssMiB: number;
}

/** One size and engine, in this process (the child's side). */
async function runOne(n: number, engine: 'typed' | 'umap-js'): Promise<OneRun> {
  const { rows, truth } = clipLike(n, 512, { seed: 7 });
  const baseRssMiB = process.memoryUsage().rss / 2 ** 20;
  const t0 = performance.now();
  const { points } = await umap2dAsync(rows, { seed: 42, engine });
  const t1 = performance.now();
  const labels = hdbscan(points, { minClusterSize: Math.max(15, Math.round(n / 400)) });
  const t2 = performance.now();
  hdbscan(points);
  const hdbscanDefaultMs = performance.now() - t2;
  const t3 = performance.now();
  hdbscan(points, { minClusterSize: Math.max(15, Math.round(n / 400)) });
  const hdbscanWarmMs = performance.now() - t3;
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  const kept = truth.flatMap((t, i) => (t >= 0 ? [i] : []));
  const ari = adjustedRandIndex(
    kept.map((i) => labels[i]!),
    kept.map((i) => truth[i]!),
  );
  const clusters = new Set(Array.from(labels).filter((l) => l >= 0)).size;
  return {
    umapMs: t1 - t0,
    hdbscanMs: t2 - t1,
    hdbscanDefaultMs,
    hdbscanWarmMs,
    clusters,
    ari,
    baseRssMiB,
    peakRssMiB,
  };
}

export async function runAnalyticsBench(
  runs: [number, 'typed' | 'umap-js'][] = [
    [2000, 'umap-js'],
    [2000, 'typed'],
    [10000, 'umap-js'],
    [10000, 'typed'],
    [100000, 'typed'],
  ],
): Promise<{ results: BenchResult[]; notes: string[] }> {
  const results: BenchResult[] = [];
  const notes: string[] = [];
  const one = (name: string, ms: number): BenchResult => ({ name, median: ms, min: ms, max: ms, runs: 1 });
  for (const [n, engine] of runs) {
    const child = spawnSync(
      process.execPath,
      ['--max-old-space-size=4096', '--import', 'tsx', fileURLToPath(import.meta.url), String(n), engine],
      { encoding: 'utf8', maxBuffer: 1 << 20 },
    );
    if (child.status !== 0) throw new Error(`analytics bench for ${n} (${engine}) failed: ${child.stderr}`);
    const r = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as OneRun;
    results.push(
      one(`UMAP ${n}×512 (${engine})`, r.umapMs),
      one(
        `HDBSCAN ${n} (2-D, min_cluster_size ${Math.max(15, Math.round(n / 400))})${engine === 'typed' ? '' : ' after umap-js'}`,
        r.hdbscanMs,
      ),
      one(`HDBSCAN ${n} (2-D, defaults)${engine === 'typed' ? '' : ' after umap-js'}`, r.hdbscanDefaultMs),
      one(
        `HDBSCAN ${n} (2-D, min_cluster_size ${Math.max(15, Math.round(n / 400))}), called again${engine === 'typed' ? '' : ' after umap-js'}`,
        r.hdbscanWarmMs,
      ),
      one(`UMAP + HDBSCAN ${n}×512 (${engine})`, r.umapMs + r.hdbscanMs),
    );
    notes.push(
      `${n} vectors, ${engine}: ${r.clusters} clusters, ARI ${r.ari.toFixed(3)} against the 12 true clusters; ` +
        `peak RSS ${r.peakRssMiB.toFixed(0)} MiB (${(r.peakRssMiB - r.baseRssMiB).toFixed(0)} MiB over the process with the input vectors loaded)`,
    );
  }
  return { results, notes };
}

/** The targets on this machine class (umap-learn + hdbscan took 11.1 s + 0.135 s at 10k). */
export const analyticsTargets: Record<string, number> = {
  'UMAP + HDBSCAN 10000×512 (typed)': 10_000,
  'UMAP + HDBSCAN 100000×512 (typed)': 180_000,
  'HDBSCAN 100000 (2-D, defaults)': 2_000,
};

// Run as a child: `node --import tsx bench/analytics.bench.ts 10000 typed` prints one JSON line.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2])
  console.log(JSON.stringify(await runOne(Number(process.argv[2]), (process.argv[3] ?? 'typed') as 'typed')));
