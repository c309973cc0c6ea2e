import { InvalidArgumentError } from '@segkit/core';
import { type HdbscanResult, selectClusters } from './hdbscan-select.js';
import { KdTree } from './kdtree.js';
import { coreDistances, mstBoruvka, mstPrim, root } from './mst.js';

/** Options for {@link hdbscan}. */
export interface HdbscanOptions {
  /** Smallest group that counts as a cluster (default 5). */
  minClusterSize?: number;
  /**
   * Neighbours, not counting the point itself, that define a point's core distance: hdbscan's `min_samples`
   * (default: minClusterSize, as there). Before SegKit 0.2 the point itself was counted, so the old 5 is the new 4.
   */
  minSamples?: number;
  /** How the spanning tree is built: `kdtree` (Borůvka, low dimensions), `exact` (Prim, O(n²)), `auto` (default). */
  algorithm?: 'auto' | 'exact' | 'kdtree';
  /** `cluster_selection_method`: `eom` (excess of mass, default) or `leaf` (the finest clusters). */
  clusterSelectionMethod?: 'eom' | 'leaf';
  /** `cluster_selection_epsilon`: clusters closer than this (in distance) are not split (default 0). */
  clusterSelectionEpsilon?: number;
  /** `allow_single_cluster`: the whole data may be one cluster (default false). */
  allowSingleCluster?: boolean;
}

/**
 * HDBSCAN clustering (Campello, Moulavi & Sander), with the reference `hdbscan` library's meaning of every parameter
 * and excess-of-mass cluster selection (allow_single_cluster = false). Returns one label per point, clusters
 * numbered 0..k−1 in order of discovery, and −1 for noise.
 * - `minSamples` counts neighbours other than the point itself, as hdbscan's `min_samples` (default
 *   `minClusterSize`, as there).
 * - The minimum spanning tree comes from Borůvka over a k-d tree for low-dimensional points (the 2-D layouts of the
 *   analytics pipeline), O(n log n) in practice, or exact O(n²) Prim (`algorithm: 'exact'`, and for more than 8
 *   dimensions). Both give a spanning tree of the same weights, so the same clusters; where several edges tie, the
 *   order of equal merges can differ (docs/analytics.md).
 */
export function hdbscan(points: ArrayLike<number>[], opts: HdbscanOptions = {}): Int32Array {
  return hdbscanFull(points, opts).labels;
}

/**
 * {@link hdbscan} with everything the reference computes: labels, membership probabilities (`probabilities_`) and
 * GLOSH outlier scores (`outlier_scores_`).
 * @example const { labels, probabilities, outlierScores } = hdbscanFull(layout, { minClusterSize: 15 });
 */
