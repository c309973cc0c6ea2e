import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeImage, encodeZip, rleIou } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import {
  applyCascade,
  encodeRecipe,
  FindRunner,
  prepareRecipe,
  type RecipeBundle,
  readCascade,
  readRecipe,
  writeRecipe,
} from '../src/index.js';
import { handRecipe } from './helpers/hand-recipe.js';
import { EMBED_MODEL, FIND_MODEL, recipeScene } from './helpers/shapes.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'segkit-recipe-cache-'));
const runner = new FindRunner({ find: FIND_MODEL, embed: EMBED_MODEL }, cacheDir);

/** A hand-made greedy recipe with no filter: one prompt, one class. */
const recipe = (
  className: string,
  prompt: string,
  crops: Map<string, Uint8Array> = new Map(),
): RecipeBundle => handRecipe({ name: className, prompt, models: runner.tags, crops });

async function scene(i: number): Promise<string> {
  const path = join(mkdtempSync(join(tmpdir(), 'segkit-scene-')), 'scene.png');
  writeFileSync(path, await encodeImage(recipeScene(i).image, 'png'));
  return path;
}

describe('cascades', () => {
  it('two overlapping recipes: cross-class duplicates go, and stay when one step opts out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segkit-cascade-'));
    await writeRecipe(join(dir, 'red.zip'), recipe('red square', 'red'));
    await writeRecipe(join(dir, 'warm.zip'), recipe('warm', 'orange'));
    // "orange" finds the red and orange squares; "red" finds those and the crimson discs too.
    let path = '';
    for (let i = 0; i < 60 && !path; i++) {
      const names = recipeScene(i).shapes.map((s) => s.name.replace(/\d+$/, ''));
      if (['red', 'orange', 'crimson'].every((n) => names.includes(n))) path = await scene(i);
    }
    expect(path).not.toBe('');
    const write = (name: string, steps: object[]) => {
      writeFileSync(join(dir, name), JSON.stringify({ steps, dedup: { iou: 0.5 } }));
      return join(dir, name);
    };
    const shared = await applyCascade(
      await readCascade(
        write('shared.json', [
          { recipe: 'warm.zip', group: 'g' },
          { recipe: 'red.zip', group: 'g' },
        ]),
      ),
      runner,
      path,
    );
    const apart = await applyCascade(
      await readCascade(
        write('apart.json', [
          { recipe: 'warm.zip', group: 'g' },
          { recipe: 'red.zip', group: 'g', crossClass: false },
        ]),
      ),
      runner,
      path,
    );
    const overlaps = (ds: typeof shared) => {
      let n = 0;
      for (let i = 0; i < ds.length; i++)
        for (let j = i + 1; j < ds.length; j++) if (rleIou(ds[i]!.rle, ds[j]!.rle) > 0.5) n++;
      return n;
    };
    expect(overlaps(shared)).toBe(0);
    expect(new Set(shared.map((d) => d.className))).toEqual(new Set(['red square', 'warm']));
    expect(overlaps(apart)).toBeGreaterThan(0);
    expect(apart.length).toBeGreaterThan(shared.length);
    // Without cross-class de-duplication, each recipe's own detections are all there.
    const red = (ds: typeof shared) => ds.filter((d) => d.className === 'red square').length;
    expect(red(apart)).toBeGreaterThan(red(shared));
  });

  it('classAs renames a step, and a bad cascade file is refused with E_RECIPE_INVALID', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segkit-cascade-'));
    await writeRecipe(join(dir, 'red.zip'), recipe('red square', 'red'));
    writeFileSync(
      join(dir, 'c.json'),
      JSON.stringify({ steps: [{ recipe: 'red.zip', classAs: 'warm thing' }] }),
    );
    const dets = await applyCascade(await readCascade(join(dir, 'c.json')), runner, await scene(1));
    expect(dets.length).toBeGreaterThan(0);
    expect(dets.every((d) => d.className === 'warm thing' && d.recipe === 'red square')).toBe(true);
    for (const bad of [
      '{',
      '{"steps": []}',
      '{"steps": [{"recipe": "red.zip", "crossClass": "yes"}]}',
      '{"steps": [{"recipe": "red.zip"}], "dedup": {"across": "all"}}',
    ]) {
      writeFileSync(join(dir, 'bad.json'), bad);
      await expect(readCascade(join(dir, 'bad.json'))).rejects.toMatchObject({ code: 'E_RECIPE_INVALID' });
    }
  });
});

