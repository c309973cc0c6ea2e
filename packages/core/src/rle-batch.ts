// RLEs parsed once: run lengths as a typed array with their area and bbox, kept with the RLE object, so operations
// over many masks (IoU matrices, merges, areas and boxes) do not decode the compressed string again on every call.
import { assertSameRleSize, type ParsedRle, parseRle } from './rle-parse.js';
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

/**
 * Where each run ends, counted from the first pixel: foreground run `j` covers pixels `[ends[2j], ends[2j+1])`.
 * Made once per RLE per call, so that a pair walks only the foreground runs inside the columns both boxes share.
 */
function runEnds(p: ParsedRle): Uint32Array | Float64Array {
  const c = p.counts;
  const out = p.size[0] * p.size[1] > 0xffffffff ? new Float64Array(c.length) : new Uint32Array(c.length);
  let pos = 0;
  for (let i = 0; i < c.length; i++) {
    pos += c[i]!;
    out[i] = pos;
  }
  return out;
}

/** The first foreground run of `e` that ends after pixel `lo` (a binary search over the run ends). */
function firstRunAfter(e: Uint32Array | Float64Array, lo: number): number {
  let a = 0;
  let b = e.length >> 1;
  while (a < b) {
    const mid = (a + b) >> 1;
    if (e[2 * mid + 1]! > lo) b = mid;
    else a = mid + 1;
  }
  return a;
}

/**
 * Pixels in both masks. Only the columns both boxes cover can hold any (runs go down the columns), so the walk starts
 * at the first foreground run reaching into them and stops past them; the union is then the two areas minus this.
 */
function intersection(
  a: ParsedRle,
  ea: Uint32Array | Float64Array,
  b: ParsedRle,
  eb: Uint32Array | Float64Array,
): number {
  const h = a.size[0];
  const x0 = Math.max(a.bbox[0], b.bbox[0]);
  const x1 = Math.min(a.bbox[0] + a.bbox[2], b.bbox[0] + b.bbox[2]);
  if (x1 <= x0) return 0;
  const lo = x0 * h;
  const hi = x1 * h;
  const enda = 2 * (ea.length >> 1);
  const endb = 2 * (eb.length >> 1);
  let pa = 2 * firstRunAfter(ea, lo);
  let pb = 2 * firstRunAfter(eb, lo);
  if (pa >= enda || pb >= endb) return 0;
  let inter = 0;
  // The current foreground run of each: [sa, fa) and [sb, fb). The one that ends first moves on.
  let sa = ea[pa]!;
  let fa = ea[pa + 1]!;
  let sb = eb[pb]!;
  let fb = eb[pb + 1]!;
  while (sa < hi && sb < hi) {
    const s = sa > sb ? sa : sb;
    if (fa < fb) {
      if (fa > s) inter += fa - s;
      pa += 2;
      if (pa >= enda) break;
      sa = ea[pa]!;
      fa = ea[pa + 1]!;
    } else {
      if (fb > s) inter += fb - s;
      pb += 2;
      if (pb >= endb) break;
      sb = eb[pb]!;
      fb = eb[pb + 1]!;
    }
  }
  return inter;
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
  const de: (Uint32Array | Float64Array | undefined)[] = new Array(d.length);
  const ge: (Uint32Array | Float64Array | undefined)[] = new Array(g.length);
  for (let j = 0; j < g.length; j++) {
    const gj = g[j]!;
    const crowd = Boolean(iscrowd[j]);
    for (let k = 0; k < d.length; k++) {
      const dk = d[k]!;
      if (!(boxIou(dk.bbox, gj.bbox, crowd) > 0)) continue;
      assertSameRleSize(dk, gj);
      const ek = de[k] ?? runEnds(dk);
      const ej = ge[j] ?? runEnds(gj);
      de[k] = ek;
      ge[j] = ej;
      const i = intersection(dk, ek, gj, ej);
      out[k * g.length + j] = i === 0 ? 0 : i / (crowd ? dk.area : dk.area + gj.area - i);
    }
  }
  return out;
}

/** The IoU of two RLEs, and the share of `a`'s area inside `b` (0 when their boxes miss). */
export function rleOverlap(a: Rle | ParsedRle, b: Rle | ParsedRle): { iou: number; contained: number } {
  const pa = parseRle(a);
  const pb = parseRle(b);
  assertSameRleSize(pa, pb);
  if (!(boxIou(pa.bbox, pb.bbox) > 0)) return { iou: 0, contained: 0 };
  return overlapOf(pa, runEnds(pa), pb, runEnds(pb));
}

function overlapOf(
  a: ParsedRle,
  ea: Uint32Array | Float64Array,
  b: ParsedRle,
  eb: Uint32Array | Float64Array,
): { iou: number; contained: number } {
  const i = intersection(a, ea, b, eb);
  return { iou: i ? i / (a.area + b.area - i) : 0, contained: i ? i / a.area : 0 };
}

/**
 * Greedy non-maximum suppression over masks given best first: a mask is kept unless its IoU with a kept one exceeds
 * `iou`, or more than `contained` of its area lies inside a kept one. Returns the kept indices, in order. Pairs whose
 * boxes miss are never walked, so the cost follows the overlapping pairs.
 * @example rleNms(masksByScore, 0.7) // [0, 2, 5, …]
 */
export function rleNms(rles: (Rle | ParsedRle)[], iou: number, contained = 1): number[] {
  const parsed = rles.map(parseRle);
  const ends = parsed.map(runEnds);
  const kept: number[] = [];
  for (let k = 0; k < parsed.length; k++) {
    const pk = parsed[k]!;
    const dup = kept.some((j) => {
      const pj = parsed[j]!;
      assertSameRleSize(pk, pj);
      if (!(boxIou(pk.bbox, pj.bbox) > 0)) return false;
      const o = overlapOf(pk, ends[k]!, pj, ends[j]!);
      return o.iou > iou || o.contained > contained;
    });
    if (!dup) kept.push(k);
  }
  return kept;
}
