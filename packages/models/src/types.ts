import type { Box, Mask, Point } from '@segkit/core';

/** ONNX weight variants, as transformers.js names them. */
export type Dtype = 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4';

/** What a model is used for. */
export type ModelTask = 'segment' | 'text-segment' | 'embed' | 'panoptic' | 'find';

/** A named, known-good model: a public hub repo plus which files and weight variant to fetch. */
export interface Preset {
  name: string;
  repo: string;
  revision: string;
  /** The `model_type` its config.json declares. */
  modelType: string;
  task: ModelTask;
  dtype: Dtype;
  description: string;
  /** Approximate download size, for `segkit models list` before anything is cached. */
  approxBytes: number;
  /**
   * A revision of the same repo whose mask decoder takes boxes while the main one takes points (SlimSAM's `boxes`,
   * transformers.js PR #563). A pull fetches that decoder too, into `boxes/onnx/`; both share the encoder.
   */
  boxDecoderRevision?: string;
  /**
   * The exact files to fetch, instead of those a transformers.js model type implies: each from the repo at the
   * revision, or from a direct URL (a GitHub release asset); with the size and SHA-256 to check where known.
   */
  files?: PresetFile[];
  /** A ZIP on the repo that holds `files` (fetched, checked, unpacked safely, then removed). */
  archive?: PresetFile;
  /** The licence terms that apply to the weights, shown before a pull. */
  licence?: string;
}

/** One file of a preset's explicit list. */
export interface PresetFile {
  /** Where it lives in the model folder (and, without `url`, in the repo). */
  path: string;
  /** A direct download URL (mirrored through `SEGKIT_ASSETS_URL` when set). */
  url?: string;
  bytes?: number;
  sha256?: string;
  /** Absent upstream in some versions: a 404 (or its absence from the archive) is not an error. */
  optional?: boolean;
}

/** Where a model reference points, after resolution. */
export interface ResolvedModel {
  /** What the user typed. */
  ref: string;
  kind: 'preset' | 'repo' | 'dir' | 'imported';
  /** Display name: the preset or imported name, the repo id, or the directory. */
  name: string;
  /** Hub repo and revision (presets and repos). */
  repo?: string;
  revision?: string;
  dtype: Dtype;
  /** The hub-layout directory the model lives in (may not exist yet). */
  dir: string;
  preset?: Preset;
}

/** A point prompt: `[x, y]` in original-image pixels with label 1 (positive) or 0 (negative). */
export interface LabeledPoint {
  point: Point;
  label: 0 | 1;
}

/**
 * A promptable-segmentation prompt. All coordinates are original-image pixels.
 * - `undefined`: segment whatever is at the image centre
 * - `{ point }`: one positive click
 * - `{ points }`: several clicks, each positive or negative
 * - `{ box }`, optionally with `points`
 */
export type Prompt =
  | { point: Point }
  | { points: LabeledPoint[]; box?: Box }
  | { box: Box; points?: LabeledPoint[] };

/** One segmentation result, at the original image size. */
export interface SegmentResult {
  mask: Mask;
  /**
   * 0–1. For SAM models, the model's predicted IoU for this mask; for `classic`, only GrabCut's stability (the IoU of
   * its result after 3 and after 5 iterations), which says that it converged, not that the mask is right.
   */
  score: number;
  /** What `score` measures: `predicted-iou` (SAM) or `stability` (classic). */
  scoreKind: 'predicted-iou' | 'stability';
  bbox: Box;
  area: number;
}

/** One label's text-prompted mask, at the original image size (CLIPSeg's, or the union of SAM 3's instances). */
export interface TextSegment {
  label: string;
  prompts: string[];
  width: number;
  height: number;
  /** Probability per pixel, 0–1, row-major (SAM 3: the best score of an instance covering the pixel). */
  probability: Float32Array;
  mask: Mask;
  instances?: Mask[];
}
