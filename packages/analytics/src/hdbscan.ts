import { InvalidArgumentError } from '@segkit/core';

/** Options for {@link hdbscan}. */
export interface HdbscanOptions {
  /** Smallest group that counts as a cluster (default 5). */
  minClusterSize?: number;
  /** Neighbours (including the point itself) that define a point's core distance (default: minClusterSize). */
  minSamples?: number;
}

/** Squared-free Euclidean distance between rows i and j of a flat matrix. */
function distance(x: Float64Array, d: number, i: number, j: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) {
    const t = x[i * d + k]! - x[j * d + k]!;
    s += t * t;
  }
  return Math.sqrt(s);
}

/**
 * HDBSCAN clustering (Campello, Moulavi & Sander), with excess-of-mass cluster selection as in the reference
 * `hdbscan` library (allow_single_cluster = false). Returns one label per point, clusters numbered 0..k−1 in order of
 * discovery, and −1 for noise. Exact: O(n²) distances, which stays fast for the 2-D UMAP layouts it is used on.
 */
export function hdbscan(points: ArrayLike<number>[], opts: HdbscanOptions = {}): Int32Array {
  const mcs = opts.minClusterSize ?? 5;
  const minSamples = opts.minSamples ?? mcs;
  if (!Number.isInteger(mcs) || mcs < 2)
    throw new InvalidArgumentError(`Expected an integer ≥ 2 for minClusterSize but received ${mcs}`);
  if (!Number.isInteger(minSamples) || minSamples < 1)
    throw new InvalidArgumentError(`Expected an integer ≥ 1 for minSamples but received ${minSamples}`);
  const n = points.length;
  const labels = new Int32Array(n).fill(-1);
  if (n < mcs) return labels;
  const d = points[0]!.length;
  const x = new Float64Array(n * d);
  points.forEach((p, i) => {
    for (let k = 0; k < d; k++) x[i * d + k] = p[k]!;
  });
  // 1. Core distance: distance to the minSamples-th nearest point, counting the point itself.
  const k = Math.min(minSamples, n);
  const core = new Float64Array(n);
  const row = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) row[j] = i === j ? 0 : distance(x, d, i, j);
    core[i] = kthSmallest(row, k - 1);
  }
  // 2. Minimum spanning tree of the mutual-reachability graph (Prim).
  const inTree = new Uint8Array(n);
  const best = new Float64Array(n).fill(Infinity);
  const from = new Int32Array(n).fill(-1);
  const edges: [number, number, number][] = [];
  let cur = 0;
  inTree[0] = 1;
  for (let step = 1; step < n; step++) {
    let next = -1;
    let nextW = Infinity;
    for (let j = 0; j < n; j++) {
      if (inTree[j]) continue;
      const w = Math.max(core[cur]!, core[j]!, distance(x, d, cur, j));
      if (w < best[j]!) {
        best[j] = w;
        from[j] = cur;
      }
      if (best[j]! < nextW) {
        nextW = best[j]!;
        next = j;
      }
    }
    inTree[next] = 1;
    edges.push([from[next]!, next, nextW]);
    cur = next;
  }
  edges.sort((a, b) => a[2] - b[2]);
  // 3. Single-linkage hierarchy: leaves 0..n−1, merges n..2n−2.
  const ufParent = new Int32Array(2 * n - 1).map((_, i) => i);
  const find = (i: number) => {
    while (ufParent[i] !== i) {
      ufParent[i] = ufParent[ufParent[i]!]!;
      i = ufParent[i]!;
    }
    return i;
  };
  const left = new Int32Array(2 * n - 1).fill(-1);
  const right = new Int32Array(2 * n - 1).fill(-1);
  const size = new Int32Array(2 * n - 1).fill(1);
  const lambdaOf = new Float64Array(2 * n - 1);
  edges.forEach(([a, b, w], e) => {
    const node = n + e;
    const ra = find(a);
    const rb = find(b);
    left[node] = ra;
    right[node] = rb;
    size[node] = size[ra]! + size[rb]!;
    lambdaOf[node] = 1 / Math.max(w, 1e-12);
    ufParent[ra] = node;
    ufParent[rb] = node;
  });
  const leavesOf = (node: number): number[] => {
    const out: number[] = [];
    const stack = [node];
    while (stack.length) {
      const v = stack.pop()!;
      if (v < n) out.push(v);
      else stack.push(left[v]!, right[v]!);
    }
    return out;
  };
  // 4. Condensed tree: clusters only split when both sides have at least mcs points; smaller sides fall out.
  const birth: number[] = [0];
  const parentCluster: number[] = [-1];
  const stability: number[] = [0];
  const fellFrom = new Int32Array(n).fill(0);
  const stack: [number, number][] = [[2 * n - 2, 0]];
  while (stack.length) {
    const [node, c] = stack.pop()!;
    const lam = lambdaOf[node]!;
    const a = left[node]!;
    const b = right[node]!;
    const big = (v: number) => size[v]! >= mcs;
    if (big(a) && big(b)) {
      stability[c]! += (lam - birth[c]!) * size[node]!;
      for (const child of [a, b]) {
        const id = birth.length;
        birth.push(lam);
        parentCluster.push(c);
        stability.push(0);
        stack.push([child, id]);
      }
      continue;
    }
    for (const child of [a, b]) {
      if (big(child)) stack.push([child, c]);
      else {
        const pts = leavesOf(child);
        stability[c]! += (lam - birth[c]!) * pts.length;
        for (const p of pts) fellFrom[p] = c;
      }
    }
  }
  // 5. Excess-of-mass selection, bottom-up (children always have larger ids than their parent); the root is never chosen.
  const C = birth.length;
  const children: number[][] = Array.from({ length: C }, () => []);
  for (let c = 1; c < C; c++) children[parentCluster[c]!]!.push(c);
  const selected = new Uint8Array(C);
  const best2 = stability.slice();
  for (let c = C - 1; c >= 1; c--) {
    const sum = children[c]!.reduce((s, ch) => s + best2[ch]!, 0);
    if (children[c]!.length === 0 || stability[c]! >= sum) {
      selected[c] = 1;
      const st = [...children[c]!];
      while (st.length) {
        const v = st.pop()!;
        selected[v] = 0;
        st.push(...children[v]!);
      }
    } else best2[c] = sum;
  }
  // 6. Labels: the selected cluster each point belongs to, if any.
  const number = new Int32Array(C).fill(-1);
  let next = 0;
  for (let c = 1; c < C; c++) if (selected[c]) number[c] = next++;
  for (let p = 0; p < n; p++) {
    for (let c = fellFrom[p]!; c > 0; c = parentCluster[c]!) {
      if (selected[c]) {
        labels[p] = number[c]!;
        break;
      }
    }
  }
  return labels;
}

/** The k-th smallest value (0-based) of an array, by quickselect on a copy. */
function kthSmallest(values: Float64Array, k: number): number {
  const a = values.slice();
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        [a[i], a[j]] = [a[j]!, a[i]!];
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
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
