// Recipes on the other find-all backend: the CLIPSeg + SAM + CLIP pipeline (fixtures), recorded as such.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mineRecipes } from '../src/index.js';
import { EMBED_MODEL, recipeDataset } from './helpers/shapes.js';

const fx = (n: string) => new URL(`../../../fixtures/models/${n}`, import.meta.url).pathname;

describe('recipes with the CLIPSeg + SAM + CLIP pipeline', () => {
  it('mines a recipe that records the pipeline and its models, and finds the class', async () => {
    const dir = await recipeDataset(12);
    const r = await mineRecipes(dir, {
      models: { segment: fx('sam-fixture'), text: fx('clipseg-fixture'), embed: EMBED_MODEL },
      cacheDir: mkdtempSync(join(tmpdir(), 'segkit-recipe-cache-')),
      classes: ['blue disc'],
      val: 0.5,
      negativeImages: 2,
    });
    const recipe = r.bundles.get('blue disc')!.recipe;
    expect(recipe.models).toMatchObject({
      backend: 'pipeline',
      segment: { id: 'local:sam-fixture' },
      text: { id: 'local:clipseg-fixture' },
      embed: { id: 'local:clip-fixture' },
    });
    expect(recipe.models.find).toBeUndefined();
    expect(r.report.classes['blue disc']!.coverage).toBeGreaterThanOrEqual(0.8);
    expect(r.report.cache.findCalls).toBeGreaterThan(0);
  }, 240_000);
});
