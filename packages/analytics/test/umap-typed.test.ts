// The typed-array UMAP: neighbour recall against exact neighbours, the fuzzy graph against its definition, the curve
// parameters against umap-learn's, and the layout's quality and determinism.
import { seededRandom } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import { adjustedRandIndex, hdbscan, umap2dAsync } from '../src/index.js';
import { nnDescent } from '../src/nndescent.js';
import { findAbParams, fuzzyGraph } from '../src/umap-fast.js';
import { clipLike } from './helpers/clip-like.js';

const flatten = (rows: Float32Array[]) => {
  const d = rows[0]!.length;
  const x = new Float32Array(rows.length * d);
  rows.forEach((r, i) => {
    x.set(r, i * d);
  });
  return x;
};

describe('typed-array UMAP', () => {
  it('nearest-neighbour descent finds ≥ 97% of the exact 15 neighbours on 10k × 512 CLIP-like vectors', async () => {
    const n = 10_000;
    const d = 512;
    const { rows } = clipLike(n, d, { seed: 11 });
    const x = flatten(rows);
    const knn = await nnDescent(x, n, d, { k: 15, random: seededRandom(1) });
    // Exact neighbours of 300 sampled points (all 10k would be 51 GFlop).
    const r = seededRandom(2);
    let hits = 0;
    let total = 0;
    for (let s = 0; s < 300; s++) {
      const i = Math.floor(r() * n);
      const ds = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        let t = 0;
        for (let k = 0; k < d; k++) t += (x[i * d + k]! - x[j * d + k]!) ** 2;
        ds[j] = t;
      }
      const exact = new Set(
        Array.from(ds.keys())
          .sort((p, q) => ds[p]! - ds[q]!)
          .slice(0, 15),
      );
      for (let m = 0; m < 15; m++) if (exact.has(knn.index[i * 15 + m]!)) hits++;
      total += 15;
    }
    expect(knn.index[0]).toBe(0); // each list starts with the point itself
    expect(hits / total).toBeGreaterThanOrEqual(0.97);
  }, 120_000);

  it('the fuzzy graph is the fuzzy union of smooth-kNN memberships, symmetric, in (0, 1]', () => {
    const n = 60;
    const k = 6;
    const { rows } = clipLike(n, 8, { seed: 3, clusters: 3 });
    const dist = (i: number, j: number) => Math.hypot(...Array.from(rows[i]!, (v, t) => v - rows[j]![t]!));
    const index = new Int32Array(n * k);
    const dd = new Float32Array(n * k);
    for (let i = 0; i < n; i++) {
      const order = Array.from({ length: n }, (_, j) => j).sort((p, q) => dist(i, p) - dist(i, q));
      for (let m = 0; m < k; m++) {
        index[i * k + m] = order[m]!;
        dd[i * k + m] = dist(i, order[m]!);
      }
    }
    const g = fuzzyGraph(n, k, index, dd);
    const at = (i: number, j: number) => {
      for (let e = g.start[i]!; e < g.start[i + 1]!; e++) if (g.col[e] === j) return g.w[e]!;
      return 0;
    };
    // The definition: σ_i by bisection so that Σ exp(−max(0, d − ρ_i)/σ_i) over the k − 1 neighbours is log2 k,
    // a_ij = exp(−max(0, d_ij − ρ_i)/σ_i), and the union a_ij + a_ji − a_ij·a_ji.
    const directed = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const rho = dd[i * k + 1]!;
      let lo = 0;
      let hi = 10;
      for (let it = 0; it < 100; it++) {
        const mid = (lo + hi) / 2;
        let s = 0;
        for (let m = 1; m < k; m++) s += Math.exp(-Math.max(0, dd[i * k + m]! - rho) / mid);
        if (s > Math.log2(k)) hi = mid;
        else lo = mid;
      }
      const sigma = (lo + hi) / 2;
      for (let m = 1; m < k; m++)
        directed.set(`${i},${index[i * k + m]}`, Math.exp(-Math.max(0, dd[i * k + m]! - rho) / sigma));
    }
    for (let i = 0; i < n; i++) {
      for (let e = g.start[i]!; e < g.start[i + 1]!; e++) {
        const j = g.col[e]!;
        const aij = directed.get(`${i},${j}`) ?? 0;
        const aji = directed.get(`${j},${i}`) ?? 0;
        expect(g.w[e]).toBeCloseTo(aij + aji - aij * aji, 4);
        expect(g.w[e]).toBeGreaterThan(0);
        expect(g.w[e]).toBeLessThanOrEqual(1);
        expect(at(j, i)).toBeCloseTo(g.w[e]!, 6); // symmetric
      }
    }
    expect(g.start[n]).toBeGreaterThanOrEqual(n * (k - 1));
  });

  it('fits umap-learn’s a and b for min_dist 0.1 (1.577, 0.895)', () => {
    const { a, b } = findAbParams(1, 0.1);
    expect(a).toBeCloseTo(1.5769, 2);
    expect(b).toBeCloseTo(0.8951, 2);
  });

  it('lays out 3,000 CLIP-like vectors so HDBSCAN finds the 12 clusters (ARI ≥ 0.9), the same for the same seed', async () => {
    const { rows, truth } = clipLike(3000, 128, { seed: 5 });
    const a = await umap2dAsync(rows, { seed: 42, engine: 'typed' });
    const b = await umap2dAsync(rows, { seed: 42, engine: 'typed' });
    expect(b.points).toEqual(a.points);
    const labels = hdbscan(a.points, { minClusterSize: 30 });
    const kept = truth.map((_t, i) => i).filter((i) => truth[i]! >= 0);
    expect(
      adjustedRandIndex(
        kept.map((i) => labels[i]!),
        kept.map((i) => truth[i]!),
      ),
    ).toBeGreaterThanOrEqual(0.9);
  }, 120_000);
});
