import type { Mask } from '@segkit/core';

/**
 * Turns one low-res logit map into a binary mask at the original image size in a single pass:
 * each output pixel centre is mapped through the processor's resize into the low-res frame and sampled
 * bilinearly; foreground where the logit is > 0. `frame` is the (padded) model input the logits cover,
 * `reshaped` the part of it the image occupies.
 */
export function logitsToMask(
  logits: Float32Array,
  offset: number,
  low: [number, number],
  frame: [number, number],
  reshaped: [number, number],
  original: [number, number],
): Mask {
  const [lh, lw] = low;
  const [oh, ow] = original;
  const axis = (n: number, resized: number, frameN: number, lowN: number) => {
    const i0 = new Int32Array(n);
    const i1 = new Int32Array(n);
    const w1 = new Float32Array(n);
    for (let k = 0; k < n; k++) {
      const u = ((k + 0.5) * resized) / n; // continuous coordinate in the frame
      const g = Math.min(Math.max((u * lowN) / frameN - 0.5, 0), lowN - 1);
      const a = Math.floor(g);
      i0[k] = a;
      i1[k] = Math.min(a + 1, lowN - 1);
      w1[k] = g - a;
    }
    return { i0, i1, w1 };
  };
  const X = axis(ow, reshaped[1], frame[1], lw);
  const Y = axis(oh, reshaped[0], frame[0], lh);
  const data = new Uint8Array(ow * oh);
  const rowA = new Float32Array(ow);
  const rowB = new Float32Array(ow);
  let lastY = -1;
  for (let y = 0; y < oh; y++) {
    const ya = Y.i0[y]!;
    if (ya !== lastY) {
      // Interpolate the two source rows along x once per distinct source row.
      const ra = offset + ya * lw;
      const rb = offset + Y.i1[y]! * lw;
      for (let x = 0; x < ow; x++) {
        const xa = X.i0[x]!;
        const xb = X.i1[x]!;
        const wx = X.w1[x]!;
        rowA[x] = logits[ra + xa]! * (1 - wx) + logits[ra + xb]! * wx;
        rowB[x] = logits[rb + xa]! * (1 - wx) + logits[rb + xb]! * wx;
      }
      lastY = ya;
    }
    const wy = Y.w1[y]!;
    const out = y * ow;
    for (let x = 0; x < ow; x++) data[out + x] = rowA[x]! * (1 - wy) + rowB[x]! * wy > 0 ? 1 : 0;
  }
  return { width: ow, height: oh, data };
}

/** Bilinear resize of a single-channel float map, sampling at pixel centres (values are clamped at the borders). */
export function resizeBilinear(
  src: Float32Array,
  sw: number,
  sh: number,
  dw: number,
  dh: number,
): Float32Array {
  const out = new Float32Array(dw * dh);
  const table = (n: number, s: number) => {
    const i0 = new Int32Array(n);
    const i1 = new Int32Array(n);
    const w = new Float32Array(n);
    for (let k = 0; k < n; k++) {
      const g = Math.min(Math.max(((k + 0.5) * s) / n - 0.5, 0), s - 1);
      i0[k] = Math.floor(g);
      i1[k] = Math.min(i0[k]! + 1, s - 1);
      w[k] = g - i0[k]!;
    }
    return { i0, i1, w };
  };
  const X = table(dw, sw);
  const Y = table(dh, sh);
  for (let y = 0; y < dh; y++) {
    const ra = Y.i0[y]! * sw;
    const rb = Y.i1[y]! * sw;
    const wy = Y.w[y]!;
    for (let x = 0; x < dw; x++) {
      const xa = X.i0[x]!;
      const xb = X.i1[x]!;
      const wx = X.w[x]!;
      const top = src[ra + xa]! * (1 - wx) + src[ra + xb]! * wx;
      const bottom = src[rb + xa]! * (1 - wx) + src[rb + xb]! * wx;
      out[y * dw + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}
