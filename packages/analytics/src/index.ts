export { adjustedRandIndex, type HdbscanOptions, hdbscan, hdbscanFull } from './hdbscan.js';
export type { HdbscanResult } from './hdbscan-select.js';
export {
  type CropSettings,
  DEFAULT_CROP,
  type EmbedModelId,
  type EmbedSamplesResult,
  embedModelId,
  embedSamples,
  type Sample,
} from './heads/crops.js';
export { checkHead, HEAD_FORMAT, type Head, type HeadInfo, loadHead, writeHead } from './heads/head.js';
export { confusionSvg, type HeadReport, reportText, writeConfusionPng } from './heads/report.js';
export { type EpochMetrics, trainSoftmax } from './heads/softmax.js';
export {
  evaluateHead,
  type HeadPrediction,
  predictWithHead,
  type TrainHeadOptions,
  type TrainHeadResult,
  trainHead,
} from './heads/train.js';
export { encodeNpy, readNpy, writeNpy } from './npy.js';
export {
  type AnalyzeOptions,
  analyze,
  collectImages,
  type MaskRow,
  openRunDir,
  PIPELINE,
} from './pipeline.js';
export { plotRun, readRows } from './plot.js';
export { clusterRgb, type ScatterData, scatterData, scatterFrame, scatterPng } from './scatter-data.js';
export { scatterHtml } from './scatter-html.js';
export { type UmapOptions, type UmapResult, umap2d, umap2dAsync } from './umap.js';
export { rowsOfImage, zipImageMasks } from './zip.js';
