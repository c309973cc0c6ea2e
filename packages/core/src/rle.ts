import { PolygonInvalidError, RleInvalidError } from './errors.js';
import { parseRle } from './rle-batch.js';
import { rleMerge } from './rle-merge.js';
import type { Box, FlatPolygon, Mask, Rle, RleCompressed, RleUncompressed } from './types.js';
import { describe } from './validate.js';

/**
 * Compresses RLE counts to the COCO string: LEB128-like, 5 bits per char, chars 48–111,
 * counts after the third stored as differences from the count two places before.
 * @example countsToString([0, 1]) // "01"
 */
export function countsToString(counts: ArrayLike<number>): string {
  let codes = new Uint8Array(Math.max(16, counts.length * 2));
  let n = 0;
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i]!;
    if (i > 2) x -= counts[i - 2]!;
    if (n + 8 > codes.length) {
      const grown = new Uint8Array(codes.length * 2);
      grown.set(codes);
      codes = grown;
    }
    let more = true;
    while (more) {
      let c: number;
      if (x >= -0x40000000 && x < 0x40000000) {
        c = x & 31; // the low five bits; `>>` floors as the division below does
        x >>= 5;
      } else {
        c = ((x % 32) + 32) % 32;
        x = Math.floor(x / 32);
      }
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      codes[n++] = c + 48;
    }
  }
  let s = '';
  for (let i = 0; i < n; i += 8192) s += String.fromCharCode(...codes.subarray(i, Math.min(n, i + 8192)));
  return s;
}

/** Inverse of {@link countsToString}. Throws `E_RLE_INVALID` on characters outside 48–111. */
export function countsFromString(s: string): number[] {
  const out: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= s.length) throw new RleInvalidError('RLE counts string ends in the middle of a number');
      const c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new RleInvalidError(`RLE counts string has an invalid character at ${p}`);
      // Up to six characters (30 bits) fit in integer arithmetic; longer numbers fall back to powers of two.
      x += k < 6 ? (c & 0x1f) << (5 * k) : (c & 0x1f) * 2 ** (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && c & 0x10) x -= k < 6 ? 1 << (5 * k) : 2 ** (5 * k);
    }
    if (out.length > 2) x += out[out.length - 2]!;
    out.push(x);
  }
  return out;
}

/**
 * Validates an RLE (either form) and returns its counts as numbers.
 * Throws `E_RLE_INVALID` when the size is bad, a count is negative, or counts do not sum to h×w.
 */
export function rleCounts(rle: Rle): number[] {
  if (!rle || typeof rle !== 'object')
    throw new RleInvalidError(`Expected an RLE object but received ${describe(rle)}`);
  const size = (rle as Rle).size;
  if (!Array.isArray(size) || size.length !== 2 || !size.every((v) => Number.isInteger(v) && v >= 0)) {
    throw new RleInvalidError(
      `RLE size must be [height, width] of non-negative integers, got ${describe(size)}`,
    );
  }
  let counts: number[];
  if (typeof rle.counts === 'string') counts = countsFromString(rle.counts);
  else if (Array.isArray(rle.counts)) counts = rle.counts;
  else throw new RleInvalidError('RLE counts must be a string or an array of numbers');
  let sum = 0;
  for (const c of counts) {
    if (!Number.isInteger(c) || c < 0)
      throw new RleInvalidError(`RLE counts must be non-negative integers, got ${c}`);
    sum += c;
  }
  const [h, w] = size;
  if (sum !== h * w) throw new RleInvalidError(`RLE counts sum to ${sum} but size ${h}×${w} needs ${h * w}`);
  return counts;
}

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

/** The tight box of column-major runs of an image `h` pixels tall (pycocotools' `toBbox`). */
export function countsBbox(counts: ArrayLike<number>, h: number): Box {
  let x0 = Infinity;
  let x1 = -1;
  let y0 = Infinity;
  let y1 = -1;
  let pos = 0;
  for (let i = 0; i < counts.length; i++) {
    const len = counts[i]!;
    if (i & 1 && len > 0) {
      const xs = Math.floor(pos / h);
      const ys = pos - xs * h;
      const end = pos + len - 1;
      const xe = Math.floor(end / h);
      const ye = end - xe * h;
      x0 = Math.min(x0, xs);
      x1 = Math.max(x1, xe);
      if (xs === xe) {
        y0 = Math.min(y0, ys);
        y1 = Math.max(y1, ye);
      } else {
        y0 = 0;
        y1 = h - 1;
      }
    }
    pos += len;
  }
  return x1 < 0 ? [0, 0, 0, 0] : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}

export function assertSameRleSize(a: Rle, b: Rle): void {
  if (a.size[0] !== b.size[0] || a.size[1] !== b.size[1]) {
    throw new RleInvalidError(`RLEs differ in size: ${a.size.join('×')} vs ${b.size.join('×')}`);
  }
}

/** Walks the runs of two RLEs in lockstep, calling `visit(valueA, valueB, length)` for each common stretch. */
function walkRuns(
  ca: ArrayLike<number>,
  cb: ArrayLike<number>,
  visit: (va: number, vb: number, len: number) => void,
): void {
  let ia = 0;
  let ib = 0;
  let ra = ca[0] ?? 0;
  let rb = cb[0] ?? 0;
  while (ia < ca.length && ib < cb.length) {
    if (ra === 0) {
      ra = ca[++ia] ?? 0;
      continue;
    }
    if (rb === 0) {
      rb = cb[++ib] ?? 0;
      continue;
    }
    const step = Math.min(ra, rb);
    visit(ia & 1, ib & 1, step);
    ra -= step;
    rb -= step;
  }
}

/**
 * IoU of two RLEs computed on the runs. With `iscrowd`, the denominator is the area of `a`
 * (the detection), as in pycocotools. Two empty masks have IoU 1 (see docs/masks.md).
 */
export function rleIou(a: Rle, b: Rle, opts: { iscrowd?: boolean } = {}): number {
  assertSameRleSize(a, b);
  const ca = parseRle(a).counts;
  const cb = parseRle(b).counts;
  let inter = 0;
  let areaA = 0;
  let areaB = 0;
  walkRuns(ca, cb, (va, vb, len) => {
    if (va) areaA += len;
    if (vb) areaB += len;
    if (va & vb) inter += len;
  });
  const denom = opts.iscrowd ? areaA : areaA + areaB - inter;
  if (denom === 0) return areaA + areaB === 0 ? 1 : 0;
  return inter / denom;
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
