// A hand-made greedy recipe with no filter (one prompt, one class, no figures): for tests of applying, cascades,
// ZIPs and the server's recipe routes, which need a recipe but not a mined one.
import { RECIPE_SCHEMA_VERSION, type RecipeBundle, type RecipeModels } from '../../src/index.js';

export function handRecipe(o: {
  name: string;
  className?: string;
  prompt: string;
  models: RecipeModels;
  crops?: Map<string, Uint8Array>;
}): RecipeBundle {
  const crops = o.crops ?? new Map<string, Uint8Array>();
  return {
    recipe: {
      schemaVersion: RECIPE_SCHEMA_VERSION,
      name: o.name,
      className: o.className ?? o.name,
      mode: 'greedy',
      models: o.models,
      prompts: [o.prompt],
      steps: [],
      crops: { positives: [...crops.keys()], negatives: [] },
      filter: null,
      dedupIou: 0.5,
      targetPrecision: 0.9,
      matchIou: 0.5,
      scores: {
        images: 0,
        gt: 0,
        detections: 0,
        matched: 0,
        coverage: 0,
        precision: 0,
        falsePositives: 0,
        duplicates: 0,
        detectionRate: 0,
        ap: 0,
      },
      createdAt: new Date(0).toISOString(),
    },
    crops,
    head: new Map(),
  };
}
