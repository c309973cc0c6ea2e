import type { Box, Mask } from './types.js';
import { assertInteger, assertMask, assertNumber, boxToPixelBounds } from './validate.js';

const INF = 1e20;

/**
 * Squared Euclidean distance from every pixel to the nearest pixel where `isSeed` is 1
 * (Felzenszwalb–Huttenlocher lower-envelope algorithm, exact, O(pixels)).
 */
function squaredDistance(seed: Uint8Array, seedValue: number, W: number, H: number): Float32Array {
  const d = new Float32Array(W * H);
  // Column pass: 1D distance along y.
  for (let x = 0; x < W; x++) {
    let last = -1;
    for (let y = 0; y < H; y++) {
      const i = y * W + x;
      if (seed[i] === seedValue) last = y;
      d[i] = last < 0 ? INF : (y - last) * (y - last);
    }
    last = -1;
    for (let y = H - 1; y >= 0; y--) {
      const i = y * W + x;
      if (seed[i] === seedValue) last = y;
      if (last >= 0) {
        const v = (last - y) * (last - y);
        if (v < d[i]!) d[i] = v;
      }
    }
  }
  // Row pass: lower envelope of parabolas.
  const f = new Float64Array(W);
  const v = new Int32Array(W);
  const z = new Float64Array(W + 1);
  for (let y = 0; y < H; y++) {
    const row = y * W;
    for (let x = 0; x < W; x++) f[x] = d[row + x]!;
    let k = 0;
    v[0] = 0;
    z[0] = -Infinity;
    z[1] = Infinity;
    for (let q = 1; q < W; q++) {
      let s = (f[q]! + q * q - (f[v[k]!]! + v[k]! * v[k]!)) / (2 * q - 2 * v[k]!);
      while (s <= z[k]!) {
        k--;
        s = (f[q]! + q * q - (f[v[k]!]! + v[k]! * v[k]!)) / (2 * q - 2 * v[k]!);
      }
      k++;
      v[k] = q;
      z[k] = s;
      z[k + 1] = Infinity;
    }
    k = 0;
    for (let q = 0; q < W; q++) {
      while (z[k + 1]! < q) k++;
      const p = v[k]!;
      d[row + q] = (q - p) * (q - p) + f[p]!;
    }
  }
  return d;
}

function threshold(mask: Mask, seedValue: number, radius: number): Uint8Array {
  const { width: W, height: H, data } = mask;
  const d = squaredDistance(data, seedValue, W, H);
  const r2 = radius * radius;
  const out = new Uint8Array(W * H);
  // Dilation: within r of a foreground pixel. Erosion: not within r of a background pixel.
  const hit = seedValue === 1 ? 1 : 0;
  for (let i = 0; i < out.length; i++) out[i] = d[i]! <= r2 ? hit : hit ^ 1;
  return out;
}

/**
 * Dilates with a Euclidean disk of `radius` pixels (a pixel joins when a foreground pixel lies within `radius`).
 * @example dilate(singlePixel, 1) // a plus-shaped 5-pixel cross
 */
export function dilate(mask: Mask, radius: number): Mask {
  assertMask(mask);
  assertNumber(radius, 'radius', 0);
  if (radius === 0) return { ...mask, data: mask.data.slice() };
  return { width: mask.width, height: mask.height, data: threshold(mask, 1, radius) };
}

/**
 * Erodes with a Euclidean disk of `radius` pixels. Pixels outside the image do not erode (as in OpenCV).
 * @example erode(square5x5, 1) // the 3×3 centre
 */
export function erode(mask: Mask, radius: number): Mask {
  assertMask(mask);
  assertNumber(radius, 'radius', 0);
  if (radius === 0) return { ...mask, data: mask.data.slice() };
  return { width: mask.width, height: mask.height, data: threshold(mask, 0, radius) };
}

/** Opening (erode then dilate): removes specks and thin spurs narrower than the disk. */
export function open(mask: Mask, radius: number): Mask {
  return dilate(erode(mask, radius), radius);
}

/** Closing (dilate then erode): fills gaps and notches narrower than the disk. */
export function close(mask: Mask, radius: number): Mask {
  return erode(dilate(mask, radius), radius);
}

/**
 * Resizes a mask with nearest-neighbour sampling at pixel centres.
 * @example resizeMask(mask, 200, 100) // { width: 200, height: 100, ... }
 */
export function resizeMask(mask: Mask, width: number, height: number): Mask {
  assertMask(mask);
  assertInteger(width, 'width', 1);
  assertInteger(height, 'height', 1);
  const { width: sw, height: sh, data } = mask;
  const out = new Uint8Array(width * height);
  if (sw === 0 || sh === 0) return { width, height, data: out };
  const xmap = new Int32Array(width);
  for (let x = 0; x < width; x++) xmap[x] = Math.min(sw - 1, Math.floor(((x + 0.5) * sw) / width));
  for (let y = 0; y < height; y++) {
    const sy = Math.min(sh - 1, Math.floor(((y + 0.5) * sh) / height));
    const srow = sy * sw;
    const drow = y * width;
    for (let x = 0; x < width; x++) out[drow + x] = data[srow + xmap[x]!]!;
  }
  return { width, height, data: out };
}

/**
 * Crops a mask to a box `[x, y, w, h]`; fractional boxes are rounded outwards. The box must lie inside the mask.
 * @example cropMask(mask, [10, 20, 30, 40]) // { width: 30, height: 40, ... }
 */
export function cropMask(mask: Mask, box: Box): Mask {
  assertMask(mask);
  const [x0, y0, x1, y1] = boxToPixelBounds(box, mask.width, mask.height);
  const w = x1 - x0;
  const h = y1 - y0;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const s = (y0 + y) * mask.width + x0;
    out.set(mask.data.subarray(s, s + w), y * w);
  }
  return { width: w, height: h, data: out };
}
