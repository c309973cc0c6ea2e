/**
 * `@segkit/datasets`: dataset import and export (COCO, YOLO, YOLO-seg, PNG masks) that keeps masks intact.
 * @packageDocumentation
 */

export { type ArchiveLimits, DEFAULT_ARCHIVE_LIMITS, extractZip, extractZipToTemp } from './archive.js';
export { type CocoJson, cocoToDataset, datasetToCoco, readCoco, writeCoco } from './coco.js';
export { detectFormat, readDataset, type WriteOptions, writeDataset } from './formats.js';
export { readMaskFolders, SINGLE_LABEL, writeMaskFolders } from './mask-folders.js';
export { maskToSegmentation, segmentationStats, segmentationToMask } from './masks.js';
export { listFiles, writeDirectoryAtomic } from './output-dir.js';
export { safeRelativePath } from './paths.js';
export { type Problem, Problems } from './problems.js';
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
