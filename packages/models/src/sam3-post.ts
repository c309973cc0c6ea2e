// SAM 3's post-processing, as the reference processor does it, with no runtime import: score = sigmoid(logit) ·
// sigmoid(presence) where the graph gives presence; keep scores above the threshold, best first; each mask's
// probabilities (sigmoid of its 288² logits) resized bilinearly to the image and cut at 0.5; boxes from the model,
// scaled to image pixels. NMS on RLE is available but off by default (SAM 3's set prediction avoids duplicates).
import { type Box, type Mask, maskToRle, type ParsedRle, parseRle, rleOverlap } from '@segkit/core';
import { SAM3_SIDE } from './sam3-preprocess.js';

/** One instance at the image's size. */
export interface Sam3Instance {
  mask: Mask;
  /** [x, y, w, h] in image pixels, as the model predicted it. */
  bbox: Box;
  score: number;
}

export interface PostOptions {
  /** Keep scores strictly above this (default 0.3, the reference processor's). */
  threshold: number;
  maxInstances: number;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** x0, y0, x1, y1 → [x, y, w, h], clipped to the image. */
function toBox(x0: number, y0: number, x1: number, y1: number, w: number, h: number): Box {
  const a = Math.min(Math.max(x0, 0), w);
  const b = Math.min(Math.max(y0, 0), h);
  return [a, b, Math.min(Math.max(x1, 0), w) - a, Math.min(Math.max(y1, 0), h) - b];
}

/** One axis of the bilinear resize from `low` cells to `n` pixels (half-pixel centres, clamped at the borders). */
function axisTable(n: number, low: number) {
  const i0 = new Int32Array(n);
  const i1 = new Int32Array(n);
  const w1 = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const g = Math.min(Math.max(((k + 0.5) * low) / n - 0.5, 0), low - 1);
    i0[k] = Math.floor(g);
    i1[k] = Math.min(i0[k]! + 1, low - 1);
    w1[k] = g - i0[k]!;
  }
  return { i0, i1, w1 };
}
type Axis = ReturnType<typeof axisTable>;

/** The pixels [from, to) whose two source cells are not both outside [c0, c1]: only they can be foreground. */
function span(axis: Axis, c0: number, c1: number): [number, number] {
  let from = 0;
  while (from < axis.i0.length && axis.i1[from]! < c0) from++;
  let to = axis.i0.length;
  while (to > from && axis.i0[to - 1]! > c1) to--;
  return [from, to];
}

/**
 * One query's mask at the image size: its probabilities resized bilinearly and cut at 0.5. A pixel can pass only
 * when one of the cells it is interpolated from does (a convex combination never exceeds its largest term), so the
 * work is limited to the window around the cells with a positive logit; everything else stays 0.
 */
function queryMask(logits: Float32Array, off: number, [mh, mw]: [number, number], X: Axis, Y: Axis): Mask {
  const W = X.i0.length;
  const H = Y.i0.length;
  const data = new Uint8Array(W * H);
  let [cx0, cy0, cx1, cy1] = [mw, mh, -1, -1];
  for (let y = 0; y < mh; y++)
    for (let x = 0; x < mw; x++)
      if (logits[off + y * mw + x]! > 0) {
        if (x < cx0) cx0 = x;
        if (x > cx1) cx1 = x;
        if (y < cy0) cy0 = y;
        if (y > cy1) cy1 = y;
      }
  if (cx1 < 0) return { width: W, height: H, data };
  const [x0, x1] = span(X, cx0, cx1);
  const [y0, y1] = span(Y, cy0, cy1);
  // p − 0.5 for the cells the window reads (one cell of margin), so that "> 0" is "> 0.5".
  const gx0 = Math.max(0, cx0 - 1);
  const gx1 = Math.min(mw - 1, cx1 + 1);
  const gy0 = Math.max(0, cy0 - 1);
  const gy1 = Math.min(mh - 1, cy1 + 1);
  const gw = gx1 - gx0 + 1;
  const p = new Float32Array(gw * (gy1 - gy0 + 1));
  for (let y = gy0; y <= gy1; y++)
    for (let x = gx0; x <= gx1; x++) p[(y - gy0) * gw + x - gx0] = sigmoid(logits[off + y * mw + x]!) - 0.5;
  // Interpolate along x once per distinct source row pair, then along y per output row (as logitsToMask does).
  const n = x1 - x0;
  const rowA = new Float32Array(n);
  const rowB = new Float32Array(n);
  let lastA = -1;
  let lastB = -1;
  for (let y = y0; y < y1; y++) {
    const ya = Y.i0[y]! - gy0;
    const yb = Y.i1[y]! - gy0;
    if (ya !== lastA || yb !== lastB) {
      const ra = ya * gw;
      const rb = yb * gw;
      for (let k = 0; k < n; k++) {
        const xa = X.i0[x0 + k]! - gx0;
        const xb = X.i1[x0 + k]! - gx0;
        const wx = X.w1[x0 + k]!;
        rowA[k] = p[ra + xa]! * (1 - wx) + p[ra + xb]! * wx;
        rowB[k] = p[rb + xa]! * (1 - wx) + p[rb + xb]! * wx;
      }
      lastA = ya;
      lastB = yb;
    }
    const wy = Y.w1[y]!;
    const out = y * W + x0;
    for (let k = 0; k < n; k++) if (rowA[k]! * (1 - wy) + rowB[k]! * wy > 0) data[out + k] = 1;
  }
  return { width: W, height: H, data };
}

