// A small hand-made recipe ZIP for route tests: one prompt ("red"), no filter, mined (so to speak) with `embed`.
import { encodeRecipe, modelTag, RECIPE_SCHEMA_VERSION } from '@segkit/recipes';

export function recipeZip(name: string, embed: string, className = 'red'): Buffer {
  return encodeRecipe({
    recipe: {
      schemaVersion: RECIPE_SCHEMA_VERSION,
      name,
      className,
      mode: 'greedy',
      models: { backend: 'pipeline', embed: modelTag(embed) },
      prompts: ['red'],
      steps: [],
      crops: { positives: [], negatives: [] },
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
    crops: new Map(),
    head: new Map(),
  });
}
