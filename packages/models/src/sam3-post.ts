// SAM 3's post-processing, as the reference processor does it, with no runtime import: score = sigmoid(logit) ·
// sigmoid(presence) where the graph gives presence; keep scores above the threshold, best first; each mask's
// probabilities (sigmoid of its 288² logits) resized bilinearly to the image and cut at 0.5; boxes from the model,
// scaled to image pixels. NMS on RLE is available but off by default (SAM 3's set prediction avoids duplicates).
import { type Box, type Mask, maskToRle, type ParsedRle, parseRle, rleOverlap } from '@segkit/core';
import { logitsToMask } from './postprocess.js';
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
  const centred = new Float32Array(mh * mw);
  return kept.map(({ q, score }) => {
    const off = q * mh * mw;
    // Bilinear resize of the probabilities, then > 0.5: the same as resizing (p − 0.5) and keeping > 0.
    for (let i = 0; i < centred.length; i++) centred[i] = sigmoid(raw.masks[off + i]!) - 0.5;
    const mask = logitsToMask(centred, 0, [mh, mw], [mh, mw], [mh, mw], [H, W]);
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
