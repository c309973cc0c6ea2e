import { PolygonInvalidError } from './errors.js';
import { rleOverlap } from './rle-batch.js';
import { rleMerge } from './rle-merge.js';
import { countsToString, parseRle, rleCounts } from './rle-parse.js';
import type { Box, FlatPolygon, Mask, Rle, RleCompressed, RleUncompressed } from './types.js';

/**
 * Decodes only the part of an RLE inside its bounding box: `{ mask, box }` with the mask at the box's size.
 * Cost follows the runs and the box area, not the image size.
 * @example rleToCroppedMask(rle).box // the same as rleBbox(rle)
 */
export function rleToCroppedMask(rle: Rle): { mask: Mask; box: Box } {
  const box = rleBbox(rle);
  const [bx, by, bw, bh] = box;
  const data = new Uint8Array(bw * bh);
  const counts = rleCounts(rle);
  const h = rle.size[0];
  let pos = 0;
  for (let r = 0; r < counts.length; r++) {
    const len = counts[r]!;
    if (r & 1) {
      for (let p = pos, end = pos + len; p < end; ) {
        const x = Math.floor(p / h);
        const y = p - x * h;
        const n = Math.min(end - p, h - y); // the rest of this run in this column
        for (let k = 0; k < n; k++) data[(y + k - by) * bw + (x - bx)] = 1;
        p += n;
      }
    }
    pos += len;
  }
  return { mask: { width: bw, height: bh, data }, box };
}

/** Converts an RLE to the compressed string form. */
export function compressRle(rle: Rle): RleCompressed {
  return { size: [rle.size[0], rle.size[1]], counts: countsToString(rleCounts(rle)) };
}

/** Converts an RLE to the uncompressed (number array) form. */
export function decompressRle(rle: Rle): RleUncompressed {
  return { size: [rle.size[0], rle.size[1]], counts: rleCounts(rle).slice() };
}

/** Foreground area computed on the runs. @example rleArea({ size: [2, 2], counts: [1, 2, 1] }) // 2 */
export function rleArea(rle: Rle): number {
  return parseRle(rle).area;
}

/** Tight bounding box `[x, y, w, h]` computed on the runs (equals `bbox(rleToMask(rle))`). */
export function rleBbox(rle: Rle): Box {
  return [...parseRle(rle).bbox] as Box;
}

/**
 * IoU of two RLEs computed on the runs. With `iscrowd`, the denominator is the area of `a`
 * (the detection), as in pycocotools. Two empty masks have IoU 0, as everywhere in SegKit (see docs/masks.md).
 */
export function rleIou(a: Rle, b: Rle, opts: { iscrowd?: boolean } = {}): number {
  const o = rleOverlap(a, b); // checks the sizes
  return opts.iscrowd ? o.contained : o.iou;
}

/** Checks a flat polygon `[x1, y1, x2, y2, ...]`: at least 3 points, even length, finite numbers. */
export function assertPolygon(poly: unknown, name = 'polygon'): asserts poly is FlatPolygon {
  if (
    !Array.isArray(poly) ||
    poly.length % 2 !== 0 ||
    !poly.every((v) => typeof v === 'number' && Number.isFinite(v))
  ) {
    throw new PolygonInvalidError(`${name} must be a flat [x1, y1, x2, y2, ...] list of finite numbers`);
  }
  if (poly.length < 6)
    throw new PolygonInvalidError(`${name} has ${poly.length / 2} points; a polygon needs at least 3`);
}

/**
 * Rasterises one COCO polygon to an RLE with pycocotools `frPyObjects` semantics
 * (5× upsampled boundary, y-boundary points sampled at pixel centres), so results match pycocotools exactly.
 */
export function polygonToRle(poly: FlatPolygon, height: number, width: number): RleCompressed {
  assertPolygon(poly);
  const k = poly.length / 2;
  const scale = 5;
  const x = new Array<number>(k + 1);
  const y = new Array<number>(k + 1);
  for (let j = 0; j < k; j++) {
    x[j] = Math.trunc(scale * poly[2 * j]! + 0.5);
    y[j] = Math.trunc(scale * poly[2 * j + 1]! + 0.5);
  }
  x[k] = x[0]!;
  y[k] = y[0]!;
  // Upsample and get discrete points densely along the whole boundary.
  const u: number[] = [];
  const v: number[] = [];
  for (let j = 0; j < k; j++) {
    let xs = x[j]!;
    let xe = x[j + 1]!;
    let ys = y[j]!;
    let ye = y[j + 1]!;
    const dx = Math.abs(xe - xs);
    const dy = Math.abs(ys - ye);
    const flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) {
      [xs, xe] = [xe, xs];
      [ys, ye] = [ye, ys];
    }
    const s = dx >= dy ? (ye - ys) / dx : (xe - xs) / dy;
    if (dx >= dy) {
      for (let d = 0; d <= dx; d++) {
        const t = flip ? dx - d : d;
        u.push(t + xs);
        v.push(Math.trunc(ys + s * t + 0.5));
      }
    } else {
      for (let d = 0; d <= dy; d++) {
        const t = flip ? dy - d : d;
        v.push(t + ys);
        u.push(Math.trunc(xs + s * t + 0.5));
      }
    }
  }
  // Get points along the y-boundary and downsample.
  const a: number[] = [];
  for (let j = 1; j < u.length; j++) {
    if (u[j] === u[j - 1]) continue;
    let xd = u[j]! < u[j - 1]! ? u[j]! : u[j]! - 1;
    xd = (xd + 0.5) / scale - 0.5;
    if (Math.floor(xd) !== xd || xd < 0 || xd > width - 1) continue;
    let yd = Math.min(v[j]!, v[j - 1]!);
    yd = (yd + 0.5) / scale - 0.5;
    if (yd < 0) yd = 0;
    else if (yd > height) yd = height;
    yd = Math.ceil(yd);
    a.push(xd * height + yd);
  }
  // Compute the RLE from the y-boundary points.
  a.push(height * width);
  a.sort((p, q) => p - q);
  let prev = 0;
  for (let j = 0; j < a.length; j++) {
    const t = a[j]!;
    a[j] = t - prev;
    prev = t;
  }
  const b: number[] = [a[0]!];
  for (let j = 1; j < a.length; ) {
    if (a[j]! > 0) b.push(a[j++]!);
    else {
      j++;
      if (j < a.length) b[b.length - 1]! += a[j++]!;
    }
  }
  return { size: [height, width], counts: countsToString(b) };
}

/** Rasterises several COCO polygons of one object and merges them (pycocotools `frPyObjects` + `merge`). */
export function polygonsToRle(polys: FlatPolygon[], height: number, width: number): RleCompressed {
  if (!Array.isArray(polys) || polys.length === 0)
    throw new PolygonInvalidError('Expected at least one polygon');
  return rleMerge(polys.map((p) => polygonToRle(p, height, width)));
}