/** Instances from per-query outputs (usls, sam3-text). */
export function queryInstances(
  raw: {
    masks: Float32Array;
    boxes: Float32Array;
    logits: Float32Array;
    presence?: number;
    maskSize: [number, number];
  },
  [H, W]: [number, number],
  opts: PostOptions,
): Sam3Instance[] {
  const presence = raw.presence === undefined ? 1 : sigmoid(raw.presence);
  const [mh, mw] = raw.maskSize;
  const kept = Array.from(raw.logits, (l, q) => ({ q, score: sigmoid(l) * presence }))
    .filter((c) => c.score > opts.threshold)
    .sort((a, b) => b.score - a.score || a.q - b.q)
    .slice(0, opts.maxInstances);
  const X = axisTable(W, mw);
  const Y = axisTable(H, mh);
  return kept.map(({ q, score }) => {
    const mask = queryMask(raw.masks, q * mh * mw, [mh, mw], X, Y);
    const b = raw.boxes.subarray(q * 4, q * 4 + 4);
    return { mask, bbox: toBox(b[0]! * W, b[1]! * H, b[2]! * W, b[3]! * H, W, H), score };
  });
}

/** Instances from samexporter's decoder, which cuts and resizes in the graph: its boxes are in 1008×1008 pixels. */
export function finalInstances(
  raw: { boxes: Float32Array; scores: Float32Array; masks: Uint8Array },
  [H, W]: [number, number],
  opts: PostOptions,
): Sam3Instance[] {
  const sx = W / SAM3_SIDE;
  const sy = H / SAM3_SIDE;
  return Array.from(raw.scores, (score, i) => ({ i, score }))
    .filter((c) => c.score > opts.threshold)
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .slice(0, opts.maxInstances)
    .map(({ i, score }) => {
      const b = raw.boxes.subarray(i * 4, i * 4 + 4);
      const data = raw.masks.slice(i * H * W, (i + 1) * H * W);
      return {
        mask: { width: W, height: H, data },
        bbox: toBox(b[0]! * sx, b[1]! * sy, b[2]! * sx, b[3]! * sy, W, H),
        score,
      };
    });
}

/** Greedy NMS by mask IoU, best score first: drops an instance whose IoU with a kept one exceeds `iou`. */
export function nmsInstances(instances: Sam3Instance[], iou: number): Sam3Instance[] {
  const kept: Sam3Instance[] = [];
  const runs: ParsedRle[] = [];
  for (const inst of [...instances].sort((a, b) => b.score - a.score)) {
    const r = parseRle(maskToRle(inst.mask, { compressed: false }));
    if (runs.some((k) => rleOverlap(r, k).iou > iou)) continue;
    kept.push(inst);
    runs.push(r);
  }
  return kept;
}
