// Masks drawn as pixels: a translucent fill and an outline, solid for user-made and dashed for model-made masks (so
// colour is never the only cue). RLE decoding is cached by the RLE's text.
import { type Mask, rleToMask } from '@segkit/core/mask';
import type { LocalAnnotation } from '../editor/history.js';
import { colourOf, toRgb } from '../util.js';

const decoded = new Map<string, Mask>();

export function maskOfRle(rle: { size: [number, number]; counts: string }): Mask {
  const key = `${rle.size.join('x')}:${rle.counts}`;
  let m = decoded.get(key);
  if (!m) {
    m = rleToMask(rle);
    decoded.set(key, m);
    if (decoded.size > 2000) decoded.delete(decoded.keys().next().value!);
  }
  return m;
}

/** The whole pixels [x0, y0, x1, y1) a region [x, y, w, h] touches in a W×H image (all of it without a region). */
export function pixelBounds(
  W: number,
  H: number,
  region?: readonly number[],
): [number, number, number, number] {
  if (!region) return [0, 0, W, H];
  return [
    Math.max(0, Math.floor(region[0]!)),
    Math.max(0, Math.floor(region[1]!)),
    Math.min(W, Math.ceil(region[0]! + region[2]!) + 1),
    Math.min(H, Math.ceil(region[1]! + region[3]!) + 1),
  ];
}

/**
 * Paints one mask into RGBA pixels of the same size; `region` [x, y, w, h] (the mask's box, or the part shown) limits
 * the work to it, so that a small object on a large photo costs what the object covers. With `into`, the pixels are
 * an image of the region's size only (a thumbnail), not of the whole mask.
 */
export function paintMask(
  px: Uint8ClampedArray,
  mask: Mask,
  [r, g, b]: [number, number, number],
  opts: { fill: number; dashed: boolean; outline: number },
  region?: readonly number[],
  into: 'mask' | 'region' = 'mask',
) {
  const { width: W, height: H, data } = mask;
  const [x0, y0, x1, y1] = pixelBounds(W, H, region);
  const stride = into === 'region' ? x1 - x0 : W;
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) {
      const i = y * W + x;
      if (!data[i]) continue;
      const edge =
        x === 0 ||
        y === 0 ||
        x === W - 1 ||
        y === H - 1 ||
        !data[i - 1] ||
        !data[i + 1] ||
        !data[i - W] ||
        !data[i + W];
      const onDash = !opts.dashed || ((x + y) >> 2) % 2 === 0;
      const a = edge ? (onDash ? opts.outline : opts.fill) : opts.fill;
      const o = (into === 'region' ? (y - y0) * stride + (x - x0) : i) * 4;
      // Blend over what is there (masks may overlap).
      const k = a / 255;
      px[o] = px[o]! * (1 - k) + r * k;
      px[o + 1] = px[o + 1]! * (1 - k) + g * k;
      px[o + 2] = px[o + 2]! * (1 - k) + b * k;
      px[o + 3] = Math.max(px[o + 3]!, a);
    }
}

/** Draws every mask of a list into a canvas of the image's size. */
export function drawMaskLayer(
  canvas: HTMLCanvasElement,
  width: number,
  height: number,
  annotations: Pick<LocalAnnotation, 'key' | 'rle' | 'label' | 'source' | 'bbox'>[],
  labels: { name: string; colour: string }[],
  selected: string | null,
) {
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const img = ctx.createImageData(width, height);
  for (const a of annotations) {
    if (!a.rle || a.rle.size[0] !== height || a.rle.size[1] !== width) continue;
    paintMask(
      img.data,
      maskOfRle(a.rle),
      toRgb(colourOf(a.label, labels)),
      {
        fill: a.key === selected ? 130 : 90,
        outline: 255,
        dashed: a.source === 'model',
      },
      a.bbox,
    );
  }
  ctx.putImageData(img, 0, 0);
}
