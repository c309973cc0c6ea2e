export { adjustedRandIndex, type HdbscanOptions, hdbscan } from './hdbscan.js';
export { encodeNpy, readNpy, writeNpy } from './npy.js';
export {
  type AnalyzeOptions,
  analyze,
  collectImages,
  type MaskRow,
  openRunDir,
  PIPELINE,
} from './pipeline.js';
export { plotRun, readRows, scatterSvg } from './plot.js';
export { type UmapOptions, type UmapResult, umap2d, umap2dAsync } from './umap.js';
export { rowsOfImage, zipImageMasks } from './zip.js';
