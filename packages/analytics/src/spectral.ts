/**
 * Spectral initialisation for UMAP, as in the Python reference (umap-learn's `spectral_layout` and
 * `multi_component_layout`): each connected component of the fuzzy graph is laid out by the two leading non-trivial
 * eigenvectors of its normalised adjacency D^-1/2 W D^-1/2, and the components are placed apart from each other
 * (on ± unit axes when there are at most 4, else by a PCA of their centroids). Two deliberate differences: the
 * coordinates are D^-1/2-scaled (Laplacian eigenmaps), and each component is scaled into a disc, not a square. A random start, which umap-js uses,
 * lets the optimiser tear one dense group into several islands; this start keeps each group in one piece.
 */

/** A symmetric weighted graph as coordinate lists (both (i,j) and (j,i) present). */
export interface CooGraph {
  n: number;
  rows: ArrayLike<number>;
  cols: ArrayLike<number>;
  values: ArrayLike<number>;
}

interface Csr {
  start: Int32Array;
  col: Int32Array;
  w: Float64Array;
}

function toCsr(g: CooGraph): Csr {
  const start = new Int32Array(g.n + 1);
  for (let e = 0; e < g.rows.length; e++) start[g.rows[e]! + 1]!++;
  for (let i = 0; i < g.n; i++) start[i + 1]! += start[i]!;
  const fill = start.slice(0, g.n);
  const col = new Int32Array(g.rows.length);
  const w = new Float64Array(g.rows.length);
  for (let e = 0; e < g.rows.length; e++) {
    const at = fill[g.rows[e]!]!++;
    col[at] = g.cols[e]!;
    w[at] = g.values[e]!;
  }
  return { start, col, w };
}

/** Connected components (edges with weight > 0), as a list of member indices each. */
export function graphComponents(n: number, csr: Csr): number[][] {
  const label = new Int32Array(n).fill(-1);
  const out: number[][] = [];
  for (let s = 0; s < n; s++) {
    if (label[s]! >= 0) continue;
    const members = [s];
    label[s] = out.length;
    for (let q = 0; q < members.length; q++) {
      const i = members[q]!;
      for (let e = csr.start[i]!; e < csr.start[i + 1]!; e++) {
        const j = csr.col[e]!;
        if (csr.w[e]! > 0 && label[j]! < 0) {
          label[j] = out.length;
          members.push(j);
        }
      }
    }
    out.push(members);
  }
  return out;
}

/** Eigen-decomposition of a small symmetric matrix (cyclic Jacobi); eigenvalues descending, vectors as columns. */
export function symmetricEigen(a: number[][]): { values: number[]; vectors: number[][] } {
  const p = a.length;
  const m = a.map((r) => r.slice());
  const v = Array.from({ length: p }, (_, i) =>
    Array.from({ length: p }, (_, j): number => (i === j ? 1 : 0)),
  );
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < p; i++) for (let j = i + 1; j < p; j++) off += m[i]![j]! ** 2;
    if (off < 1e-22) break;
    for (let i = 0; i < p; i++) {
      for (let j = i + 1; j < p; j++) {
        if (Math.abs(m[i]![j]!) < 1e-300) continue;
        const theta = (m[j]![j]! - m[i]![i]!) / (2 * m[i]![j]!);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < p; k++) {
          const mki = m[k]![i]!;
          const mkj = m[k]![j]!;
          m[k]![i] = c * mki - s * mkj;
          m[k]![j] = s * mki + c * mkj;
        }
        for (let k = 0; k < p; k++) {
          const mik = m[i]![k]!;
          const mjk = m[j]![k]!;
          m[i]![k] = c * mik - s * mjk;
          m[j]![k] = s * mik + c * mjk;
        }
        for (let k = 0; k < p; k++) {
          const vki = v[k]![i]!;
          const vkj = v[k]![j]!;
          v[k]![i] = c * vki - s * vkj;
          v[k]![j] = s * vki + c * vkj;
        }
      }
    }
  }
  const order = Array.from({ length: p }, (_, i) => i).sort((x, y) => m[y]![y]! - m[x]![x]!);
  return {
    values: order.map((i) => m[i]![i]!),
    vectors: v.map((row) => order.map((i) => row[i]!)),
  };
}

