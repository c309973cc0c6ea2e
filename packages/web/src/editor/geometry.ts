// Coordinate frames of the annotator: screen (CSS pixels in the stage canvas), image (pixels of the original image)
// and the model frame (the resized image the SAM encoder saw). Pure functions, unit tested.

/** The view: image pixel (x, y) is drawn at screen (x * scale + tx, y * scale + ty). */
export interface View {
  scale: number;
  tx: number;
  ty: number;
}

export type Point = [number, number];
/** [x, y, w, h] in image pixels. */
export type BoxXYWH = [number, number, number, number];

export const screenToImage = (v: View, [sx, sy]: Point): Point => [
  (sx - v.tx) / v.scale,
  (sy - v.ty) / v.scale,
];
export const imageToScreen = (v: View, [x, y]: Point): Point => [x * v.scale + v.tx, y * v.scale + v.ty];

/** The view that fits an image into a stage with a margin, centred. */
export function fitView(imageW: number, imageH: number, stageW: number, stageH: number, margin = 16): View {
  const scale = Math.max(1e-3, Math.min((stageW - 2 * margin) / imageW, (stageH - 2 * margin) / imageH));
  return { scale, tx: (stageW - imageW * scale) / 2, ty: (stageH - imageH * scale) / 2 };
}

/**
 * Zooms by `factor` about a screen point, which stays over the same image pixel. Scale is kept in `limits` (default
 * [0.02, 64], for image pixels; a view of unit coordinates passes limits relative to its fitted scale).
 */
export function zoomAt(v: View, [sx, sy]: Point, factor: number, limits = { min: 0.02, max: 64 }): View {
  const scale = Math.min(limits.max, Math.max(limits.min, v.scale * factor));
  const k = scale / v.scale;
  return { scale, tx: sx - (sx - v.tx) * k, ty: sy - (sy - v.ty) * k };
}

export const panBy = (v: View, dx: number, dy: number): View => ({ ...v, tx: v.tx + dx, ty: v.ty + dy });

/** Clamps an image point to the image. */
export const clampToImage = ([x, y]: Point, w: number, h: number): Point => [
  Math.min(Math.max(x, 0), w - 1e-6),
  Math.min(Math.max(y, 0), h - 1e-6),
];

/** The box spanned by two image points (any drag direction), clipped to the image. */
export function boxFromDrag(a: Point, b: Point, w: number, h: number): BoxXYWH {
  const [x0, y0] = clampToImage([Math.min(a[0], b[0]), Math.min(a[1], b[1])], w, h);
  const [x1, y1] = clampToImage([Math.max(a[0], b[0]), Math.max(a[1], b[1])], w, h);
  return [x0, y0, x1 - x0, y1 - y0];
}

/**
 * Image pixels → the model frame, as the server maps prompts (transformers.js SamProcessor): each axis is scaled by
 * reshaped / original. `reshaped` and `original` are [height, width].
 */
export function imageToModel([x, y]: Point, original: [number, number], reshaped: [number, number]): Point {
  return [(x * reshaped[1]) / original[1], (y * reshaped[0]) / original[0]];
}

export function modelToImage([x, y]: Point, original: [number, number], reshaped: [number, number]): Point {
  return [(x * original[1]) / reshaped[1], (y * original[0]) / reshaped[0]];
}
