/**
 * A binary mask: one byte per pixel, 0 or 1, row-major (`data[y * width + x]`).
 *
 * @example
 * const m: Mask = { width: 2, height: 1, data: Uint8Array.of(0, 1) }; // pixel (1, 0) is foreground
 */
export interface Mask {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A box `[x, y, w, h]` in image pixels, like COCO: pixel (x, y) is its top-left pixel. */
export type Box = [x: number, y: number, w: number, h: number];

/** A point `[x, y]` in image pixels. */
export type Point = [x: number, y: number];

/**
 * COCO run-length encoding. `size` is `[height, width]`; `counts` alternates runs of 0s and 1s in
 * column-major order, starting with 0s. Either a number array (uncompressed) or the compressed string.
 */
export interface Rle {
  size: [h: number, w: number];
  counts: number[] | string;
}

/** An RLE in the uncompressed form. */
export interface RleUncompressed {
  size: [h: number, w: number];
  counts: number[];
}

/** An RLE in the compressed (string) form, byte-identical to pycocotools. */
export interface RleCompressed {
  size: [h: number, w: number];
  counts: string;
}

/** A flat polygon ring `[x1, y1, x2, y2, ...]` in image coordinates (pixel (x, y) covers [x, x+1)×[y, y+1)). */
export type FlatPolygon = number[];

/** A contour ring of a mask, tagged as the outer boundary of a component or the boundary of a hole. */
export interface Contour {
  type: 'outer' | 'hole';
  /** Index of the 8-connected component this ring belongs to (as numbered by `connectedComponents`). */
  component: number;
  points: FlatPolygon;
}

/** An 8-bit raster image with 1 (grey), 3 (RGB) or 4 (RGBA) interleaved channels. */
export interface RawImage {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  data: Uint8Array;
}
