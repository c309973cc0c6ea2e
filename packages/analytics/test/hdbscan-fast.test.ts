// The O(n log n) path (k-d tree core distances, Borůvka spanning tree) against the exact one (all pairs, Prim).
import { seededRandom } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import { adjustedRandIndex, hdbscan } from '../src/index.js';
import { KdTree } from '../src/kdtree.js';
import { coreDistances, mstBoruvka, mstPrim } from '../src/mst.js';

/** Gaussian blobs of different spreads on a 2-D plane, plus uniform noise; `grid` snaps to a lattice (many ties). */
function layout(n: number, seed: number, opts: { blobs?: number; noise?: number; grid?: number } = {}) {
  const r = seededRandom(seed);
  const blobs = opts.blobs ?? 6;
  const centres = Array.from({ length: blobs }, () => [r() * 40, r() * 40, 0.3 + r() * 2] as const);
  const pts: number[][] = [];
  for (let i = 0; i < n; i++) {
    let p: number[];
    if (r() < (opts.noise ?? 0.05)) p = [r() * 44 - 2, r() * 44 - 2];
    else {
      const [cx, cy, s] = centres[Math.floor(r() * blobs)]!;
      const a = Math.sqrt(-2 * Math.log(r() + 1e-12));
      const t = 2 * Math.PI * r();
      p = [cx + s * a * Math.cos(t), cy + s * a * Math.sin(t)];
    }
    if (opts.grid) p = p.map((v) => Math.round(v / opts.grid!) * opts.grid!);
    pts.push(p);
  }
  return pts;
}

const flat = (pts: number[][]) => Float64Array.from(pts.flat());

describe('HDBSCAN in O(n log n)', () => {
  it('core distances from the k-d tree equal brute force, with hdbscan’s meaning of min_samples', () => {
    for (const [n, seed] of [
      [50, 1],
      [700, 2],
    ] as const) {
      const pts = layout(n, seed);
      const tree = new KdTree(flat(pts), n, 2, 8);
      for (const ms of [1, 4, 10]) {
        const core = coreDistances(tree, ms);
        for (let i = 0; i < n; i += 7) {
          const ds = pts
            .map((q) => Math.hypot(q[0]! - pts[i]![0]!, q[1]! - pts[i]![1]!))
            .sort((a, b) => a - b);
          expect(core[i]).toBeCloseTo(ds[ms]!, 12); // ds[0] is the point itself
        }
      }
    }
  });

  it('Borůvka’s spanning tree has exactly the weights of Prim’s, on several sizes, densities and tied lattices', () => {
    const cases: [number, number, Parameters<typeof layout>[2]][] = [
      [40, 1, {}],
      [400, 2, { blobs: 2, noise: 0.3 }],
      [1500, 3, { blobs: 12, noise: 0.02 }],
      [900, 4, { grid: 0.5 }], // many equal distances
      [300, 5, { grid: 2, blobs: 1 }], // many duplicate points
    ];
    for (const [n, seed, o] of cases) {
      const pts = layout(n, seed, o);
      const x = flat(pts);
      const tree = new KdTree(x, n, 2);
      const core = coreDistances(tree, 5);
      const fast = Array.from(mstBoruvka(tree, core).w).sort((a, b) => a - b);
      const exact = Array.from(mstPrim(x, n, 2, core).w).sort((a, b) => a - b);
      expect(fast.length).toBe(n - 1);
      for (let e = 0; e < n - 1; e++) expect(fast[e]).toBeCloseTo(exact[e]!, 12);
    }
  });

  it('gives the same clusters as the exact algorithm on seeded layouts', () => {
    for (const [n, seed, mcs] of [
      [300, 11, 5],
      [1200, 12, 10],
      [2500, 13, 25],
    ] as const) {
      const pts = layout(n, seed);
      const exact = hdbscan(pts, { minClusterSize: mcs, algorithm: 'exact' });
      const fast = hdbscan(pts, { minClusterSize: mcs, algorithm: 'kdtree' });
      expect(adjustedRandIndex(exact, fast)).toBe(1);
      expect(Array.from(fast)).toEqual(Array.from(exact)); // the same numbering too
      expect(new Set(exact).size).toBeGreaterThan(2);
    }
  });

  it('minSamples defaults to minClusterSize and counts other points only, as hdbscan', () => {
    const pts = layout(400, 21);
    const byDefault = hdbscan(pts, { minClusterSize: 8 });
    expect(Array.from(byDefault)).toEqual(Array.from(hdbscan(pts, { minClusterSize: 8, minSamples: 8 })));
    expect(() => hdbscan(pts, { algorithm: 'fast' as 'exact' })).toThrow(/auto, exact or kdtree/);
  });
});
