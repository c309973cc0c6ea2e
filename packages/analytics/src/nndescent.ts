// Approximate k nearest neighbours for UMAP, in typed arrays: a forest of random-projection trees gives every point
// first candidates (the points sharing its leaves), then nearest-neighbour descent (Dong, Moses & Li; pynndescent)
// improves them: a neighbour of a neighbour is likely a neighbour. Euclidean distance on rows of a flat Float32Array.

/** k neighbours per point, nearest first: `index[i * k + m]`, `dist[i * k + m]` (the point itself first, at 0). */
export interface KnnGraph {
  n: number;
  k: number;
  index: Int32Array;
  dist: Float32Array;
}

export interface NnDescentOptions {
  k: number;
  random: () => number;
  /** Random-projection trees (default: 3 + √n / 30, at most 32; 6 at 10k, 14 at 100k). */
  trees?: number;
  /** Candidates per point and round (default: max(k, 20)). */
  maxCandidates?: number;
  /** Rounds at most (default: max(5, log2 n)). */
  maxRounds?: number;
  /** Stop when a round improves fewer than delta·k·n entries (default 0.001). */
  delta?: number;
  /** Called after the trees and after each round with the work done so far (0..1). */
  onProgress?: (fraction: number) => void | Promise<void>;
}

/** Squared Euclidean distance between rows i and j. */
function sqDist(x: Float32Array, d: number, i: number, j: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const a = i * d;
  const b = j * d;
  let k = 0;
  for (; k + 4 <= d; k += 4) {
    const t0 = x[a + k]! - x[b + k]!;
    const t1 = x[a + k + 1]! - x[b + k + 1]!;
    const t2 = x[a + k + 2]! - x[b + k + 2]!;
    const t3 = x[a + k + 3]! - x[b + k + 3]!;
    s0 += t0 * t0;
    s1 += t1 * t1;
    s2 += t2 * t2;
    s3 += t3 * t3;
  }
  for (; k < d; k++) {
    const t = x[a + k]! - x[b + k]!;
    s0 += t * t;
  }
  return s0 + s1 + s2 + s3;
}

/**
 * Per-point max-heaps of the k best candidates so far (squared distances), with a "new" flag per entry:
 * entries found in the last round are new and take part in the next local join.
 */
class Heaps {
  readonly idx: Int32Array;
  readonly dist: Float32Array;
  readonly fresh: Uint8Array;
  constructor(
    readonly n: number,
    readonly k: number,
  ) {
    this.idx = new Int32Array(n * k).fill(-1);
    this.dist = new Float32Array(n * k).fill(Infinity);
    this.fresh = new Uint8Array(n * k);
  }

  /** Offers j to i's heap; true when it went in (not already there, and closer than the worst). */
  push(i: number, j: number, d: number): boolean {
    const { k, idx, dist, fresh } = this;
    const base = i * k;
    if (!(d < dist[base]!)) return false;
    for (let m = 0; m < k; m++) if (idx[base + m] === j) return false;
    // Replace the root (the worst) and sift down.
    let p = 0;
    for (;;) {
      const l = 2 * p + 1;
      const r = l + 1;
      let m = l;
      if (l >= k) break;
      if (r < k && dist[base + r]! > dist[base + l]!) m = r;
      if (dist[base + m]! <= d) break;
      idx[base + p] = idx[base + m]!;
      dist[base + p] = dist[base + m]!;
      fresh[base + p] = fresh[base + m]!;
      p = m;
    }
    idx[base + p] = j;
    dist[base + p] = d;
    fresh[base + p] = 1;
    return true;
  }
}

/** One random-projection tree's leaves (each a list of point indices), splitting until a leaf has ≤ leafSize points. */
function rpLeaves(
  x: Float32Array,
  n: number,
  d: number,
  leafSize: number,
  random: () => number,
): Int32Array[] {
  const leaves: Int32Array[] = [];
  const stack: Int32Array[] = [Int32Array.from({ length: n }, (_, i) => i)];
  const normal = new Float32Array(d);
  while (stack.length) {
    const pts = stack.pop()!;
    if (pts.length <= leafSize) {
      leaves.push(pts);
      continue;
    }
    const a = pts[Math.floor(random() * pts.length)]!;
    let b = pts[Math.floor(random() * pts.length)]!;
    if (a === b) b = pts[(pts.indexOf(a) + 1) % pts.length]!;
    let offset = 0;
    for (let k = 0; k < d; k++) {
      normal[k] = x[a * d + k]! - x[b * d + k]!;
      offset += (normal[k]! * (x[a * d + k]! + x[b * d + k]!)) / 2;
    }
    const side = new Uint8Array(pts.length);
    let right = 0;
    for (let q = 0; q < pts.length; q++) {
      let s = -offset;
      const base = pts[q]! * d;
      for (let k = 0; k < d; k++) s += normal[k]! * x[base + k]!;
      // Points on the plane go either way at random, so duplicates still split.
      const r = s > 0 || (s === 0 && random() < 0.5);
      side[q] = r ? 1 : 0;
      if (r) right++;
    }
    if (right === 0 || right === pts.length) {
      // A degenerate split (all points equal along the normal): halve at random.
      for (let q = 0; q < pts.length; q++) side[q] = q < pts.length / 2 ? 0 : 1;
      right = pts.length - Math.ceil(pts.length / 2);
    }
    const L = new Int32Array(pts.length - right);
    const R = new Int32Array(right);
    let li = 0;
    let ri = 0;
    for (let q = 0; q < pts.length; q++) {
      if (side[q]) R[ri++] = pts[q]!;
      else L[li++] = pts[q]!;
    }
    stack.push(L, R);
  }
  return leaves;
}

