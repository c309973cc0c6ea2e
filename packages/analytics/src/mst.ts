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

/** Union–find root of `i`, halving the path on the way. */
export function root(parent: Int32Array, i: number): number {
  while (parent[i] !== i) {
    parent[i] = parent[parent[i]!]!;
    i = parent[i]!;
  }
  return i;
}

/** The state one Borůvka run shares between its rounds (typed arrays only, so each step compiles on its own). */
interface Round {
  tree: KdTree;
  core: Float64Array;
  /** The smallest core distance under each node. */
  minCore: Float64Array;
  /** Each point's component this round, and each node's component when it holds one only (else −1). */
  comp: Int32Array;
  nodeComp: Int32Array;
  /** Per component: the lightest edge out found so far. */
  bestW: Float64Array;
  bestA: Int32Array;
  bestB: Int32Array;
  stack: Int32Array;
}

/** The smallest core distance under each node (children come after their parent, so filled in reverse). */
function minCoreOfNodes(tree: KdTree, core: Float64Array): Float64Array {
  const minCore = new Float64Array(tree.size).fill(Infinity);
  for (let v = tree.size - 1; v >= 0; v--) {
    if (tree.left[v]! < 0)
      for (let p = tree.start[v]!; p < tree.end[v]!; p++)
        minCore[v] = Math.min(minCore[v]!, core[tree.perm[p]!]!);
    else minCore[v] = Math.min(minCore[tree.left[v]!]!, minCore[tree.right[v]!]!);
  }
  return minCore;
}

/** Marks each node that lies wholly inside one component, which that component's searches then skip. */
function labelNodes(r: Round): void {
  const { tree, comp, nodeComp } = r;
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
}

/** Point i's lightest edge to another component, kept when lighter than its component's best so far. */
function searchFrom(r: Round, i: number): void {
  const { tree, core, minCore, comp, nodeComp, bestW, bestA, bestB, stack } = r;
  const c = comp[i]!;
  const ci = core[i]!;
  if (ci >= bestW[c]!) return;
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
    const rt = tree.right[v]!;
    if (tree.boxDist(i, l) < tree.boxDist(i, rt)) {
      stack[top++] = rt;
      stack[top++] = l;
    } else {
      stack[top++] = l;
      stack[top++] = rt;
    }
  }
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
  const r: Round = {
    tree,
    core,
    minCore: minCoreOfNodes(tree, core),
    comp: new Int32Array(n),
    nodeComp: new Int32Array(tree.size),
    bestW: new Float64Array(n),
    bestA: new Int32Array(n),
    bestB: new Int32Array(n),
    stack: new Int32Array(4 * tree.size + 4),
  };
  let edges = 0;
  while (edges < n - 1) {
    for (let i = 0; i < n; i++) r.comp[i] = root(parent, i);
    labelNodes(r);
    r.bestW.fill(Infinity);
    r.bestA.fill(-1);
    for (let q = 0; q < n; q++) searchFrom(r, tree.perm[q]!);
    const before = edges;
    for (let c = 0; c < n; c++) {
      if (r.comp[c] !== c || r.bestA[c]! < 0) continue;
      const ra = root(parent, r.bestA[c]!);
      const rb = root(parent, r.bestB[c]!);
      if (ra === rb) continue; // the other component already chose the same (or an equal) edge
      parent[ra] = rb;
      a[edges] = r.bestA[c]!;
      b[edges] = r.bestB[c]!;
      w[edges] = r.bestW[c]!;
      edges++;
    }
    if (edges === before) break; // cannot happen for finite points; a guard against an endless loop
  }
  return { a, b, w };
}
