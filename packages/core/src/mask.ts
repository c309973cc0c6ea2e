import type { Box, Mask } from './types.js';
import { assertInteger, assertMask, assertSameSize } from './validate.js';

/**
 * Creates an all-zero mask.
 * @example createMask(3, 2).data // Uint8Array(6) [0, 0, 0, 0, 0, 0]
 */
export function createMask(width: number, height: number): Mask {
  assertInteger(width, 'width');
  assertInteger(height, 'height');
  return { width, height, data: new Uint8Array(width * height) };
}

/**
 * Builds a mask from a predicate over pixel coordinates.
 * @example maskFromFunction(4, 4, (x, y) => x < 2 && y < 2) // a 2×2 square at the top-left
 */
export function maskFromFunction(width: number, height: number, fn: (x: number, y: number) => boolean): Mask {
  const m = createMask(width, height);
  for (let y = 0, i = 0; y < height; y++) for (let x = 0; x < width; x++, i++) m.data[i] = fn(x, y) ? 1 : 0;
  return m;
}

/** Number of foreground pixels. @example area(maskFromFunction(4, 4, (x) => x < 1)) // 4 */
export function area(mask: Mask): number {
  assertMask(mask);
  const d = mask.data;
  let n = 0;
  for (let i = 0; i < d.length; i++) n += d[i]!;
  return n;
}

/**
 * Tight bounding box `[x, y, w, h]` of the foreground; `[0, 0, 0, 0]` for an empty mask.
 * @example bbox(maskFromFunction(8, 8, (x, y) => x >= 2 && x < 5 && y === 3)) // [2, 3, 3, 1]
 */
export function bbox(mask: Mask): Box {
  assertMask(mask);
  const { width: w, height: h, data } = mask;
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let first = -1;
    for (let x = 0; x < w; x++) {
      if (data[row + x]) {
        first = x;
        break;
      }
    }
    if (first < 0) continue;
    let last = first;
    for (let x = w - 1; x > first; x--) {
      if (data[row + x]) {
        last = x;
        break;
      }
    }
    if (y < y0) y0 = y;
    y1 = y;
    if (first < x0) x0 = first;
    if (last > x1) x1 = last;
  }
  return x1 < 0 ? [0, 0, 0, 0] : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}

/** Pixel counts of the intersection and the union of two same-size masks. */
export function overlapCounts(
  a: Mask,
  b: Mask,
): { intersection: number; union: number; areaA: number; areaB: number } {
  assertMask(a, 'a');
  assertMask(b, 'b');
  assertSameSize(a, b, 'Masks differ in size');
  const da = a.data;
  const db = b.data;
  let inter = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < da.length; i++) {
    const va = da[i]!;
    const vb = db[i]!;
    sa += va;
    sb += vb;
    inter += va & vb;
  }
  return { intersection: inter, union: sa + sb - inter, areaA: sa, areaB: sb };
}

function combine(a: Mask, b: Mask, op: (x: number, y: number) => number): Mask {
  assertMask(a, 'a');
  assertMask(b, 'b');
  assertSameSize(a, b, 'Masks differ in size');
  const out = new Uint8Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = op(a.data[i]!, b.data[i]!);
  return { width: a.width, height: a.height, data: out };
}

/** Pixels in `a` or `b`. */
export const union = (a: Mask, b: Mask): Mask => combine(a, b, (x, y) => x | y);
/** Pixels in both `a` and `b`. */
export const intersection = (a: Mask, b: Mask): Mask => combine(a, b, (x, y) => x & y);
/** Pixels in `a` but not in `b`. */
export const difference = (a: Mask, b: Mask): Mask => combine(a, b, (x, y) => x & (y ^ 1));

/** Pixels not in `mask`. */
export function invert(mask: Mask): Mask {
  assertMask(mask);
  const out = new Uint8Array(mask.data.length);
  for (let i = 0; i < out.length; i++) out[i] = mask.data[i]! ^ 1;
  return { width: mask.width, height: mask.height, data: out };
}

/** True when both masks have the same size and the same pixels. */
export function masksEqual(a: Mask, b: Mask): boolean {
  if (a.width !== b.width || a.height !== b.height || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}

/** Copies a mask. */
export function cloneMask(mask: Mask): Mask {
  return { width: mask.width, height: mask.height, data: mask.data.slice() };
}
