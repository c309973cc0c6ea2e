// A k-d tree over the rows of a flat matrix, for low-dimensional data (the 2-D layouts HDBSCAN clusters): median
// splits on the widest side, a bounding box per node, typed arrays throughout.

/** A k-d tree: `perm` orders the points so each node owns `perm[start[v]..end[v])`. */
export class KdTree {
  readonly perm: Int32Array;
  readonly start: Int32Array;
  readonly end: Int32Array;
  /** Children of a node, or −1 for a leaf. */
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** Bounding boxes: `lo[v * d + k]`, `hi[v * d + k]`. */
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  readonly size: number;

  constructor(
    readonly x: Float64Array,
    readonly n: number,
    readonly d: number,
    leafSize = 16,
  ) {
    this.perm = Int32Array.from({ length: n }, (_, i) => i);
    const cap = Math.max(1, 2 * Math.ceil(n / Math.max(1, leafSize)) * 2);
    this.start = new Int32Array(cap);
    this.end = new Int32Array(cap);
    this.left = new Int32Array(cap).fill(-1);
    this.right = new Int32Array(cap).fill(-1);
    this.lo = new Float64Array(cap * d);
    this.hi = new Float64Array(cap * d);
    let count = 0;
    const stack: [number, number, number][] = [];
    const make = (s: number, e: number): number => {
      const v = count++;
      this.start[v] = s;
      this.end[v] = e;
      for (let k = 0; k < d; k++) {
        let mn = Infinity;
        let mx = -Infinity;
        for (let p = s; p < e; p++) {
          const t = x[this.perm[p]! * d + k]!;
          if (t < mn) mn = t;
          if (t > mx) mx = t;
        }
        this.lo[v * d + k] = mn;
        this.hi[v * d + k] = mx;
      }
      if (e - s > leafSize) stack.push([v, s, e]);
      return v;
    };
    make(0, n);
    while (stack.length) {
      const [v, s, e] = stack.pop()!;
      let dim = 0;
      let width = -1;
      for (let k = 0; k < d; k++) {
        const w = this.hi[v * d + k]! - this.lo[v * d + k]!;
        if (w > width) {
          width = w;
          dim = k;
        }
      }
      if (width <= 0) continue; // every point is the same: keep it as one leaf
      const mid = (s + e) >> 1;
      this.select(s, e - 1, mid, dim);
      this.left[v] = make(s, mid);
      this.right[v] = make(mid, e);
    }
    this.size = count;
  }

  /** Quickselect on `perm[lo..hi]` by coordinate `dim`, so `perm[k]` holds the k-th smallest. */
  private select(lo: number, hi: number, k: number, dim: number): void {
    const { perm, x, d } = this;
    while (lo < hi) {
      const pivot = x[perm[(lo + hi) >> 1]! * d + dim]!;
      let i = lo;
      let j = hi;
      while (i <= j) {
        while (x[perm[i]! * d + dim]! < pivot) i++;
        while (x[perm[j]! * d + dim]! > pivot) j--;
        if (i <= j) {
          const t = perm[i]!;
          perm[i] = perm[j]!;
          perm[j] = t;
          i++;
          j--;
        }
      }
      if (k <= j) hi = j;
      else if (k >= i) lo = i;
      else return;
    }
  }

  /** Euclidean distance between points i and j. */
  dist(i: number, j: number): number {
    const { x, d } = this;
    let s = 0;
    for (let k = 0; k < d; k++) {
      const t = x[i * d + k]! - x[j * d + k]!;
      s += t * t;
    }
    return Math.sqrt(s);
  }

  /** Smallest distance from point i to node v's box. */
  boxDist(i: number, v: number): number {
    const { x, d, lo, hi } = this;
    let s = 0;
    for (let k = 0; k < d; k++) {
      const t = x[i * d + k]!;
      const a = lo[v * d + k]!;
      const b = hi[v * d + k]!;
      const g = t < a ? a - t : t > b ? t - b : 0;
      s += g * g;
    }
    return Math.sqrt(s);
  }

