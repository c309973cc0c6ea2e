// The head gate: a classifier head trained on the same embedding model (here one that also knows the look-alikes)
// becomes the filter of the classes it knows; the recipe carries the head in its ZIP and applies with it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Sample, trainHead, writeHead } from '@segkit/analytics';
import { maskToRle } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import {
  applyRecipe,
  encodeRecipe,
  FindRunner,
  mineRecipes,
  prepareRecipe,
  readRecipe,
  readTruth,
} from '../src/index.js';
import { EMBED_MODEL, FIND_MODEL, recipeDataset, recipeScene } from './helpers/shapes.js';

const NAMES: Record<string, string> = {
  red: 'red square',
  green: 'green rectangle',
  blue: 'blue disc',
  orange: 'orange square',
  crimson: 'crimson disc',
};

describe('a head gate as the filter', () => {
  it('mines with a head that knows the look-alikes, carries it in the ZIP, and applies with it', async () => {
    const n = 30;
    const dir = await recipeDataset(n);
    const samples: Sample[] = [];
    for (let i = 0; i < n; i++) {
      const { shapes, truth } = recipeScene(i);
      for (const s of shapes) {
        const rle = maskToRle(truth[s.name]!);
        samples.push({
          image: join(dir, 'images', `s${String(i).padStart(3, '0')}.png`),
          label: NAMES[s.name.replace(/\d+$/, '')]!,
          bbox: s.box,
          rle,
        });
      }
    }
    const cacheDir = mkdtempSync(join(tmpdir(), 'segkit-recipe-cache-'));
    const { head } = await trainHead(samples, {
      embedModel: EMBED_MODEL,
      epochs: 80,
      cacheDir: join(cacheDir, 'crops'),
    });
    const headDir = join(mkdtempSync(join(tmpdir(), 'segkit-head-')), 'shapes');
    await writeHead(headDir, head);
    const models = { find: FIND_MODEL, embed: EMBED_MODEL };
    const r = await mineRecipes(dir, {
      models,
      cacheDir,
      classes: ['red square'],
      prompts: { 'red square': ['red'] },
      head: headDir,
      negativeImages: 3,
      val: 0.3,
    });
    const red = r.report.classes['red square']!;
    expect(red.filter).toMatchObject({ kind: 'head', label: 'red square' });
    expect(red.precision).toBeGreaterThan(red.unfiltered.precision);
    expect(red.precision).toBeGreaterThanOrEqual(0.9);
    expect(red.coverage).toBeGreaterThanOrEqual(0.9);
    const bundle = await readRecipe(encodeRecipe(r.bundles.get('red square')!));
    expect([...bundle.head.keys()].sort()).toEqual(['bias.npy', 'head.json', 'weights.npy']);
    const runner = new FindRunner(models, cacheDir);
    const loaded = await prepareRecipe(bundle, runner);
    expect(loaded.prepared.head?.info.labels).toContain('red square');
    let detections = 0;
    for (const img of (await readTruth(dir, { val: 0.3 })).images.filter((i) => i.split === 'val'))
      detections += (await applyRecipe(loaded, runner, img.path)).length;
    expect(detections).toBe(red.detections);
    expect(runner.stats.findCalls).toBe(0);
  }, 240_000);
});
