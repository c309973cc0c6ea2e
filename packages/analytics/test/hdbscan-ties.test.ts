// HDBSCAN* merges every edge of one mutual-reachability weight at once, so its partition is a function of the point
// set alone. Tied configurations built on purpose, and a realistic layout snapped to a grid, are clustered in many
// orders and compared with an order-free reference written here from the definition: the threshold graph on all
// pairs, level by level, top down (no spanning tree, no merge order at all).
import { seededRandom } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import { hdbscan } from '../src/index.js';

/** The reference: clusters of the mutual-reachability threshold graph, condensed and selected by excess of mass. */
function reference(pts: number[][], mcs: number): Int32Array {
  const n = pts.length;
  const d = (i: number, j: number) => Math.hypot(...pts[i]!.map((v, k) => v - pts[j]![k]!));
  // Core distance: the distance to the mcs-th nearest other point (minSamples = minClusterSize, as the default).
  const core = pts.map((_, i) => {
    const ds = pts.map((__, j) => (j === i ? Infinity : d(i, j))).sort((a, b) => a - b);
    return ds[Math.min(mcs, n - 1) - 1]!;
  });
  const m = (i: number, j: number) => Math.max(core[i]!, core[j]!, d(i, j));
  /** The level at which a set first becomes connected: the largest edge of its minimax path tree. */
  const joinLevel = (s: number[]) => {
    const best = new Map(s.map((p) => [p, Infinity]));
    best.set(s[0]!, -Infinity);
    let top = -Infinity;
    while (best.size) {
      let [p, w] = [-1, Infinity];
      for (const [q, v] of best) if (v < w || p < 0) [p, w] = [q, v];
      best.delete(p);
      top = Math.max(top, w);
      for (const [q, v] of best) best.set(q, Math.min(v, m(p, q)));
    }
    return top;
  };
  /** The parts of a set once its edges of weight ≥ w are gone. */
  const parts = (s: number[], w: number) => {
    const left = new Set(s);
    const out: number[][] = [];
    while (left.size) {
      const [first] = left;
      left.delete(first!);
      const comp = [first!];
      for (let k = 0; k < comp.length; k++)
        for (const q of [...left])
          if (m(comp[k]!, q) < w) {
            left.delete(q);
            comp.push(q);
          }
      out.push(comp);
    }
    return out;
  };
  const birth: number[] = [0];
  const parent: number[] = [-1];
  const stability: number[] = [0];
  const fellFrom = new Int32Array(n);
  const grow = (s: number[], c: number) => {
    for (;;) {
      const w = joinLevel(s);
      const lam = 1 / w;
      const split = parts(s, w);
      const big = split.filter((p) => p.length >= mcs);
      if (big.length >= 2) {
        stability[c]! += (lam - birth[c]!) * s.length;
        for (const p of split) if (p.length < mcs) for (const q of p) fellFrom[q] = c;
        for (const p of big) {
          const id = birth.length;
          birth.push(lam);
          parent.push(c);
          stability.push(0);
          grow(p, id);
        }
        return;
      }
      for (const p of split)
        if (p.length < mcs) {
          stability[c]! += (lam - birth[c]!) * p.length;
          for (const q of p) fellFrom[q] = c;
        }
      if (!big.length) return;
      s = big[0]!;
    }
  };
  grow(
    pts.map((_, i) => i),
    0,
  );
  // Excess of mass, bottom up; the root is never a cluster (no allowSingleCluster).
  const C = birth.length;
  const kids = Array.from({ length: C }, (_, c) =>
    parent.map((p, k) => (p === c ? k : -1)).filter((k) => k >= 0),
  );
  const selected = new Set<number>();
  const best = stability.slice();
  for (let c = C - 1; c >= 1; c--) {
    const sum = kids[c]!.reduce((s, k) => s + best[k]!, 0);
    if (!kids[c]!.length || stability[c]! >= sum) {
      const below = [...kids[c]!];
      while (below.length) {
        const v = below.pop()!;
        selected.delete(v);
        below.push(...kids[v]!);
      }
      selected.add(c);
    } else best[c] = sum;
  }
  return Int32Array.from({ length: n }, (_, p) => {
    for (let c = fellFrom[p]!; c > 0; c = parent[c]!) if (selected.has(c)) return c;
    return -1;
  });
}

/** A partition as sorted lists of point indices (noise apart), so that label numbers do not matter. */
const partition = (labels: ArrayLike<number>) => {
  const groups = new Map<number, number[]>();
  Array.from(labels).forEach((l, i) => {
    groups.set(l, [...(groups.get(l) ?? []), i]);
  });
  const noise = groups.get(-1) ?? [];
  groups.delete(-1);
  return { noise, clusters: [...groups.values()].map((g) => g.join(',')).sort() };
};

/** Clusters the points in a random order and maps the labels back to the original indices. */
function permuted(pts: number[][], mcs: number, seed: number) {
  const r = seededRandom(seed);
  const order = pts.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const labels = hdbscan(
    order.map((i) => pts[i]!),
    { minClusterSize: mcs },
  );
  const back = new Int32Array(pts.length);
  order.forEach((i, k) => {
    back[i] = labels[k]!;
  });
  return back;
}

const lattice = (x0: number, y0: number, side: number, step = 1) =>
  Array.from({ length: side * side }, (_, k) => [x0 + (k % side) * step, y0 + Math.floor(k / side) * step]);

const CASES: [string, number[][], number][] = [
  // Four identical 3×3 lattices at the corners of a square: every gap ties, inside and between the lattices.
  [
    'four tied lattices',
    [...lattice(0, 0, 3), ...lattice(6, 0, 3), ...lattice(0, 6, 3), ...lattice(6, 6, 3)],
    4,
  ],
  // Two lattices and a small tied group between them, all joining at one level.
  ['two lattices and a tied bridge', [...lattice(0, 0, 3), ...lattice(8, 0, 3), [4, 1], [5, 1], [4, 2]], 4],
  // A row of five equal lattices, equally spaced: one level joins them all.
  ['a row of equal lattices', Array.from({ length: 5 }, (_, i) => lattice(i * 5, 0, 2)).flat(), 3],
];

function realistic(): number[][] {
  const r = seededRandom(11);
  const centres = Array.from({ length: 5 }, () => [r() * 30, r() * 30, 0.8 + r() * 1.5] as const);
  return Array.from({ length: 260 }, () => {
    const [cx, cy, s] = centres[Math.floor(r() * 5)]!;
    const a = Math.sqrt(-2 * Math.log(r() + 1e-12));
    const t = 2 * Math.PI * r();
    return [Math.round(cx + s * a * Math.cos(t)), Math.round(cy + s * a * Math.sin(t))];
  });
}

describe('HDBSCAN with tied mutual-reachability distances', () => {
  it.each(CASES)(
    '%s: every order of the points gives the order-free reference’s partition',
    (_, pts, mcs) => {
      const want = partition(reference(pts, mcs));
      for (let seed = 1; seed <= 40; seed++)
        expect(partition(permuted(pts, mcs, seed)), `order ${seed}`).toEqual(want);
    },
  );

  it('a realistic layout snapped to a unit grid: the same partition in every order, the reference’s', () => {
    // Before merges of equal weight were made at once, 20 orders of these points gave 19 different partitions.
    const pts = realistic();
    const want = partition(reference(pts, 5));
    expect(want.clusters.length).toBeGreaterThan(1);
    for (let seed = 1; seed <= 12; seed++)
      expect(partition(permuted(pts, 5, seed)), `order ${seed}`).toEqual(want);
  });
});
