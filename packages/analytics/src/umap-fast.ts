// UMAP in typed arrays, following umap-learn step by step: nearest neighbours (nndescent.ts), the fuzzy simplicial set
// (smooth kNN distances, then the fuzzy union A + Aᵀ − A∘Aᵀ) in CSR, a spectral start (spectral.ts) and the
// seeded SGD layout with negative sampling. No per-point JavaScript objects in the hot path; memory is the data, the
// neighbour lists and the graph.
import type { CooGraph } from './spectral.js';

/** The fuzzy graph: symmetric, in CSR (row i's neighbours are `col[start[i]..start[i+1])`, weights in `w`). */
export interface FuzzyCsr {
  n: number;
  start: Int32Array;
  col: Int32Array;
  w: Float32Array;
}

/**
 * umap-learn's `smooth_knn_dist` and `compute_membership_strengths`, then the fuzzy union. `index`/`dist` hold k
 * neighbours per point, the point itself first.
 */
export function fuzzyGraph(n: number, k: number, index: Int32Array, dist: Float32Array): FuzzyCsr {
  const target = Math.log2(k);
  let meanAll = 0;
  for (let e = 0; e < n * k; e++) meanAll += dist[e]!;
  meanAll /= n * k || 1;
  // Directed memberships A (k per row, the point itself 0), with each row sorted by column for the merge below.
  const aCol = new Int32Array(n * k);
  const aW = new Float32Array(n * k);
  const order = Array.from({ length: k }, (_, m) => m);
  for (let i = 0; i < n; i++) {
    const base = i * k;
    let rho = 0;
    for (let m = 0; m < k; m++)
      if (dist[base + m]! > 0) {
        rho = dist[base + m]!;
        break;
      }
    let lo = 0;
    let hi = Infinity;
    let mid = 1;
    for (let it = 0; it < 64; it++) {
      let psum = 0;
      for (let m = 1; m < k; m++) {
        const t = dist[base + m]! - rho;
        psum += t > 0 ? Math.exp(-t / mid) : 1;
      }
      if (Math.abs(psum - target) < 1e-5) break;
      if (psum > target) {
        hi = mid;
        mid = (lo + hi) / 2;
      } else {
        lo = mid;
        mid = hi === Infinity ? mid * 2 : (lo + hi) / 2;
      }
    }
    let rowMean = 0;
    for (let m = 0; m < k; m++) rowMean += dist[base + m]!;
    rowMean /= k;
    const sigma = Math.max(mid, 1e-3 * (rho > 0 ? rowMean : meanAll));
    order.sort((p, q) => index[base + p]! - index[base + q]!);
    for (let m = 0; m < k; m++) {
      const at = base + order[m]!;
      const j = index[at]!;
      const t = dist[at]! - rho;
      aCol[base + m] = j;
      aW[base + m] = j === i ? 0 : t <= 0 || sigma === 0 ? 1 : Math.exp(-t / sigma);
    }
  }
  // Aᵀ by counting sort: row j lists the i with j among i's neighbours, in increasing i.
  const tStart = new Int32Array(n + 1);
  for (let e = 0; e < n * k; e++) if (aCol[e]! >= 0) tStart[aCol[e]! + 1]!++;
  for (let i = 0; i < n; i++) tStart[i + 1]! += tStart[i]!;
  const tCol = new Int32Array(tStart[n]!);
  const tW = new Float32Array(tStart[n]!);
  const fill = tStart.slice(0, n);
  for (let i = 0; i < n; i++)
    for (let m = 0; m < k; m++) {
      const j = aCol[i * k + m]!;
      if (j < 0) continue;
      const at = fill[j]!++;
      tCol[at] = i;
      tW[at] = aW[i * k + m]!;
    }
  // The fuzzy union, row by row: merge A's row and Aᵀ's row (both sorted by column).
  const start = new Int32Array(n + 1);
  const col = new Int32Array(2 * n * k);
  const w = new Float32Array(2 * n * k);
  let e = 0;
  for (let i = 0; i < n; i++) {
    let p = i * k;
    const pEnd = p + k;
    let q = tStart[i]!;
    const qEnd = tStart[i + 1]!;
    while (p < pEnd || q < qEnd) {
      const cp = p < pEnd ? aCol[p]! : Infinity;
      const cq = q < qEnd ? tCol[q]! : Infinity;
      let c: number;
      let v: number;
      if (cp === cq) {
        c = cp;
        v = aW[p]! + tW[q]! - aW[p]! * tW[q]!;
        p++;
        q++;
      } else if (cp < cq) {
        c = cp;
        v = aW[p++]!;
      } else {
        c = cq;
        v = tW[q++]!;
      }
      if (v > 0 && c !== i) {
        col[e] = c;
        w[e++] = v;
      }
    }
    start[i + 1] = e;
  }
  return { n, start, col: col.slice(0, e), w: w.slice(0, e) };
}

