// Recipes on the fixture SAM 3 and CLIP: mining 200 labelled images × 3 classes × 5 prompts (first run, then again from
// the cache with another target precision), and applying a recipe and a 3-step cascade to images never seen before.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeImage } from '../packages/core/src/index.js';
import {
  applyCascade,
  applyRecipe,
  FindRunner,
  mineRecipes,
  prepareRecipe,
  readCascade,
  writeRecipe,
} from '../packages/recipes/src/index.js';
import {
  EMBED_MODEL,
  FIND_MODEL,
  recipeDataset,
  recipeScene,
} from '../packages/recipes/test/helpers/shapes.js';
import { type BenchResult, bench } from './harness.js';

const PROMPTS = {
  'red square': ['red', 'orange', 'blue', 'a red square'],
  'green rectangle': ['green', 'purple', 'cyan', 'a green shape'],
  'blue disc': ['blue', 'cyan', 'yellow', 'a blue disc'],
};

export async function runRecipesBench(): Promise<{ results: BenchResult[]; notes: string[] }> {
  const models = { find: FIND_MODEL, embed: EMBED_MODEL };
  const dir = await recipeDataset(200);
  const cacheDir = mkdtempSync(join(tmpdir(), 'segkit-bench-recipes-'));
  let first: Awaited<ReturnType<typeof mineRecipes>> | undefined;
  const mining = await bench(
    'mine 200 images × 3 classes × 5 prompts (first run)',
    async () => {
      first = await mineRecipes(dir, { models, prompts: PROMPTS, cacheDir });
    },
    { runs: 1, warmup: 0 },
  );
  let again: Awaited<ReturnType<typeof mineRecipes>> | undefined;
  const remining = await bench(
    're-mine from the cache (target precision 0.8)',
    async () => {
      again = await mineRecipes(dir, { models, prompts: PROMPTS, cacheDir, targetPrecision: 0.8 });
    },
    { runs: 3, warmup: 0 },
  );
  // Unseen images, a fresh cache: every find-all runs.
  const unseen: string[] = [];
  const imgDir = mkdtempSync(join(tmpdir(), 'segkit-bench-unseen-'));
  for (let i = 0; i < 8; i++) {
    const p = join(imgDir, `u${i}.png`);
    writeFileSync(p, await encodeImage(recipeScene(5000 + i).image, 'png'));
    unseen.push(p);
  }
  const zips = mkdtempSync(join(tmpdir(), 'segkit-bench-zips-'));
  for (const [name, b] of first!.bundles) await writeRecipe(join(zips, `${name.replace(/ /g, '-')}.zip`), b);
  writeFileSync(
    join(zips, 'cascade.json'),
    JSON.stringify({
      steps: [...first!.bundles.keys()].map((n) => ({ recipe: `${n.replace(/ /g, '-')}.zip` })),
    }),
  );
  let k = 0;
  const fresh = () => new FindRunner(models, mkdtempSync(join(tmpdir(), 'segkit-bench-cache-')));
  const red = first!.bundles.get('red square')!;
  const one = await bench(
    'apply the red-square recipe to one unseen image',
    async () => {
      const runner = fresh();
      await applyRecipe(await prepareRecipe(red, runner), runner, unseen[k++ % unseen.length]!);
    },
    { runs: 5, warmup: 1 },
  );
  const cascade = await readCascade(join(zips, 'cascade.json'));
  const three = await bench(
    'apply a 3-step cascade to one unseen image',
    async () => {
      const runner = fresh();
      for (const s of cascade.steps) delete s.loaded;
      await applyCascade(cascade, runner, unseen[k++ % unseen.length]!);
    },
    { runs: 5, warmup: 1 },
  );
  const notes = [
    `recipes: first mining ran ${first!.report.cache.findCalls} find-all calls; re-mining ran ${again!.report.cache.findCalls} (served ${again!.report.cache.cacheHits} from the cache): ${((remining.median / mining.median) * 100).toFixed(2)}% of the first mining's time`,
    ...Object.entries(first!.report.classes).map(
      ([n, c]) =>
        `recipes: ${n}: coverage ${c.coverage.toFixed(2)}, precision ${c.precision.toFixed(2)}, prompts ${c.prompts.join(' | ')}`,
    ),
    'recipes: apply times include preparing the recipe (its crops embedded) and the fixture SAM 3 (about 0.23 s a find-all on 2 cores)',
  ];
  return { results: [mining, remining, one, three], notes };
}

export const recipesTargets: Record<string, number> = {};
