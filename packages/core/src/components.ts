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
  const union = (a: number, b: number) => {
    const ra = find(parent, a);
    const rb = find(parent, b);
    if (ra < rb) parent[rb] = ra;
    else if (rb < ra) parent[ra] = rb;
  };
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      if (!data[i]) continue;
      let l = 0;
      // Previously visited 8-neighbours: W, NW, N, NE.
      const nb = [
        x > 0 ? labels[i - 1]! : 0,
        x > 0 && y > 0 ? labels[i - W - 1]! : 0,
        y > 0 ? labels[i - W]! : 0,
        x < W - 1 && y > 0 ? labels[i - W + 1]! : 0,
      ];
      for (const n of nb) {
        if (!n) continue;
        if (!l) l = n;
        else if (n !== l) union(l, n);
      }
      if (!l) {
        l = next++;
        parent[l] = l;
      }
      labels[i] = l;
    }
  }
  return finish(mask, labels, parent, next);
}

function finish(mask: Mask, labels: Int32Array, parent: Int32Array, next: number): Components {
  const { width: W, height: H } = mask;
  const remap = new Int32Array(next);
  let count = 0;
  const stats: ComponentStats[] = [];
  const acc: { area: number; x0: number; y0: number; x1: number; y1: number; sx: number; sy: number }[] = [];
  for (let i = 0; i < W * H; i++) {
    const l0 = labels[i]!;
    if (!l0) continue;
    const root = find(parent, l0);
    let l = remap[root]!;
    if (!l) {
      l = ++count;
      remap[root] = l;
      acc.push({ area: 0, x0: Infinity, y0: Infinity, x1: -1, y1: -1, sx: 0, sy: 0 });
    }
    labels[i] = l;
    const a = acc[l - 1]!;
    const x = i % W;
    const y = (i - x) / W;
    a.area++;
    a.sx += x;
    a.sy += y;
    if (x < a.x0) a.x0 = x;
    if (x > a.x1) a.x1 = x;
    if (y < a.y0) a.y0 = y;
    if (y > a.y1) a.y1 = y;
  }
  acc.forEach((a, k) => {
    stats.push({
      label: k + 1,
      area: a.area,
      bbox: [a.x0, a.y0, a.x1 - a.x0 + 1, a.y1 - a.y0 + 1],
      centroid: [a.sx / a.area + 0.5, a.sy / a.area + 0.5],
    });
  });
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