export function hdbscanFull(points: ArrayLike<number>[], opts: HdbscanOptions = {}): HdbscanResult {
  const mcs = opts.minClusterSize ?? 5;
  const minSamples = opts.minSamples ?? mcs;
  if (!Number.isInteger(mcs) || mcs < 2)
    throw new InvalidArgumentError(`Expected an integer ≥ 2 for minClusterSize but received ${mcs}`);
  if (!Number.isInteger(minSamples) || minSamples < 1)
    throw new InvalidArgumentError(`Expected an integer ≥ 1 for minSamples but received ${minSamples}`);
  const algorithm = opts.algorithm ?? 'auto';
  if (algorithm !== 'auto' && algorithm !== 'exact' && algorithm !== 'kdtree')
    throw new InvalidArgumentError(
      `Expected auto, exact or kdtree for algorithm but received ${String(algorithm)}`,
    );
  const method = opts.clusterSelectionMethod ?? 'eom';
  if (method !== 'eom' && method !== 'leaf')
    throw new InvalidArgumentError(
      `Expected eom or leaf for clusterSelectionMethod but received ${String(method)}`,
    );
  const epsilon = opts.clusterSelectionEpsilon ?? 0;
  if (!(epsilon >= 0 && Number.isFinite(epsilon)))
    throw new InvalidArgumentError(
      `Expected a number ≥ 0 for clusterSelectionEpsilon but received ${epsilon}`,
    );
  const n = points.length;
  if (n < mcs)
    return {
      labels: new Int32Array(n).fill(-1),
      probabilities: new Float64Array(n),
      outlierScores: new Float64Array(n),
    };
  const d = points[0]!.length;
  const x = new Float64Array(n * d);
  points.forEach((p, i) => {
    for (let k = 0; k < d; k++) x[i * d + k] = p[k]!;
  });
  // 1. Core distances (k-d tree), 2. the minimum spanning tree of the mutual-reachability graph.
  const tree = new KdTree(x, n, d);
  const core = coreDistances(tree, minSamples);
  const fast = algorithm === 'kdtree' || (algorithm === 'auto' && d <= 8);
  const mst = fast ? mstBoruvka(tree, core) : mstPrim(x, n, d, core);
  const order = Array.from({ length: n - 1 }, (_, e) => e).sort((p, q) => mst.w[p]! - mst.w[q]!);
  const edges: [number, number, number][] = order.map((e) => [mst.a[e]!, mst.b[e]!, mst.w[e]!]);
  // 3. Single-linkage hierarchy: leaves 0..n−1, then one node per merge level and group.
  const ufParent = new Int32Array(2 * n - 1).map((_, i) => i);
  const find = (i: number) => root(ufParent, i);
  // Each merge is one node; a run of equal weights makes one node per group it joins, with all its parts as children.
  const kids: number[][] = Array.from({ length: n }, () => []);
  const size = new Int32Array(2 * n - 1).fill(1);
  const lambdaOf = new Float64Array(2 * n - 1);
  const minIndex = Int32Array.from({ length: 2 * n - 1 }, (_, i) => i); // the smallest point index under a node
  let node = n;
  const merge = (parts: number[], w: number) => {
    // Children in order of their smallest point index, so the numbering of clusters does not depend on edge order.
    parts.sort((p, q) => minIndex[p]! - minIndex[q]!);
    kids.push(parts);
    let total = 0;
    for (const p of parts) {
      total += size[p]!;
      ufParent[p] = node;
    }
    size[node] = total;
    minIndex[node] = minIndex[parts[0]!]!;
    lambdaOf[node] = 1 / Math.max(w, 1e-12);
    node++;
  };
  // HDBSCAN* merges every edge of one mutual-reachability weight at once: the components that a run of equal weights
  // connects become one node with all of them as children, whatever the order the edges came in. The partition is
  // then a function of the point set alone (a cluster splits at a level only when two of its parts there are big).
  for (let e = 0; e < edges.length; ) {
    const w = edges[e]![2];
    let end = e;
    while (end < edges.length && edges[end]![2] === w) end++;
    if (end - e === 1) merge([find(edges[e]![0]), find(edges[e]![1])], w);
    else {
      const group = new Map<number, number>(); // component root → its group's representative
      const top = (r: number): number => {
        let g = group.get(r) ?? r;
        while (g !== (group.get(g) ?? g)) g = group.get(g)!;
        return g;
      };
      for (let k = e; k < end; k++) {
        const ga = top(find(edges[k]![0]));
        const gb = top(find(edges[k]![1]));
        if (ga !== gb) group.set(ga, gb);
      }
      const members = new Map<number, Set<number>>();
      for (let k = e; k < end; k++)
        for (const p of [edges[k]![0], edges[k]![1]]) {
          const r = find(p);
          const g = top(r);
          const set = members.get(g) ?? new Set<number>();
          set.add(r);
          members.set(g, set);
        }
      const groups = [...members.values()].map((set) => [...set]);
      groups.sort(
        (p, q) => Math.min(...p.map((r) => minIndex[r]!)) - Math.min(...q.map((r) => minIndex[r]!)),
      );
      for (const parts of groups) if (parts.length > 1) merge(parts, w);
    }
    e = end;
  }
  return selectClusters(
    { n, kids, size, lambda: lambdaOf, root: node - 1 },
    { minClusterSize: mcs, method, epsilon, allowSingleCluster: opts.allowSingleCluster === true },
  );
}

/** Adjusted Rand index between two labelings (1 = identical partitions, ~0 = chance). Noise (−1) is its own group. */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new InvalidArgumentError('Labelings must have the same length');
  const n = a.length;
  const table = new Map<string, number>();
  const ra = new Map<number, number>();
  const rb = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = `${a[i]}|${b[i]}`;
    table.set(key, (table.get(key) ?? 0) + 1);
    ra.set(a[i]!, (ra.get(a[i]!) ?? 0) + 1);
    rb.set(b[i]!, (rb.get(b[i]!) ?? 0) + 1);
  }
  const c2 = (v: number) => (v * (v - 1)) / 2;
  const index = [...table.values()].reduce((s, v) => s + c2(v), 0);
  const sa = [...ra.values()].reduce((s, v) => s + c2(v), 0);
  const sb = [...rb.values()].reduce((s, v) => s + c2(v), 0);
  const expected = (sa * sb) / c2(n || 1);
  const max = (sa + sb) / 2;
  return max === expected ? 1 : (index - expected) / (max - expected);
}
