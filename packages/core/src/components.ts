import type { Box, Mask } from './types.js';
import { assertInteger, assertMask } from './validate.js';

/** Per-component statistics. */
export interface ComponentStats {
  /** Label in `labels` (1-based; 0 is background). */
  label: number;
  area: number;
  bbox: Box;
  /** Mean pixel position, in pixel-centre coordinates. */
  centroid: [x: number, y: number];
}

/** Result of {@link labelComponents}. */
export interface Components {
  /** Per-pixel label, 0 for background, 1..count for components, numbered in raster order of first pixel. */
  labels: Int32Array;
  count: number;
  stats: ComponentStats[];
}

function find(parent: Int32Array, i: number): number {
  while (parent[i] !== i) {
    parent[i] = parent[parent[i]!]!;
    i = parent[i]!;
  }
  return i;
}

/**
 * Labels 8-connected foreground components (two-pass union–find) and collects their stats.
 * @example labelComponents(mask).count // 2 for two separate blobs
 */
export function labelComponents(mask: Mask): Components {
  assertMask(mask);
  const { width: W, height: H, data } = mask;
  const labels = new Int32Array(W * H);
  // New labels go to pairwise non-adjacent pixels, so at most ceil(W/2)·ceil(H/2) of them are ever needed.
  const parent = new Int32Array(Math.ceil(W / 2) * Math.ceil(H / 2) + 1);
  let next = 1;
  // Joins the sets of labels a and b; the smaller label (the earlier one in raster order) stays the root.
  const join = (a: number, b: number): number => {
    const ra = find(parent, a);
    const rb = find(parent, b);
    if (ra < rb) parent[rb] = ra;
    else if (rb < ra) parent[ra] = rb;
    return a;
  };
  for (let y = 0; y < H; y++) {
    const row = y * W;
    const up = row - W;
    for (let x = 0; x < W; x++) {
      const i = row + x;
      if (!data[i]) continue;
      // Already visited 8-neighbours: W, NW, N, NE.
      let l = x > 0 ? labels[i - 1]! : 0;
      if (y > 0) {
        const n = labels[up + x]!;
        if (n) l = l && l !== n ? join(l, n) : n;
        if (x > 0) {
          const nw = labels[up + x - 1]!;
          if (nw) l = l && l !== nw ? join(l, nw) : nw;
        }
        if (x < W - 1) {
          const ne = labels[up + x + 1]!;
          if (ne) l = l && l !== ne ? join(l, ne) : ne;
        }
      }
      if (!l) {
        l = next++;
        parent[l] = l;
      }
      labels[i] = l;
    }
  }
  // Final numbering: roots are the smallest provisional label of their set, i.e. raster order of first pixels.
  const final = new Int32Array(next);
  let count = 0;
  for (let l = 1; l < next; l++) {
    const root = find(parent, l);
    final[l] = root === l ? ++count : final[root]!;
  }
  const areas = new Float64Array(count + 1);
  const sx = new Float64Array(count + 1);
  const sy = new Float64Array(count + 1);
  const x0 = new Int32Array(count + 1).fill(W);
  const y0 = new Int32Array(count + 1).fill(H);
  const x1 = new Int32Array(count + 1).fill(-1);
  const y1 = new Int32Array(count + 1).fill(-1);
  for (let y = 0; y < H; y++) {
    const row = y * W;
    for (let x = 0; x < W; x++) {
      const p = labels[row + x]!;
      if (!p) continue;
      const l = final[p]!;
      labels[row + x] = l;
      areas[l]!++;
      sx[l]! += x;
      sy[l]! += y;
      if (x < x0[l]!) x0[l] = x;
      if (x > x1[l]!) x1[l] = x;
      if (y < y0[l]!) y0[l] = y;
      y1[l] = y;
    }
  }
  const stats: ComponentStats[] = [];
  for (let l = 1; l <= count; l++) {
    const a = areas[l]!;
    stats.push({
      label: l,
      area: a,
      bbox: [x0[l]!, y0[l]!, x1[l]! - x0[l]! + 1, y1[l]! - y0[l]! + 1],
      centroid: [sx[l]! / a + 0.5, sy[l]! / a + 0.5],
    });
  }
  return { labels, count, stats };
}

/**
 * Removes 8-connected components smaller than `minArea` pixels.
 * @example removeSmallComponents(mask, 50) // specks under 50 px are gone
 */
export function removeSmallComponents(mask: Mask, minArea: number): Mask {
  assertInteger(minArea, 'minArea');
  const { labels, stats } = labelComponents(mask);
  const keep = new Uint8Array(stats.length + 1);
  for (const s of stats) keep[s.label] = s.area >= minArea ? 1 : 0;
  const data = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) data[i] = keep[labels[i]!]!;
  return { width: mask.width, height: mask.height, data };
}

/**
 * Fills holes: background regions (4-connected, the dual of 8-connected foreground) that do not touch the border.
 * @example area(fillHoles(ring)) // area of the ring plus its hole
 */
export function fillHoles(mask: Mask): Mask {
  assertMask(mask);
  const { width: W, height: H, data } = mask;
  const outside = new Uint8Array(W * H);
  const stack = new Int32Array(W * H);
  let sp = 0;
  const seed = (i: number) => {
    if (!data[i] && !outside[i]) {
      outside[i] = 1;
      stack[sp++] = i;
    }
  };
  for (let x = 0; x < W; x++) {
    seed(x);
    seed((H - 1) * W + x);
  }
  for (let y = 0; y < H; y++) {
    seed(y * W);
    seed(y * W + W - 1);
  }
  while (sp > 0) {
    const i = stack[--sp]!;
    const x = i % W;
    if (x > 0) seed(i - 1);
    if (x < W - 1) seed(i + 1);
    if (i >= W) seed(i - W);
    if (i < W * (H - 1)) seed(i + W);
  }
  const out = new Uint8Array(W * H);
  for (let i = 0; i < out.length; i++) out[i] = outside[i] ? 0 : 1;
  return { width: W, height: H, data: out };
}
