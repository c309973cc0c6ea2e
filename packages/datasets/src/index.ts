/**
 * `@segkit/datasets`: dataset import and export (COCO, YOLO, YOLO-seg, PNG masks) that keeps masks intact.
 * @packageDocumentation
 */

export { type BuildSegOptions, type BuildSegSummary, buildSegmentation } from './build-seg.js';
export {
  blankAnnotations,
  type CocoJson,
  cocoToDataset,
  datasetToCoco,
  readCoco,
  writeCoco,
} from './coco.js';
export { type ApResult, type ApStats, type CocoAnn, type CocoGt, cocoAp, type IouType } from './coco-ap.js';
export { apSummary, prCurveSvg, readDetections, writeApReport } from './coco-ap-report.js';
export {
  cocoSource,
  DEFAULT_LABEL,
  type MaskSource,
  type MaskValue,
  manifestSource,
  maskFolderSource,
  openMaskSource,
  resultsSource,
} from './eval-sources.js';
export { type EvalTextOptions, type EvalTextResult, evalText } from './eval-text.js';
export {
  type EvalReport,
  type EvaluateOptions,
  evaluate,
  type ImageScore,
  type ThresholdRow,
  writeReport,
} from './evaluate.js';
export { detectFormat, readDataset, type WriteOptions, writeDataset } from './formats.js';
export {
  buildManifest,
  MANIFEST_COLUMNS,
  type ManifestRow,
  manifestToCsv,
  mergeManifests,
  readManifest,
  writeManifest,
} from './manifest.js';
export { readMaskFolders, SINGLE_LABEL, writeMaskFolders } from './mask-folders.js';
export {
  maskToSegmentation,
  segmentationStats,
  segmentationsToMask,
  segmentationToMask,
  segmentationToRle,
} from './masks.js';
export { listFiles, writeDirectoryAtomic } from './output-dir.js';
export { type Problem, Problems } from './problems.js';
export { isRoboflow, ROBOFLOW_SPLITS, readRoboflow } from './roboflow.js';
export { SPLITS, type SplitItem, type SplitName, splitImages, splitItems, splitTable } from './split.js';
export { DEFAULT_LR, SWEEP, type TrainTextOptions, type TrainTextResult, trainText } from './train-text.js';
export { epochOrder, targetAt } from './train-text-data.js';
export type { EpochRow, ValScore } from './train-text-state.js';
export type {
  Annotation,
  AnnotationSource,
  Category,
  Dataset,
  DatasetFormat,
  DatasetImage,
  PromptType,
  Segmentation,
} from './types.js';
export { DATASET_FORMATS } from './types.js';
export { readClassNames, readYolo, writeYolo } from './yolo.js';
