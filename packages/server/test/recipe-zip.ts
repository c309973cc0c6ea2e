// A small hand-made recipe ZIP for route tests: one prompt ("red"), no filter, mined (so to speak) with `embed`.
import { encodeRecipe, modelTag } from '@segkit/recipes';
import { handRecipe } from '../../recipes/test/helpers/hand-recipe.js';

export function recipeZip(name: string, embed: string, className = 'red'): Buffer {
  return encodeRecipe(
    handRecipe({ name, className, prompt: 'red', models: { backend: 'pipeline', embed: modelTag(embed) } }),
  );
}