/** The graph as coordinate lists, for the spectral start. */
export function toCoo(g: FuzzyCsr): CooGraph {
  const rows = new Int32Array(g.col.length);
  for (let i = 0; i < g.n; i++) rows.fill(i, g.start[i]!, g.start[i + 1]!);
  return { n: g.n, rows, cols: g.col, values: g.w };
}

/**
 * umap-learn's `find_ab_params`: a and b of 1 / (1 + a·x^(2b)) fitted (Levenberg–Marquardt, least squares) to 1 below
 * `minDist` and exp(−(x − minDist) / spread) above, on 300 points of [0, 3·spread].
 */
export function findAbParams(spread: number, minDist: number): { a: number; b: number } {
  const xs = Array.from({ length: 300 }, (_, i) => (3 * spread * i) / 299);
  const ys = xs.map((x) => (x < minDist ? 1 : Math.exp(-(x - minDist) / spread)));
  let a = 1;
  let b = 1;
  let lambda = 1e-3;
  const cost = (a0: number, b0: number) =>
    xs.reduce((s, x, i) => s + (1 / (1 + a0 * x ** (2 * b0)) - ys[i]!) ** 2, 0);
  let c = cost(a, b);
  for (let it = 0; it < 200; it++) {
    // Gradient and Gauss–Newton matrix of the residuals r = f − y.
    let ja = 0;
    let jb = 0;
    let haa = 0;
    let hab = 0;
    let hbb = 0;
    xs.forEach((x, i) => {
      if (x === 0) return;
      const p = x ** (2 * b);
      const f = 1 / (1 + a * p);
      const r = f - ys[i]!;
      const da = -p * f * f;
      const db = -a * p * 2 * Math.log(x) * f * f;
      ja += r * da;
      jb += r * db;
      haa += da * da;
      hab += da * db;
      hbb += db * db;
    });
    const m00 = haa * (1 + lambda);
    const m11 = hbb * (1 + lambda);
    const det = m00 * m11 - hab * hab;
    if (det === 0) break;
    const sa = (-ja * m11 + jb * hab) / det;
    const sb = (-jb * m00 + ja * hab) / det;
    const next = cost(a + sa, b + sb);
    if (next < c) {
      a += sa;
      b += sb;
      lambda /= 10;
      if (c - next < 1e-14) {
        c = next;
        break;
      }
      c = next;
    } else lambda *= 10;
  }
  return { a, b };
}

export interface LayoutOptions {
  a: number;
  b: number;
  epochs: number;
  random: () => number;
  negativeSampleRate?: number;
  /** Called every few epochs with the fraction done; awaited, so the caller can yield to the event loop. */
  onEpoch?: (fraction: number) => void | Promise<void>;
}

/**
 * umap-learn's `optimize_layout_euclidean` (move_other = true) on a 2-D start, in place: each edge pulls its ends
 * together as often as its weight says, and each pull comes with `negativeSampleRate` pushes from random points.
 */
