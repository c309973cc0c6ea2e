// Applying a recipe to an image: its questions through the runner, its filter, de-duplication. The crop bank is
// embedded once per loaded recipe, with the same embedding model the recipe was mined with (or refused).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHead } from '@segkit/analytics';
import { RecipeModelMismatchError } from '@segkit/core';
import { bankVectors } from './bank.js';
import type { PreparedFilter } from './filter.js';
import { finalize, gather, type Source } from './gather.js';
import type { FindRunner, ImageSource } from './runner.js';
import type { RecipeBundle, RecipeDetection, RecipeFilter } from './types.js';

/** A recipe ready to apply: its questions and its filter's inputs in memory. */
export interface LoadedRecipe {
  bundle: RecipeBundle;
  sources: Source[];
  prepared: PreparedFilter;
}

/** The questions of a recipe, in order. */
export const recipeSources = (b: RecipeBundle): Source[] =>
  b.recipe.mode === 'steps'
    ? b.recipe.steps.map((s) => ({ text: s.text, seeds: s.seeds, expand: s.expand }))
    : b.recipe.prompts.map((text) => ({ text }));

/**
 * Prepares a recipe for a runner: refuses it (E_RECIPE_MODEL_MISMATCH, naming both) when the runner's embedding
 * model is not the recipe's, embeds its crops and reads its head.
 */
export async function prepareRecipe(bundle: RecipeBundle, runner: FindRunner): Promise<LoadedRecipe> {
  const want = bundle.recipe.models.embed;
  const have = runner.tags.embed;
  if (want.id !== have.id)
    throw new RecipeModelMismatchError(
      `Recipe "${bundle.recipe.name}" was mined with embedding model ${want.ref} (${want.id}), not ${have.ref} (${have.id}); use --embed-model ${want.ref} or mine it again with this model`,
    );
  const png = (name: string) => bundle.crops.get(name)!;
  const prepared: PreparedFilter = {
    filter: bundle.recipe.filter,
    positives: await bankVectors(runner, bundle.recipe.crops.positives.map(png)),
    negatives: await bankVectors(runner, bundle.recipe.crops.negatives.map(png)),
  };
  if (bundle.recipe.filter?.kind === 'head') {
    const dir = mkdtempSync(join(tmpdir(), 'segkit-head-'));
    try {
      for (const [name, bytes] of bundle.head) writeFileSync(join(dir, name), bytes);
      prepared.head = await loadHead(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { bundle, sources: recipeSources(bundle), prepared };
}

/** Options of {@link applyRecipe}. */
export interface ApplyOptions {
  /** Name the detections with this class instead of the recipe's. */
  classAs?: string;
  /** A filter to use instead of the recipe's (a cascade's stricter one); `null` applies none. */
  filter?: RecipeFilter | null;
}

/** The recipe's detections on an image (a file or a server's blob), best first. */
export async function applyRecipe(
  loaded: LoadedRecipe,
  runner: FindRunner,
  path: ImageSource,
  opts: ApplyOptions = {},
): Promise<RecipeDetection[]> {
  const { recipe } = loaded.bundle;
  const cands = await gather(runner, path, loaded.sources, loaded.prepared, recipe.className);
  const filter = opts.filter === undefined ? recipe.filter : opts.filter;
  return finalize(cands, filter, recipe.dedupIou).map((c) => ({
    rle: c.rle,
    bbox: c.bbox,
    area: c.area,
    score: c.score,
    className: opts.classAs ?? recipe.className,
    recipe: recipe.name,
  }));
}
