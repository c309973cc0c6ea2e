/**
 * `@segkit/recipes`: find-all recipes mined per class from labelled images (prompts, crops, head thresholds),
 * applied to new images alone or in cascades, and carried as portable ZIPs.
 * @packageDocumentation
 */

export { type ApplyOptions, applyRecipe, type LoadedRecipe, prepareRecipe, recipeSources } from './apply.js';
export { checkRecipe, encodeRecipe, RECIPE_LIMITS, readRecipe, writeRecipe } from './archive.js';
export {
  applyCascade,
  type Cascade,
  type CascadeDetection,
  type CascadeStep,
  checkCascade,
  type LoadedCascade,
  readCascade,
} from './cascade.js';
export {
  type MineOptions,
  type MineProgress,
  type MineResult,
  mineRecipes,
} from './mine.js';
export type { ClassReport, MineReport } from './mine-report.js';
export { curveSvg, reportText, writeMineOutput } from './report.js';
export { FindRunner, type ImageSource, modelTag, type RunnerModels, type RunnerStats } from './runner.js';
export { type LabelledImages, readTruth, splitTruth, type Truth, type TruthImage } from './truth.js';
export * from './types.js';
