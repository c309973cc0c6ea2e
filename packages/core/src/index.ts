/**
 * `@segkit/core`: exact mask math and image I/O. No model code lives here.
 * @packageDocumentation
 */

export { type ArchiveLimits, DEFAULT_ARCHIVE_LIMITS, extractZip, extractZipToTemp } from './archive.js';
export {
  type ComponentStats,
  type Components,
  fillHoles,
  labelComponents,
  removeSmallComponents,
} from './components.js';
export * from './errors.js';
export {
  checkOutputs,
  describeBinary,
  parseJson,
  pendingTemps,
  readInput,
  readJsonFile,
  removePendingTemps,
  trackTemp,
  untrackTemp,
  writeFileAtomic,
} from './fs.js';
export { fromFloat16, toFloat16 } from './half.js';
export {
  DEFAULT_MAX_PIXELS,
  encodeImage,
  formatFromPath,
  type ImageFormat,
  type ImageInput,
  imageSize,
  type LoadImageOptions,
  loadImage,
  resizeImage,
  toRawImage,
  writeImage,
} from './image.js';
export {
  area,
  bbox,
  cloneMask,
  createMask,
  difference,
  intersection,
  invert,
  maskFromFunction,
  masksEqual,
  overlapCounts,
  union,
} from './mask.js';
export { dice, iou, MetricAccumulator, type MetricReport, type MetricSummary, scorePair } from './metrics.js';
export { close, cropMask, dilate, erode, open, resizeMask } from './morphology.js';
export { safeRelativePath } from './paths.js';
export { encodeMaskPng, readMask, writeMask } from './png.js';
export { maskToPolygons, polygonsToMask, simplifyRing } from './polygons.js';
export { type Progress, progressBar, silentProgress } from './progress.js';
export { seededRandom } from './random.js';
export {
  cutout,
  maskToImage,
  type OverlayOptions,
  type OverlaySegment,
  overlay,
  type PanelItem,
  paletteColor,
  panel,
  placeLabels,
  svgToPng,
  toRgb,
} from './render.js';
export {
  assertPolygon,
  compressRle,
  decompressRle,
  polygonsToRle,
  polygonToRle,
  rleArea,
  rleBbox,
  rleIou,
  rleToCroppedMask,
} from './rle.js';
export {
  boxIou,
  rleAreas,
  rleBboxes,
  rleIouMatrix,
  rleNms,
  rleOverlap,
} from './rle-batch.js';
export { maskToRle, rleToMask } from './rle-codec.js';
export { rleMerge } from './rle-merge.js';
export {
  countsFromString,
  countsToString,
  type ParsedRle,
  parseRle,
  rleCounts,
} from './rle-parse.js';
export type {
  Box,
  Contour,
  FlatPolygon,
  Mask,
  Point,
  RawImage,
  Rle,
  RleCompressed,
  RleUncompressed,
} from './types.js';
export { assertMask, assertSameSize } from './validate.js';
export { encodeZip, writeZip, type ZipFileEntry } from './zip.js';
