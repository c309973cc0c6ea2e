// SAM 3's image pre-processing, with no runtime import: the image stretched to 1008×1008 (no padding, aspect not kept)
// with an antialiased bilinear (triangle) filter, then normalised with mean = std = 0.5. The filter is PIL's
// BILINEAR resampling (support widened by the scale when shrinking, weights normalised per output pixel), computed
// in float so nothing is rounded before the model sees it; `tests/reference/sam3_reference.py` implements the same.
import type { RawImage } from '@segkit/core';

/** The side of SAM 3's square input. */
export const SAM3_SIDE = 1008;
/** The side of its mask logits. */
export const SAM3_MASK_SIDE = 288;

interface Taps {
  start: Int32Array;
  count: Int32Array;
  weights: Float32Array;
  /** Taps per output pixel (the widest). */
  width: number;
}

/** The filter taps that resample `inSize` pixels to `outSize` along one axis. */
export function triangleTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // the triangle's support is 1, widened when shrinking
  const width = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * width);
  for (let i = 0; i < outSize; i++) {
    const centre = (i + 0.5) * scale;
    const lo = Math.max(Math.trunc(centre - support + 0.5), 0);
    const hi = Math.min(Math.trunc(centre + support + 0.5), inSize);
    let total = 0;
    for (let j = lo; j < hi; j++) {
      const w = Math.max(0, 1 - Math.abs((j - centre + 0.5) / filterScale));
      weights[i * width + j - lo] = w;
      total += w;
    }
    for (let j = lo; j < hi; j++) weights[i * width + j - lo]! /= total || 1;
    start[i] = lo;
    count[i] = hi - lo;
  }
  return { start, count, weights, width };
}

/**
 * The image as RGB float planes [3, side, side] in 0–255, resized with {@link triangleTaps} along x then y.
 * Grey and RGBA images are read as RGB (alpha dropped).
 */
export function resizePlanes(image: RawImage, side = SAM3_SIDE): Float32Array {
  const { width: W, height: H, channels: C, data } = image;
  const X = triangleTaps(W, side);
  const Y = triangleTaps(H, side);
  const rows = new Float32Array(3 * H * side); // x-resized rows, per channel
  for (let y = 0; y < H; y++) {
    for (let i = 0; i < side; i++) {
      const s = X.start[i]!;
      const n = X.count[i]!;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < n; k++) {
        const w = X.weights[i * X.width + k]!;
        const p = (y * W + s + k) * C;
        r += w * data[p]!;
        g += w * data[C >= 3 ? p + 1 : p]!;
        b += w * data[C >= 3 ? p + 2 : p]!;
      }
      rows[y * side + i] = r;
      rows[H * side + y * side + i] = g;
      rows[2 * H * side + y * side + i] = b;
    }
  }
  const out = new Float32Array(3 * side * side);
  for (let c = 0; c < 3; c++) {
    const plane = c * H * side;
    for (let j = 0; j < side; j++) {
      const s = Y.start[j]!;
      const n = Y.count[j]!;
      const o = c * side * side + j * side;
      for (let k = 0; k < n; k++) {
        const w = Y.weights[j * Y.width + k]!;
        const row = plane + (s + k) * side;
        for (let i = 0; i < side; i++) out[o + i]! += w * rows[row + i]!;
      }
    }
  }
  return out;
}

/** Pixel values for the float layouts: [1, 3, 1008, 1008], (x / 255 − 0.5) / 0.5. */
export function sam3PixelValues(image: RawImage): Float32Array {
  const planes = resizePlanes(image);
  for (let i = 0; i < planes.length; i++) planes[i] = planes[i]! / 127.5 - 1;
  return planes;
}

/** Pixel values for samexporter's encoder: uint8 [3, 1008, 1008], the resized planes rounded (it normalises inside). */
export function sam3Uint8Planes(image: RawImage): Uint8Array {
  const planes = resizePlanes(image);
  const out = new Uint8Array(planes.length);
  for (let i = 0; i < planes.length; i++) out[i] = Math.min(255, Math.max(0, Math.round(planes[i]!)));
  return out;
}
