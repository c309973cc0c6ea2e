/**
 * `@segkit/models`: the model runtime (presets, hub download with resume, cache, offline mode) and
 * promptable segmentation. Only `src/backend/` imports the inference runtime.
 * @packageDocumentation
 */

export { ClipSegFeatures } from './backend/clipseg-features.js';
export type { DecoderFile, SamEmbedding } from './backend/promptable-types.js';
export type { PromptSupport } from './backend/sam-decoders.js';
export { EXEMPLAR_LAYOUTS, SAM3_CONTRACTS, type Sam3Layout } from './backend/sam3-contract.js';
export { cacheRoot, hubUrl, isOffline } from './cache-dir.js';
export {
  type DecoderGeometry,
  type DecoderInput,
  decoderBackward,
  decoderForward,
  decoderGeometry,
} from './clipseg-train/decoder.js';
export { type CacheDtype, FeatureCache } from './clipseg-train/feature-cache.js';
export { AdamW, type LossOptions, type LossValue, segLoss } from './clipseg-train/loss.js';
export { initMatmul } from './clipseg-train/matmul.js';
export { onnxModel, readClipSegGraph, withWeights } from './clipseg-train/onnx-graph.js';
export { DecoderPool, defaultThreads } from './clipseg-train/parallel.js';
export { quantizeMatMuls } from './clipseg-train/quantize.js';
export {
  DecoderTraining,
  type DecoderTrainingOptions,
  type Example,
  type ProbabilityItem,
} from './clipseg-train/trainer.js';
export { cocoPanopticCategories, type PanopticCategory, panopticLabel } from './coco-panoptic.js';
export { type DownloadOptions, downloadFile } from './download.js';
export {
  type Classification,
  classify,
  DEFAULT_EMBED_MODEL,
  type EmbedMasksOptions,
  embedMasks,
  embedText,
  l2normalize,
  maskCrop,
} from './embed.js';
export { EmbeddingCache, imageKey } from './embedding-cache.js';
export { type FindAllOptions, type FoundInstance, findAll } from './find-all.js';
export { type GeneratedMask, type GenerateMasksOptions, generateFromEmbedding } from './generate-masks.js';
export type { Manifest, ModelStatus } from './manifest.js';
export { resolveModelRef } from './model-ref.js';
export { type PanopticOptions, type PanopticSegment, segmentPanoptic } from './panoptic.js';
export { findPreset, onnxFiles, PRESETS } from './presets.js';
export { normalizePrompt } from './prompt.js';
export {
  type ConceptPrompt,
  type ConceptResult,
  findConcept,
  isConceptModel,
  Sam3Finder,
  type Sam3FinderOptions,
  sharedFinder,
} from './sam3-find.js';
export type { Sam3Instance } from './sam3-post.js';
export {
  DEFAULT_SEGMENT_MODEL,
  defaultSegmentModelReady,
  Segmenter,
  type SegmenterOptions,
  type SegmenterStats,
  type SegmentOptions,
  segment,
} from './segmenter.js';
export {
  importModel,
  isTestModel,
  listModels,
  type ModelListing,
  modelStatus,
  type PullOptions,
  pullHint,
  pullModel,
  removeModel,
  requireModel,
} from './store.js';
export {
  DEFAULT_TEXT_MODEL,
  MAX_PROMPTS,
  type PromptSet,
  readPromptSet,
  segmentText,
  slug,
  type TextSegment,
  type TextSegmentOptions,
  toPromptSet,
} from './text-segment.js';
export type {
  Dtype,
  LabeledPoint,
  ModelTask,
  Preset,
  Prompt,
  ResolvedModel,
  SegmentResult,
} from './types.js';
