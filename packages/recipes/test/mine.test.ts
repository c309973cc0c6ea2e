import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  applyRecipe,
  encodeRecipe,
  FindRunner,
  type MineResult,
  mineRecipes,
  prepareRecipe,
  readRecipe,
  readTruth,
} from '../src/index.js';
import { EMBED_MODEL, FIND_MODEL, recipeDataset } from './helpers/shapes.js';

const models = { find: FIND_MODEL, embed: EMBED_MODEL };
// Good and bad prompts: "orange" finds red squares and orange ones, "blue" and "purple" find no red or green.
const prompts = {
  'red square': ['red', 'orange', 'blue'],
  'green rectangle': ['green', 'purple'],
  'blue disc': ['blue', 'cyan'],
};
const cacheDir = mkdtempSync(join(tmpdir(), 'segkit-recipe-cache-'));
let dir: string;
let first: MineResult;
let firstSeconds: number;

beforeAll(async () => {
  dir = await recipeDataset(60);
  const t = performance.now();
  first = await mineRecipes(dir, { models, prompts, cacheDir, negativeImages: 6 });
  firstSeconds = (performance.now() - t) / 1000;
}, 300_000);

describe('mineRecipes (greedy, SAM 3 fixture, crop bank)', () => {
  it('reaches coverage and precision of 0.9 for every class, and beats the class name alone on the distractor class', () => {
    const c = first.report.classes;
    expect(Object.keys(c).sort()).toEqual(['blue disc', 'green rectangle', 'red square']);
    for (const [name, r] of Object.entries(c)) {
      expect(r.coverage, name).toBeGreaterThanOrEqual(0.9);
      expect(r.precision, name).toBeGreaterThanOrEqual(0.9);
      expect(r.precision, name).toBeGreaterThanOrEqual(r.baseline.precision);
      expect(r.ap, name).toBeGreaterThan(0.5);
      expect(r.detectionRate, name).toBeGreaterThan(0);
    }
    // "red square" also finds orange squares and crimson discs: the class name alone is far from precise.
    expect(c['red square']!.baseline.precision).toBeLessThan(0.8);
    expect(c['red square']!.precision).toBeGreaterThan(c['red square']!.baseline.precision);
    expect(c['red square']!.prompts).not.toContain('blue');
  });

  it('the filter matters: without it the distractor class loses precision', () => {
    const red = first.report.classes['red square']!;
    expect(red.filter?.kind).toBe('crops');
    expect(red.unfiltered.precision).toBeLessThan(red.precision - 0.1);
    expect(red.curve.length).toBeGreaterThan(2);
    expect(first.bundles.get('red square')!.recipe.crops.negatives.length).toBeGreaterThan(0);
  });

  it('mining again with another target precision runs no model and takes at most 5% of the time', async () => {
    const t = performance.now();
    const again = await mineRecipes(dir, {
      models,
      prompts,
      cacheDir,
      negativeImages: 6,
      targetPrecision: 0.8,
    });
    const seconds = (performance.now() - t) / 1000;
    expect(again.report.cache.findCalls).toBe(0);
    expect(again.report.cache.embedded).toBe(0);
    expect(again.report.cache.cacheHits).toBeGreaterThan(100);
    expect(first.report.cache.findCalls).toBeGreaterThan(100);
    expect(seconds).toBeLessThanOrEqual(0.05 * firstSeconds);
    expect(again.report.targetPrecision).toBe(0.8);
  });

  it('the same split on a re-run, and a seed changes it', async () => {
    const a = await readTruth(dir, { seed: 42 });
    const b = await readTruth(dir, { seed: 42 });
    const c = await readTruth(dir, { seed: 7 });
    const vals = (t: typeof a) => t.images.filter((i) => i.split === 'val').map((i) => i.id);
    expect(vals(a)).toEqual(vals(b));
    expect(vals(a)).not.toEqual(vals(c));
    expect(vals(a).length).toBe(12);
  });

  it('export → import → apply on the validation images gives exactly the detections mining counted', async () => {
    const bundle = await readRecipe(encodeRecipe(first.bundles.get('red square')!));
    // Self-contained: no absolute path anywhere in recipe.json (local model folders are recorded by name).
    expect(JSON.stringify(bundle.recipe)).not.toMatch(/"\/|"[A-Za-z]:\\/);
    expect(bundle.recipe.models).toMatchObject({ backend: 'sam3', find: { id: 'local:sam3-fixture' } });
    const runner = new FindRunner(models, cacheDir);
    const loaded = await prepareRecipe(bundle, runner);
    const truth = await readTruth(dir);
    let detections = 0;
    for (const img of truth.images.filter((i) => i.split === 'val'))
      detections += (await applyRecipe(loaded, runner, img.path)).length;
    expect(detections).toBe(first.report.classes['red square']!.detections);
    expect(runner.stats.findCalls).toBe(0);
  });

  it('a control with only wrong prompts scores low coverage and says so', async () => {
    const control = mkdtempSync(join(tmpdir(), 'segkit-recipe-control-'));
    cpSync(dir, control, { recursive: true });
    const coco = JSON.parse(readFileSync(join(control, 'annotations.json'), 'utf8'));
    coco.categories = coco.categories.map((c: { id: number; name: string }) =>
      c.name === 'blue disc' ? { ...c, name: 'ufo' } : c,
    );
    writeFileSync(join(control, 'annotations.json'), JSON.stringify(coco));
    const r = await mineRecipes(control, {
      models,
      cacheDir,
      classes: ['ufo'],
      prompts: { ufo: ['yellow', 'purple'] },
      negativeImages: 2,
    });
    const ufo = r.report.classes.ufo!;
    expect(ufo.coverage).toBeLessThan(0.2);
    expect(ufo.notes.join(' ')).toMatch(/low coverage|no prompt found/);
  }, 120_000);

  it('steps: a short chain seeded by text and expanded with exemplars reaches the same bar', async () => {
    const r = await mineRecipes(dir, { models, prompts, cacheDir, negativeImages: 6, mode: 'steps' });
    for (const [name, c] of Object.entries(r.report.classes)) {
      expect(c.coverage, name).toBeGreaterThanOrEqual(0.9);
      expect(c.precision, name).toBeGreaterThanOrEqual(0.9);
    }
    const red = r.bundles.get('red square')!.recipe;
    expect(red.mode).toBe('steps');
    expect(red.steps.length).toBeGreaterThanOrEqual(1);
    expect(red.steps.every((s) => s.expand && s.seeds === 3)).toBe(true);
    expect(r.report.cache.findCalls).toBeGreaterThan(0); // the expansions are new questions
  }, 200_000);

  it('refuses bad options with coded one-line errors', async () => {
    await expect(mineRecipes(dir, { models, classes: ['wood'] })).rejects.toMatchObject({
      code: 'E_INVALID_ARGUMENT',
    });
    await expect(mineRecipes(dir, { models, val: 1.5 })).rejects.toMatchObject({
      code: 'E_INVALID_ARGUMENT',
    });
    await expect(mineRecipes(dir, { models, targetPrecision: 0 })).rejects.toMatchObject({
      code: 'E_INVALID_ARGUMENT',
    });
  });
});
