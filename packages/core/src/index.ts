/**
 * `@segkit/core`: exact mask math and image I/O. No model code lives here.
 * @packageDocumentation
 */
export type { Box, Contour, FlatPolygon, Mask, Point, RawImage, Rle, RleCompressed, RleUncompressed } from './types.js';
export * from './errors.js';
export { area, bbox, cloneMask, createMask, difference, intersection, invert, maskFromFunction, masksEqual, overlapCounts, union } from './mask.js';
export {
  assertPolygon,
  compressRle,
  countsFromString,
  countsToString,
  decompressRle,
  maskToRle,
  polygonsToRle,
  polygonToRle,
  rleArea,
  rleBbox,
  rleCounts,
  rleIou,
  rleMerge,
  rleToMask,
} from './rle.js';
export { maskToPolygons, polygonsToMask, simplifyRing } from './polygons.js';
export { fillHoles, labelComponents, removeSmallComponents, type ComponentStats, type Components } from './components.js';
export { close, cropMask, dilate, erode, open, resizeMask } from './morphology.js';
export { dice, iou, MetricAccumulator, type MetricReport, type MetricSummary } from './metrics.js';
export { readInput, writeFileAtomic } from './fs.js';
export {
  DEFAULT_MAX_PIXELS,
  encodeImage,
  formatFromPath,
  loadImage,
  writeImage,
  type ImageFormat,
  type ImageInput,
  type LoadImageOptions,
} from './image.js';
export { encodeMaskPng, readMask, writeMask } from './png.js';
export { cutout, maskToImage, overlay, paletteColor, panel, type OverlayOptions, type OverlaySegment, type PanelItem } from './render.js';
export { assertMask } from './validate.js';
