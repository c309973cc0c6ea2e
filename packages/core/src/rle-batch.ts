// RLEs parsed once: run lengths as a typed array with their area and bbox, kept with the RLE object, so operations
// over many masks (IoU matrices, merges, areas and boxes) do not decode the compressed string again on every call.
import { RleInvalidError } from './errors.js';
import { type ParsedRle, parseRle } from './rle-parse.js';
import type { Box, Rle } from './types.js';

/** Areas of many RLEs. */
export const rleAreas = (rles: (Rle | ParsedRle)[]): number[] => rles.map((r) => parseRle(r).area);
/** Tight boxes of many RLEs. */
export const rleBboxes = (rles: (Rle | ParsedRle)[]): Box[] => rles.map((r) => parseRle(r).bbox);

/** pycocotools' bbIou for one pair of [x, y, w, h] boxes; with `crowd` the union is the detection's box area. */
export function boxIou(d: ArrayLike<number>, g: ArrayLike<number>, crowd = false): number {
  const w = Math.min(d[0]! + d[2]!, g[0]! + g[2]!) - Math.max(d[0]!, g[0]!);
  if (w <= 0) return 0;
  const h = Math.min(d[1]! + d[3]!, g[1]! + g[3]!) - Math.max(d[1]!, g[1]!);
  if (h <= 0) return 0;
  const i = w * h;
  return i / (crowd ? d[2]! * d[3]! : d[2]! * d[3]! + g[2]! * g[3]! - i);
}

/** Intersection and union of two parsed RLEs, walking both run lists once. */
function interUnion(a: Uint32Array, b: Uint32Array): [number, number] {
  let ca = a[0] ?? 0;
  let cb = b[0] ?? 0;
  let va = 0;
  let vb = 0;
  let ia = 1;
  let ib = 1;
  let u = 0;
  let i = 0;
  for (;;) {
    const c = ca < cb ? ca : cb;
    if (va | vb) {
      u += c;
      if (va & vb) i += c;
    }
    ca -= c;
    cb -= c;
    if (ca === 0) {
      if (ia >= a.length) break;
      ca = a[ia++]!;
      va ^= 1;
    }
    if (cb === 0) {
      if (ib >= b.length) break;
      cb = b[ib++]!;
      vb ^= 1;
    }
  }
  return [i, u];
}

/**
 * IoU of every detection against every ground truth, as pycocotools' `mask.iou(dts, gts, iscrowd)`: row d, column g
 * of the result (`dts.length × gts.length`, row-major). Pairs whose boxes do not overlap are 0 without touching the
 * runs, so two empty masks have IoU 0; with `iscrowd[g]` the union is the detection's area.
 */
export function rleIouMatrix(
  dts: (Rle | ParsedRle)[],
  gts: (Rle | ParsedRle)[],
  iscrowd: ArrayLike<boolean | number> = [],
): Float64Array {
  const d = dts.map(parseRle);
  const g = gts.map(parseRle);
  const out = new Float64Array(d.length * g.length);
  for (let j = 0; j < g.length; j++) {
    const gj = g[j]!;
    const crowd = Boolean(iscrowd[j]);
    for (let k = 0; k < d.length; k++) {
      const dk = d[k]!;
      if (!(boxIou(dk.bbox, gj.bbox, crowd) > 0)) continue;
      if (dk.size[0] !== gj.size[0] || dk.size[1] !== gj.size[1])
        throw new RleInvalidError(`RLEs differ in size: ${dk.size.join('×')} vs ${gj.size.join('×')}`);
      const [i, u] = interUnion(dk.counts, gj.counts);
      out[k * g.length + j] = i === 0 ? 0 : i / (crowd ? dk.area : u);
    }
  }
  return out;
}

/** How much of `a` overlaps `b`: the IoU, and the share of `a`'s area inside `b` (0 when their boxes miss). */
export function rleOverlap(a: Rle | ParsedRle, b: Rle | ParsedRle): { iou: number; contained: number } {
  const pa = parseRle(a);
  const pb = parseRle(b);
  if (pa.size[0] !== pb.size[0] || pa.size[1] !== pb.size[1])
    throw new RleInvalidError(`RLEs differ in size: ${pa.size.join('×')} vs ${pb.size.join('×')}`);
  if (!(boxIou(pa.bbox, pb.bbox) > 0)) return { iou: 0, contained: 0 };
  const [i, u] = interUnion(pa.counts, pb.counts);
  return { iou: u ? i / u : 0, contained: pa.area ? i / pa.area : 0 };
}

/**
 * Greedy non-maximum suppression over masks given best first: a mask is kept unless its IoU with a kept one exceeds
 * `iou`, or more than `contained` of its area lies inside a kept one. Returns the kept indices, in order. Pairs whose
 * boxes miss are never walked, so the cost follows the overlapping pairs.
 * @example rleNms(masksByScore, 0.7) // [0, 2, 5, …]
 */
export function rleNms(rles: (Rle | ParsedRle)[], iou: number, contained = 1): number[] {
  const parsed = rles.map(parseRle);
  const kept: number[] = [];
  for (let k = 0; k < parsed.length; k++) {
    const dup = kept.some((j) => {
      const o = rleOverlap(parsed[k]!, parsed[j]!);
      return o.iou > iou || o.contained > contained;
    });
    if (!dup) kept.push(k);
  }
  return kept;
}