const dot = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** Orthonormalises `block` in place against `fixed` and itself (modified Gram–Schmidt, random refill if degenerate). */
function orthonormalise(block: Float64Array[], fixed: Float64Array, random: () => number): void {
  for (let k = 0; k < block.length; k++) {
    const x = block[k]!;
    for (let attempt = 0; attempt < 3; attempt++) {
      for (const q of [fixed, ...block.slice(0, k)]) {
        const c = dot(x, q);
        for (let i = 0; i < x.length; i++) x[i]! -= c * q[i]!;
      }
      const norm = Math.sqrt(dot(x, x));
      if (norm > 1e-10) {
        for (let i = 0; i < x.length; i++) x[i]! /= norm;
        break;
      }
      for (let i = 0; i < x.length; i++) x[i] = random() - 0.5;
    }
  }
}

/**
 * The two leading non-trivial eigenvectors of D^-1/2 W D^-1/2 on one connected component (block power iteration on
 * (A + I) / 2 with 4 vectors, deflated against the trivial eigenvector, then Rayleigh–Ritz).
 */
function componentEigenvectors(csr: Csr, members: number[], random: () => number, maxIter: number) {
  const m = members.length;
  const local = new Map<number, number>();
  for (const [k, i] of members.entries()) local.set(i, k);
  const invSqrtDeg = new Float64Array(m);
  const trivial = new Float64Array(m);
  for (const [k, i] of members.entries()) {
    let d = 0;
    for (let e = csr.start[i]!; e < csr.start[i + 1]!; e++) d += csr.w[e]!;
    invSqrtDeg[k] = d > 0 ? 1 / Math.sqrt(d) : 0;
    trivial[k] = Math.sqrt(d);
  }
  const tn = Math.sqrt(dot(trivial, trivial));
  for (let k = 0; k < m; k++) trivial[k]! /= tn;
  // The component's normalised adjacency in local indices, so each product is one pass over its edges.
  // (Zero-weight entries are skipped: they may point into other components.)
  const lstart = new Int32Array(m + 1);
  for (const [k, i] of members.entries()) {
    let count = 0;
    for (let e = csr.start[i]!; e < csr.start[i + 1]!; e++) if (csr.w[e]! > 0) count++;
    lstart[k + 1] = lstart[k]! + count;
  }
  const lcol = new Int32Array(lstart[m]!);
  const lw = new Float64Array(lstart[m]!);
  for (const [k, i] of members.entries()) {
    let at = lstart[k]!;
    for (let e = csr.start[i]!; e < csr.start[i + 1]!; e++) {
      if (!(csr.w[e]! > 0)) continue;
      const j = local.get(csr.col[e]!)!;
      lcol[at] = j;
      lw[at++] = csr.w[e]! * invSqrtDeg[k]! * invSqrtDeg[j]!;
    }
  }
  const apply = (x: Float64Array, y: Float64Array) => {
    for (let k = 0; k < m; k++) {
      let s = x[k]!;
      for (let e = lstart[k]!; e < lstart[k + 1]!; e++) s += lw[e]! * x[lcol[e]!]!;
      y[k] = s / 2;
    }
  };
  const p = Math.min(4, m - 1);
  let block = Array.from({ length: p }, () => Float64Array.from({ length: m }, () => random() - 0.5));
  orthonormalise(block, trivial, random);
  let prev = Number.POSITIVE_INFINITY;
  for (let it = 0; it < maxIter; it++) {
    const next = block.map(() => new Float64Array(m));
    for (let k = 0; k < p; k++) apply(block[k]!, next[k]!);
    const rayleigh = block.reduce((t, x, k) => t + dot(x, next[k]!), 0);
    orthonormalise(next, trivial, random);
    block = next;
    if (Math.abs(rayleigh - prev) < 1e-9) break;
    prev = rayleigh;
  }
  const images = block.map((x) => {
    const y = new Float64Array(m);
    apply(x, y);
    return y;
  });
  const h = block.map((x) => images.map((y) => dot(x, y)));
  const { vectors } = symmetricEigen(h);
  // Ritz vectors v, returned as f = D^-1/2 v: the Laplacian-eigenmap coordinates (L f = λ D f), in which a
  // low-degree end of a chain keeps its place instead of folding back towards the middle.
  return [0, 1].map((c) => {
    const out = new Float64Array(m);
    for (let k = 0; k < p; k++) {
      const u = vectors[k]![c] ?? 0;
      for (let i = 0; i < m; i++) out[i]! += u * block[k]![i]!;
    }
    for (let i = 0; i < m; i++) out[i]! *= invSqrtDeg[i]!;
    return out;
  });
}