/**
 * The approximate k-nearest-neighbour graph of the rows of `x` (n × d), seeded and deterministic for a given
 * `random`. Each list holds the point itself first, as umap-learn's does.
 */
export async function nnDescent(
  x: Float32Array,
  n: number,
  d: number,
  o: NnDescentOptions,
): Promise<KnnGraph> {
  const k = Math.min(o.k, n);
  const heaps = new Heaps(n, k);
  for (let i = 0; i < n; i++) heaps.push(i, i, 0);
  const trees = o.trees ?? Math.min(32, 3 + Math.round(Math.sqrt(n) / 30));
  const leafSize = Math.max(10, k);
  for (let t = 0; t < trees; t++) {
    for (const leaf of rpLeaves(x, n, d, leafSize, o.random)) {
      for (let p = 0; p < leaf.length; p++) {
        for (let q = p + 1; q < leaf.length; q++) {
          const a = leaf[p]!;
          const b = leaf[q]!;
          const dd = sqDist(x, d, a, b);
          heaps.push(a, b, dd);
          heaps.push(b, a, dd);
        }
      }
    }
  }
  await o.onProgress?.(0.3);
  const maxCand = o.maxCandidates ?? Math.max(k, 20);
  const rounds = o.maxRounds ?? Math.max(5, Math.round(Math.log2(Math.max(2, n))));
  const delta = o.delta ?? 0.001;
  // Candidate lists per point (new and old), each a reservoir of at most maxCand entries chosen with random priority.
  const newC = new Int32Array(n * maxCand);
  const newP = new Float32Array(n * maxCand);
  const newN = new Int32Array(n);
  const oldC = new Int32Array(n * maxCand);
  const oldP = new Float32Array(n * maxCand);
  const oldN = new Int32Array(n);
  const offer = (C: Int32Array, P: Float32Array, N: Int32Array, i: number, j: number, pri: number) => {
    const base = i * maxCand;
    const len = N[i]!;
    for (let m = 0; m < len; m++) if (C[base + m] === j) return;
    if (len < maxCand) {
      C[base + len] = j;
      P[base + len] = pri;
      N[i] = len + 1;
      return;
    }
    // Full: replace the entry of highest priority value if this one is lower (keeps a random subset).
    let worst = 0;
    for (let m = 1; m < maxCand; m++) if (P[base + m]! > P[base + worst]!) worst = m;
    if (pri < P[base + worst]!) {
      C[base + worst] = j;
      P[base + worst] = pri;
    }
  };
  for (let round = 0; round < rounds; round++) {
    newN.fill(0);
    oldN.fill(0);
    for (let i = 0; i < n; i++) {
      for (let m = 0; m < k; m++) {
        const j = heaps.idx[i * k + m]!;
        if (j < 0 || j === i) continue;
        const pri = o.random();
        if (heaps.fresh[i * k + m]) {
          offer(newC, newP, newN, i, j, pri);
          offer(newC, newP, newN, j, i, pri);
        } else {
          offer(oldC, oldP, oldN, i, j, pri);
          offer(oldC, oldP, oldN, j, i, pri);
        }
      }
    }
    // Entries that became candidates are no longer new.
    for (let i = 0; i < n; i++) {
      for (let m = 0; m < k; m++) {
        const at = i * k + m;
        if (!heaps.fresh[at]) continue;
        const j = heaps.idx[at]!;
        const base = i * maxCand;
        for (let q = 0; q < newN[i]!; q++)
          if (newC[base + q] === j) {
            heaps.fresh[at] = 0;
            break;
          }
      }
    }
    let changes = 0;
    for (let i = 0; i < n; i++) {
      const base = i * maxCand;
      const nn = newN[i]!;
      const on = oldN[i]!;
      for (let p = 0; p < nn; p++) {
        const a = newC[base + p]!;
        for (let q = p + 1; q < nn; q++) {
          const b = newC[base + q]!;
          const dd = sqDist(x, d, a, b);
          if (heaps.push(a, b, dd)) changes++;
          if (heaps.push(b, a, dd)) changes++;
        }
        for (let q = 0; q < on; q++) {
          const b = oldC[base + q]!;
          if (b === a) continue;
          const dd = sqDist(x, d, a, b);
          if (heaps.push(a, b, dd)) changes++;
          if (heaps.push(b, a, dd)) changes++;
        }
      }
    }
    await o.onProgress?.(0.3 + (0.7 * (round + 1)) / rounds);
    if (changes <= delta * k * n) break;
  }
  // Sort each heap nearest first and take square roots.
  const index = new Int32Array(n * k);
  const dist = new Float32Array(n * k);
  const order = Array.from({ length: k }, (_, m) => m);
  for (let i = 0; i < n; i++) {
    const base = i * k;
    order.sort(
      (p, q) => heaps.dist[base + p]! - heaps.dist[base + q]! || heaps.idx[base + p]! - heaps.idx[base + q]!,
    );
    for (let m = 0; m < k; m++) {
      index[base + m] = heaps.idx[base + order[m]!]!;
      dist[base + m] = Math.sqrt(heaps.dist[base + order[m]!]!);
    }
  }
  return { n, k, index, dist };
}
