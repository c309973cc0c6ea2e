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
  kthDistance(i: number, k: number): number {
    // A max-heap of the k best distances found so far.
    const heap = new Float64Array(k).fill(Infinity);
    const push = (v: number) => {
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
    };
    const stack = [0];
    while (stack.length) {
      const v = stack.pop()!;
      if (this.boxDist(i, v) >= heap[0]!) continue;
      if (this.left[v]! < 0) {
        for (let p = this.start[v]!; p < this.end[v]!; p++) push(this.dist(i, this.perm[p]!));
        continue;
      }
      const a = this.left[v]!;
      const b = this.right[v]!;
      // Nearer child last, so it is searched first.
      if (this.boxDist(i, a) < this.boxDist(i, b)) stack.push(b, a);
      else stack.push(a, b);
    }
    return heap[0]!;
  }
}