export async function optimizeLayout(g: FuzzyCsr, emb: Float32Array, o: LayoutOptions): Promise<void> {
  const { a, b, epochs } = o;
  let wMax = 0;
  for (const v of g.w) if (v > wMax) wMax = v;
  // Edges too weak to be sampled once in all epochs are dropped, as umap-learn does.
  const keep: number[] = [];
  for (let e = 0; e < g.w.length; e++) if (g.w[e]! >= wMax / epochs) keep.push(e);
  const m = keep.length;
  const head = new Int32Array(m);
  const tail = new Int32Array(m);
  const eps = new Float32Array(m);
  for (let q = 0; q < m; q++) {
    const e = keep[q]!;
    tail[q] = g.col[e]!;
    eps[q] = wMax / g.w[e]!;
  }
  for (let i = 0, q = 0; i < g.n; i++)
    for (let e = g.start[i]!; e < g.start[i + 1]!; e++) if (g.w[e]! >= wMax / epochs) head[q++] = i;
  const rate = o.negativeSampleRate ?? 5;
  const next = Float32Array.from(eps);
  const epns = eps.map((v) => v / rate);
  const nextNeg = Float32Array.from(epns);
  const n = g.n;
  // The two gradient coefficients depend on the squared distance alone, and a power per update is most of the cost:
  // they are tabulated on the distance (steps of 1/256 up to 32, linear interpolation, relative error < 1e-5) and
  // computed exactly outside the table.
  const attract = (d2: number) => {
    const pb = d2 ** b;
    return (-2 * a * b * (pb / d2)) / (a * pb + 1);
  };
  const repel = (d2: number) => (2 * b) / ((0.001 + d2) * (a * d2 ** b + 1));
  const STEPS = 256;
  const MAXD = 32;
  const size = MAXD * STEPS + 2;
  const tAttract = new Float64Array(size);
  const tRepel = new Float64Array(size);
  for (let t = 1; t < size; t++) {
    const d2 = (t / STEPS) ** 2;
    tAttract[t] = attract(d2);
    tRepel[t] = repel(d2);
  }
  tRepel[0] = repel(0);
  // The hot loop below is written out by hand (no closures per update): positions in float64, a local generator seeded
  // from `random` (mulberry32), table lookups inline.
  const pos = Float64Array.from(emb);
  let state = Math.floor(o.random() * 4294967296) >>> 0;
  const top = size - 1;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const alpha = 1 - epoch / epochs;
    for (let q = 0; q < m; q++) {
      if (next[q]! > epoch) continue;
      const j = head[q]! * 2;
      const k = tail[q]! * 2;
      // The head's position stays in locals through its pull and its pushes, and is stored once.
      let xj = pos[j]!;
      let yj = pos[j + 1]!;
      let dx = xj - pos[k]!;
      let dy = yj - pos[k + 1]!;
      let d2 = dx * dx + dy * dy;
      if (d2 > 0) {
        const x = Math.sqrt(d2) * STEPS;
        const t = x | 0;
        const coef =
          t < 1 || t >= top ? attract(d2) : tAttract[t]! + (x - t) * (tAttract[t + 1]! - tAttract[t]!);
        let gx = coef * dx;
        let gy = coef * dy;
        gx = (gx > 4 ? 4 : gx < -4 ? -4 : gx) * alpha;
        gy = (gy > 4 ? 4 : gy < -4 ? -4 : gy) * alpha;
        xj += gx;
        yj += gy;
        pos[k]! -= gx;
        pos[k + 1]! -= gy;
      }
      next[q]! += eps[q]!;
      const negs = Math.floor((epoch - nextNeg[q]!) / epns[q]!);
      for (let p = 0; p < negs; p++) {
        state = (state + 0x6d2b79f5) >>> 0;
        let z = state;
        z = Math.imul(z ^ (z >>> 15), z | 1);
        z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
        const r = (((((z ^ (z >>> 14)) >>> 0) * n) / 4294967296) | 0) * 2;
        if (r === j) continue;
        dx = xj - pos[r]!;
        dy = yj - pos[r + 1]!;
        d2 = dx * dx + dy * dy;
        if (d2 > 0) {
          const x = Math.sqrt(d2) * STEPS;
          const t = x | 0;
          const coef = t >= top ? repel(d2) : tRepel[t]! + (x - t) * (tRepel[t + 1]! - tRepel[t]!);
          const gx = coef * dx;
          const gy = coef * dy;
          xj += (gx > 4 ? 4 : gx < -4 ? -4 : gx) * alpha;
          yj += (gy > 4 ? 4 : gy < -4 ? -4 : gy) * alpha;
        } else {
          xj += 4 * alpha;
          yj += 4 * alpha;
        }
      }
      pos[j] = xj;
      pos[j + 1] = yj;
      nextNeg[q]! += negs * epns[q]!;
    }
    if (o.onEpoch && epoch % 10 === 9) await o.onEpoch((epoch + 1) / epochs);
  }
  emb.set(pos);
}
