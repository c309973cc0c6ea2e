import type { Box, RleCompressed } from '@segkit/core';

/** The version of `recipe.json` this SegKit writes and reads. */
export const RECIPE_SCHEMA_VERSION = 1;

/** A model as a recipe records it: what to load (a preset or hub name, or a local folder's name) and its identity. */
export interface ModelTag {
  ref: string;
  /** `repo@revision` for a preset or hub repo; `local:<folder name>` for a folder. Compared on apply. */
  id: string;
}

/** The models a recipe was mined with: a SAM 3 find model, or the CLIPSeg + SAM + CLIP pipeline; and the embedder. */
export interface RecipeModels {
  /** `sam3` (a SAM 3 concept model answers every find-all) or `pipeline` (CLIPSeg + SAM + CLIP). */
  backend: 'sam3' | 'pipeline';
  find?: ModelTag;
  segment?: ModelTag;
  text?: ModelTag;
  embed: ModelTag;
}

/** One find-all question: a text, and/or exemplar boxes in the image's pixels. */
export interface Query {
  text?: string;
  positives?: Box[];
  negatives?: Box[];
}

/** One found instance, as cached and as a recipe reports it. */
export interface Detection {
  rle: RleCompressed;
  bbox: Box;
  area: number;
  score: number;
}

/** A detection with its embedding (L2-normalised), as the filters read it. */
export interface EmbeddedDetection extends Detection {
  vector: Float32Array;
}

/** A step of a step recipe: seed with a text, keep the best seeds, then expand with them as exemplar boxes. */
export interface RecipeStep {
  text: string;
  /** The seeds: at most this many of the text's detections, best first. */
  seeds: number;
  /** Run find-all again with the seeds as positive exemplars (and the detections like a negative crop as negatives). */
  expand: boolean;
}

/** The crop bank: keep a detection whose best similarity to a positive crop is at least `minPositive` and to a negative crop below `maxNegative`. */
export interface CropBankFilter {
  kind: 'crops';
  minPositive: number;
  maxNegative: number;
}

/** The head gate: keep a detection the head gives at least `minProbability` for the class, `minMargin` above the next. */
export interface HeadFilter {
  kind: 'head';
  label: string;
  minProbability: number;
  minMargin: number;
}

export type RecipeFilter = CropBankFilter | HeadFilter;

/** The figures of a recipe on the validation split. */
export interface RecipeScores {
  images: number;
  gt: number;
  detections: number;
  matched: number;
  coverage: number;
  precision: number;
  falsePositives: number;
  duplicates: number;
  detectionRate: number;
  ap: number;
}

/** `recipe.json`: everything a recipe needs besides its crops and head. */
export interface Recipe {
  schemaVersion: number;
  name: string;
  /** The class it finds. */
  className: string;
  mode: 'greedy' | 'steps';
  models: RecipeModels;
  /** Greedy recipes: the prompts, each run as a find-all. */
  prompts: string[];
  /** Step recipes: the chain. */
  steps: RecipeStep[];
  /** The crop bank: file names under `crops/` in the ZIP (steps use the negatives as negative exemplars too). */
  crops: { positives: string[]; negatives: string[] };
  filter: RecipeFilter | null;
  /** Detections overlapping a more confident one by more than this mask IoU are dropped. */
  dedupIou: number;
  /** What mining aimed at, and what it reached. */
  targetPrecision: number;
  matchIou: number;
  scores: RecipeScores;
  createdAt: string;
}

/** A recipe in memory: its JSON, and the crop images and head files that travel with it. */
export interface RecipeBundle {
  recipe: Recipe;
  /** `crops/<name>` → PNG bytes. */
  crops: Map<string, Uint8Array>;
  /** `head/<name>` → bytes (head.json, weights.npy, bias.npy), when the filter is a head. */
  head: Map<string, Uint8Array>;
}

/** A detection a recipe or a cascade reports, with the class it names. */
export interface RecipeDetection extends Detection {
  className: string;
  recipe: string;
}