/** Where each component goes: ± unit axes for up to 4 components, else a PCA of the component centroids. */
function metaLayout(components: number[][], vectors: ArrayLike<number>[], random: () => number): number[][] {
  const k = components.length;
  if (k === 1) return [[0, 0]];
  if (k <= 4) {
    const axes = [
      [1, 0],
      [0, 1],
      [-1, 0],
      [0, -1],
    ];
    return k <= 2 ? [axes[0]!, axes[2]!].slice(0, k) : axes.slice(0, k);
  }
  const dim = vectors[0]!.length;
  const centroids = components.map((members) => {
    const c = new Float64Array(dim);
    for (const i of members) for (let d = 0; d < dim; d++) c[d]! += vectors[i]![d]! / members.length;
    return c;
  });
  const mean = new Float64Array(dim);
  for (const c of centroids) for (let d = 0; d < dim; d++) mean[d]! += c[d]! / k;
  for (const c of centroids) for (let d = 0; d < dim; d++) c[d]! -= mean[d]!;
  // The top-2 principal axes by block power iteration on C^T C.
  const axes = [0, 1].map(() => Float64Array.from({ length: dim }, () => random() - 0.5));
  for (let it = 0; it < 100; it++) {
    for (const [a, axis] of axes.entries()) {
      const next = new Float64Array(dim);
      for (const c of centroids) {
        const s = dot(c, axis);
        for (let d = 0; d < dim; d++) next[d]! += s * c[d]!;
      }
      if (a === 1) {
        const s = dot(next, axes[0]!);
        for (let d = 0; d < dim; d++) next[d]! -= s * axes[0]![d]!;
      }
      const norm = Math.sqrt(dot(next, next)) || 1;
      for (let d = 0; d < dim; d++) axis[d] = next[d]! / norm;
    }
  }
  const meta = centroids.map((c) => [dot(c, axes[0]!), dot(c, axes[1]!)]);
  const scale = Math.max(...meta.flat().map(Math.abs));
  if (!(scale > 0))
    return components.map((_, i) => [Math.cos((2 * Math.PI * i) / k), Math.sin((2 * Math.PI * i) / k)]);
  return meta.map(([x, y]) => [x! / scale + (random() - 0.5) * 1e-3, y! / scale + (random() - 0.5) * 1e-3]);
}

/**
 * A 2-D spectral starting layout for the points of `graph`, scaled so the largest coordinate is 10 (as umap-learn
 * does before optimising). `vectors` (the input data) place the components when there are more than 4.
 */
export function spectralLayout(
  graph: CooGraph,
  vectors: ArrayLike<number>[],
  random: () => number,
  maxIter = 300,
): [number, number][] {
  const csr = toCsr(graph);
  const components = graphComponents(graph.n, csr);
  const meta = metaLayout(components, vectors, random);
  const out: [number, number][] = Array.from({ length: graph.n }, () => [0, 0]);
  for (const [c, members] of components.entries()) {
    const [mx, my] = meta[c]!;
    let range = 1;
    for (const [o, other] of meta.entries())
      if (o !== c) {
        const dist = Math.hypot(other[0]! - mx!, other[1]! - my!);
        if (dist > 0) range = Math.min(range, dist / 2);
      }
    if (members.length <= 3) {
      for (const i of members) out[i] = [mx! + (random() * 2 - 1) * range, my! + (random() * 2 - 1) * range];
      continue;
    }
    const [ex, ey] = componentEigenvectors(csr, members, random, maxIter);
    // Each component fills a disc of radius range / 2 around its place, so components never overlap.
    let scale = 0;
    for (let k = 0; k < members.length; k++) scale = Math.max(scale, Math.hypot(ex![k]!, ey![k]!));
    const f = scale > 0 ? range / 2 / scale : 0;
    for (const [k, i] of members.entries()) out[i] = [mx! + ex![k]! * f, my! + ey![k]! * f];
  }
  let max = 0;
  for (const [x, y] of out) max = Math.max(max, Math.abs(x), Math.abs(y));
  const f = max > 0 ? 10 / max : 1;
  return out.map(([x, y]) => [x * f + (random() - 0.5) * 1e-4, y * f + (random() - 0.5) * 1e-4]);
}
