// Core distances and the minimum spanning tree of HDBSCAN's mutual-reachability graph
// (w(i, j) = max(core_i, core_j, d(i, j))), two ways: exact O(n²) Prim, the reference for tests and for
// high-dimensional data, and Borůvka over a k-d tree, O(n log n) in practice on low-dimensional layouts, as hdbscan's
// `boruvka_kdtree` does.
import type { KdTree } from './kdtree.js';

/** A spanning tree's n − 1 edges: `a[e]`–`b[e]` with weight `w[e]`. */
export interface Mst {
  a: Int32Array;
  b: Int32Array;
  w: Float64Array;
}

function euclid(x: Float64Array, d: number, i: number, j: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) {
    const t = x[i * d + k]! - x[j * d + k]!;
    s += t * t;
  }
  return Math.sqrt(s);
}

/**
 * Core distances as hdbscan computes them: the distance to the `minSamples`-th nearest other point (the point itself
 * is not counted), capped at n − 1 neighbours.
 */
export function coreDistances(tree: KdTree, minSamples: number): Float64Array {
  const k = Math.min(minSamples, tree.n - 1) + 1; // the query counts the point itself
  return tree.kthDistances(k);
}

/** Exact Prim over all pairs: O(n²) time, O(n) memory. */
export function mstPrim(x: Float64Array, n: number, d: number, core: Float64Array): Mst {
  const a = new Int32Array(Math.max(0, n - 1));
  const b = new Int32Array(Math.max(0, n - 1));
  const w = new Float64Array(Math.max(0, n - 1));
  if (n < 2) return { a, b, w };
  const inTree = new Uint8Array(n);
  const best = new Float64Array(n).fill(Infinity);
  const from = new Int32Array(n).fill(-1);
  let cur = 0;
  inTree[0] = 1;
  for (let step = 0; step < n - 1; step++) {
    let next = -1;
    let nextW = Infinity;
    for (let j = 0; j < n; j++) {
      if (inTree[j]) continue;
      const m = Math.max(core[cur]!, core[j]!, euclid(x, d, cur, j));
      if (m < best[j]!) {
        best[j] = m;
        from[j] = cur;
      }
      if (best[j]! < nextW) {
        nextW = best[j]!;
        next = j;
      }
    }
    inTree[next] = 1;
    a[step] = from[next]!;
    b[step] = next;
    w[step] = nextW;
    cur = next;
  }
  return { a, b, w };
}

/**
 * Borůvka over a k-d tree: each round, every component finds its lightest edge to another component (a search per
 * point, pruned by the component's best so far, by nodes wholly inside the component, and by a lower bound from the
 * node's box and smallest core distance), and all those edges join. O(log n) rounds.
 */
export function mstBoruvka(tree: KdTree, core: Float64Array): Mst {
  const { n } = tree;
  const a = new Int32Array(Math.max(0, n - 1));
  const b = new Int32Array(Math.max(0, n - 1));
  const w = new Float64Array(Math.max(0, n - 1));
  if (n < 2) return { a, b, w };
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (i: number) => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  // The smallest core distance under each node (children come after their parent, so fill in reverse).
  const minCore = new Float64Array(tree.size).fill(Infinity);
  for (let v = tree.size - 1; v >= 0; v--) {
    if (tree.left[v]! < 0)
      for (let p = tree.start[v]!; p < tree.end[v]!; p++)
        minCore[v] = Math.min(minCore[v]!, core[tree.perm[p]!]!);
    else minCore[v] = Math.min(minCore[tree.left[v]!]!, minCore[tree.right[v]!]!);
  }
  const comp = new Int32Array(n);
  const nodeComp = new Int32Array(tree.size);
  const bestW = new Float64Array(n);
  const bestA = new Int32Array(n);
  const bestB = new Int32Array(n);
  const stack = new Int32Array(4 * tree.size + 4);
  let edges = 0;
  while (edges < n - 1) {
    for (let i = 0; i < n; i++) comp[i] = find(i);
    // A node wholly inside one component is skipped by that component's searches.
    for (let v = tree.size - 1; v >= 0; v--) {
      if (tree.left[v]! < 0) {
        const s = tree.start[v]!;
        let c = comp[tree.perm[s]!]!;
        for (let p = s + 1; p < tree.end[v]! && c >= 0; p++) if (comp[tree.perm[p]!] !== c) c = -1;
        nodeComp[v] = c;
      } else {
        const l = nodeComp[tree.left[v]!]!;
        nodeComp[v] = l >= 0 && l === nodeComp[tree.right[v]!] ? l : -1;
      }
    }
    bestW.fill(Infinity);
    bestA.fill(-1);
    for (let q = 0; q < n; q++) {
      const i = tree.perm[q]!;
      const c = comp[i]!;
      const ci = core[i]!;
      if (ci >= bestW[c]!) continue;
      let top = 0;
      stack[top++] = 0;
      while (top > 0) {
        const v = stack[--top]!;
        if (nodeComp[v] === c) continue;
        const lb = Math.max(ci, minCore[v]!, tree.boxDist(i, v));
        if (lb >= bestW[c]!) continue;
        const l = tree.left[v]!;
        if (l < 0) {
          for (let p = tree.start[v]!; p < tree.end[v]!; p++) {
            const j = tree.perm[p]!;
            if (comp[j] === c) continue;
            const m = Math.max(ci, core[j]!, tree.dist(i, j));
            if (m < bestW[c]!) {
              bestW[c] = m;
              bestA[c] = i;
              bestB[c] = j;
            }
          }
          continue;
        }
        const r = tree.right[v]!;
        if (tree.boxDist(i, l) < tree.boxDist(i, r)) {
          stack[top++] = r;
          stack[top++] = l;
        } else {
          stack[top++] = l;
          stack[top++] = r;
        }
      }
    }
    let joined = 0;
    for (let c = 0; c < n; c++) {
      if (comp[c] !== c || bestA[c]! < 0) continue;
      const ra = find(bestA[c]!);
      const rb = find(bestB[c]!);
      if (ra === rb) continue; // the other component already chose the same (or an equal) edge
      parent[ra] = rb;
      a[edges] = bestA[c]!;
      b[edges] = bestB[c]!;
      w[edges] = bestW[c]!;
      edges++;
      joined++;
    }
    if (joined === 0) break; // cannot happen for finite points; a guard against an endless loop
  }
  return { a, b, w };
}