describe('recipe ZIPs', () => {
  const good = () => recipe('red square', 'red', new Map([['pos-000.png', Buffer.alloc(0)]]));

  it('round-trips, with crops that decode', async () => {
    const b = recipe('red square', 'red');
    const png = await encodeImage(
      { width: 4, height: 4, channels: 3, data: new Uint8Array(48).fill(200) },
      'png',
    );
    b.crops.set('pos-000.png', png);
    b.recipe.crops.positives = ['pos-000.png'];
    const back = await readRecipe(encodeRecipe(b));
    expect(back.recipe).toEqual(b.recipe);
    expect(Buffer.from(back.crops.get('pos-000.png')!)).toEqual(Buffer.from(png));
  });

  it.each([
    ['not a ZIP', () => Buffer.from('hello'), 'E_RECIPE_INVALID', /not a readable ZIP/],
    [
      'a stray entry',
      () =>
        encodeZip([
          { name: 'recipe.json', data: encodeRecipeJson() },
          { name: 'run.sh', data: Buffer.from('x') },
        ]),
      'E_RECIPE_INVALID',
      /unexpected entry "run.sh"/,
    ],
    ['a path escape', () => escaping(), 'E_UNSAFE_PATH', /leaves its folder/],
    [
      'another schema',
      () => encodeZip([{ name: 'recipe.json', data: encodeRecipeJson({ schemaVersion: 9 }) }]),
      'E_RECIPE_INVALID',
      /schemaVersion 9/,
    ],
    [
      'scores that are not figures',
      () => encodeZip([{ name: 'recipe.json', data: encodeRecipeJson({ scores: { coverage: 'high' } }) }]),
      'E_RECIPE_INVALID',
      /scores/,
    ],
    [
      'an unknown backend',
      () =>
        encodeZip([
          {
            name: 'recipe.json',
            data: encodeRecipeJson({ models: { backend: 'gpu', embed: { ref: 'clip', id: 'x' } } }),
          },
        ]),
      'E_RECIPE_INVALID',
      /backend/,
    ],
    [
      'a name with a slash',
      () => encodeZip([{ name: 'recipe.json', data: encodeRecipeJson({ className: 'a/b' }) }]),
      'E_RECIPE_INVALID',
      /className/,
    ],
    [
      'a crop that does not decode',
      () => encodeRecipe(good()),
      'E_RECIPE_INVALID',
      /pos-000.png does not decode/,
    ],
    [
      'a missing crop',
      () =>
        encodeZip([
          {
            name: 'recipe.json',
            data: encodeRecipeJson({ crops: { positives: ['pos-001.png'], negatives: [] } }),
          },
        ]),
      'E_RECIPE_INVALID',
      /pos-001.png/,
    ],
  ])('refuses %s', async (_what, bytes, code, message) => {
    const err = await readRecipe(bytes()).catch((e) => e);
    expect(err).toMatchObject({ code });
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain('\n');
  });

  it('refuses a recipe mined with another embedding model, naming both', async () => {
    const other = new FindRunner({ find: FIND_MODEL, embed: 'clip' }, cacheDir);
    const err = await prepareRecipe(recipe('red square', 'red'), other).catch((e) => e);
    expect(err).toMatchObject({ code: 'E_RECIPE_MODEL_MISMATCH' });
    expect(err.message).toMatch(/clip-fixture/);
    expect(err.message).toMatch(/Xenova\/clip/);
  });
});

function encodeRecipeJson(patch: object = {}): Buffer {
  return Buffer.from(JSON.stringify({ ...recipe('red square', 'red').recipe, ...patch }));
}

/** A ZIP with an entry named crops/../../evil.png (the writer refuses such names, so the bytes are patched). */
function escaping(): Buffer {
  const zip = encodeZip([
    { name: 'recipe.json', data: encodeRecipeJson() },
    { name: 'crops/aa/aa/evil.png', data: Buffer.from('x') },
  ]);
  return Buffer.from(
    zip.toString('latin1').replaceAll('crops/aa/aa/evil.png', 'crops/../../evil.png'),
    'latin1',
  );
}