  /**
   * The distance from point i to its k-th nearest point, counting i itself as the first (k = 1 gives 0), as
   * scikit-learn's `KDTree.query(X, k)[0][:, -1]`.
   */
  kthDistance(i: number, k: number, stack: Int32Array = new Int32Array(2 * this.size + 2)): number {
    // A max-heap of the k best distances found so far, and the nodes still to visit (`stack`, reusable scratch).
    const heap = new Float64Array(k).fill(Infinity);
    let top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const v = stack[--top]!;
      if (this.boxDist(i, v) >= heap[0]!) continue;
      if (this.left[v]! < 0) {
        for (let p = this.start[v]!; p < this.end[v]!; p++) heapPush(heap, k, this.dist(i, this.perm[p]!));
        continue;
      }
      const a = this.left[v]!;
      const b = this.right[v]!;
      // Nearer child last, so it is searched first.
      const near = this.boxDist(i, a) < this.boxDist(i, b);
      stack[top++] = near ? b : a;
      stack[top++] = near ? a : b;
    }
    return heap[0]!;
  }

  /**
   * {@link kthDistance} for every point, a leaf at a time: the points of a leaf share their neighbourhoods, so one
   * query bounds them all (the k-th distance of any point q of the leaf is at most r₀ + |q − p₀| for its first point
   * p₀), one range search gathers the candidates within that bound of the leaf's box, and each point takes its k-th
   * smallest distance among them by quickselect. Much faster than a heap per point when k is large. Each step is a
   * function of its own, so that V8 optimises each as soon as it is hot (one large function took longer to compile
   * than the whole search takes once compiled).
   */
  kthDistances(k: number): Float64Array {
    const out = new Float64Array(this.n);
    const buf: Candidates = {
      cand: new Int32Array(1024),
      dist: new Float64Array(1024),
      stack: new Int32Array(2 * this.size + 2),
    };
    for (let leaf = 0; leaf < this.size; leaf++) {
      if (this.left[leaf]! >= 0 || this.end[leaf]! <= this.start[leaf]!) continue;
      const count = this.gather(leaf, this.leafBound(leaf, k, buf.stack), buf);
      this.leafKth(leaf, k, buf, count, out);
    }
    return out;
  }

  /** A bound on the k-th distance of every point of a leaf: its first point's, plus the leaf's reach from it. */
  private leafBound(leaf: number, k: number, stack: Int32Array): number {
    const p0 = this.perm[this.start[leaf]!]!;
    let reach = 0;
    for (let p = this.start[leaf]!; p < this.end[leaf]!; p++)
      reach = Math.max(reach, this.dist(p0, this.perm[p]!));
    return this.kthDistance(p0, k, stack) + reach;
  }

  /** Every point within `bound` of the leaf's box, into `buf.cand` (grown as needed); returns how many. */
  private gather(leaf: number, bound: number, buf: Candidates): number {
    const { left, right, start, end, perm } = this;
    const stack = buf.stack;
    let count = 0;
    let top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const v = stack[--top]!;
      if (this.boxGap(leaf, v) > bound) continue;
      if (left[v]! >= 0) {
        stack[top++] = left[v]!;
        stack[top++] = right[v]!;
        continue;
      }
      const need = count + end[v]! - start[v]!;
      if (need > buf.cand.length) {
        const grown = new Int32Array(Math.max(need, buf.cand.length * 2));
        grown.set(buf.cand);
        buf.cand = grown;
        buf.dist = new Float64Array(grown.length);
      }
      for (let p = start[v]!; p < end[v]!; p++) buf.cand[count++] = perm[p]!;
    }
    return count;
  }

  /** Each point of the leaf: its k-th smallest distance among the candidates, into `out`. */
  private leafKth(leaf: number, k: number, buf: Candidates, count: number, out: Float64Array): void {
    const { x, d, perm } = this;
    const { cand, dist } = buf;
    for (let p = this.start[leaf]!; p < this.end[leaf]!; p++) {
      const q = perm[p]!;
      if (d === 2) {
        // The 2-D layouts HDBSCAN runs on: the loop written out.
        const qx = x[2 * q]!;
        const qy = x[2 * q + 1]!;
        for (let c = 0; c < count; c++) {
          const j = cand[c]!;
          const gx = qx - x[2 * j]!;
          const gy = qy - x[2 * j + 1]!;
          dist[c] = gx * gx + gy * gy;
        }
      } else
        for (let c = 0; c < count; c++) {
          const j = cand[c]!;
          let s = 0;
          for (let t = 0; t < d; t++) {
            const g = x[q * d + t]! - x[j * d + t]!;
            s += g * g;
          }
          dist[c] = s;
        }
      out[q] = Math.sqrt(select(dist, count, Math.min(k, count) - 1));
    }
  }

  /** Smallest distance between the boxes of nodes u and v. */
  boxGap(u: number, v: number): number {
    const { d, lo, hi } = this;
    let s = 0;
    for (let t = 0; t < d; t++) {
      const g = Math.max(0, lo[v * d + t]! - hi[u * d + t]!, lo[u * d + t]! - hi[v * d + t]!);
      s += g * g;
    }
    return Math.sqrt(s);
  }
}

/** Buffers one core-distance search reuses from leaf to leaf. */
interface Candidates {
  cand: Int32Array;
  dist: Float64Array;
  stack: Int32Array;
}

/** Offers `v` to a max-heap of the `k` smallest values so far (`heap[0]` is the largest of them). */
function heapPush(heap: Float64Array, k: number, v: number): void {
  if (v >= heap[0]!) return;
  heap[0] = v;
  let p = 0;
  for (;;) {
    const l = 2 * p + 1;
    const r = l + 1;
    let m = p;
    if (l < k && heap[l]! > heap[m]!) m = l;
    if (r < k && heap[r]! > heap[m]!) m = r;
    if (m === p) break;
    const t = heap[p]!;
    heap[p] = heap[m]!;
    heap[m] = t;
    p = m;
  }
}

/** The k-th smallest (0-based) of the first `count` values, reordering them (quickselect). */
function select(a: Float64Array, count: number, k: number): number {
  let lo = 0;
  let hi = count - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
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
