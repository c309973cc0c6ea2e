import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { recipeDataset } from '../../recipes/test/helpers/shapes.js';
import { cli, repo, tmp } from './helpers.js';

const fx = (n: string) => join(repo, 'fixtures/models', n);
const models = ['--model', fx('sam3-fixture'), '--embed-model', fx('clip-fixture')];
let data: string;
let out: string;

beforeAll(async () => {
  process.env.SEGKIT_CACHE_DIR = mkdtempSync(join(tmpdir(), 'segkit-cache-'));
  data = await recipeDataset(24);
  out = join(tmp(), 'recipes');
  writeFileSync(join(data, 'prompts.json'), JSON.stringify({ 'red square': ['orange', 'blue'] }));
  const r = await cli(
    'recipe',
    'mine',
    data,
    '-o',
    out,
    '--classes',
    'red square',
    '--prompts',
    join(data, 'prompts.json'),
    ...models,
  );
  expect(r.stderr).toMatch(/red square: validation/);
  expect(r.code, r.stderr).toBe(0);
}, 120_000);

describe('segkit recipe', () => {
  it('mine writes a ZIP, a curve and both reports per class', () => {
    for (const f of ['red-square.zip', 'red-square-curve.png', 'report.json', 'report.txt'])
      expect(existsSync(join(out, f)), f).toBe(true);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const red = report.classes['red square'];
    for (const k of ['coverage', 'precision', 'falsePositives', 'duplicates', 'detectionRate', 'ap'])
      expect(typeof red[k], k).toBe('number');
    expect(red.prompts).not.toContain('blue');
    expect(readFileSync(join(out, 'report.txt'), 'utf8')).toMatch(/red square\s+1\.00/);
  });

  it('apply writes COCO with the recipe named, and PNG masks with --format masks', async () => {
    const found = join(tmp(), 'found');
    const r = await cli(
      'recipe',
      'apply',
      '--recipe',
      join(out, 'red-square.zip'),
      join(data, 'images'),
      '-o',
      found,
      '--class-as',
      'red',
      ...models,
    );
    expect(r.code, r.stderr).toBe(0);
    const coco = JSON.parse(readFileSync(join(found, 'annotations.json'), 'utf8'));
    expect(coco.images).toHaveLength(24);
    expect(coco.categories).toEqual([{ id: 1, name: 'red' }]);
    expect(coco.annotations.length).toBeGreaterThan(24);
    expect(coco.annotations[0].attributes).toEqual({ source: 'model', recipe: 'red square' });
    const masks = join(tmp(), 'masks');
    const m = await cli(
      'recipe',
      'apply',
      '--recipe',
      join(out, 'red-square.zip'),
      join(data, 'images/s000.png'),
      '-o',
      masks,
      '--format',
      'masks',
      ...models,
    );
    expect(m.code, m.stderr).toBe(0);
    expect(existsSync(join(masks, 's000', '0-red-square.png'))).toBe(true);
  });

  it('cascade applies the recipes a cascade file names, relative to it', async () => {
    const file = join(out, 'cascade.json');
    writeFileSync(file, JSON.stringify({ steps: [{ recipe: 'red-square.zip', classAs: 'red' }] }));
    const r = await cli(
      'recipe',
      'cascade',
      '--json',
      file,
      join(data, 'images/s001.png'),
      '-o',
      join(tmp(), 'c'),
      ...models,
    );
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout);
    expect(rows[0].detections.every((d: { className: string }) => d.className === 'red')).toBe(true);
  });

  it.each([
    [['recipe', 'mine', 'DATA', '-o', 'OUT', '--mode', 'fast'], 'E_USAGE', /--mode must be greedy or steps/],
    [['recipe', 'mine', 'DATA'], 'E_USAGE', /-o|--output/],
    [
      ['recipe', 'mine', 'DATA', '-o', 'OUT', '--classes', 'wood'],
      'E_INVALID_ARGUMENT',
      /No masks of class "wood"/,
    ],
    [
      ['recipe', 'apply', '--recipe', 'DATA/annotations.json', 'DATA/images', '-o', 'OUT'],
      'E_RECIPE_INVALID',
      /not a readable ZIP/,
    ],
    [
      ['recipe', 'apply', '--recipe', 'RECIPE', 'DATA/images', '-o', 'OUT'],
      'E_MODEL_MISSING',
      /model folder "sam3-fixture".*--model DIR/,
    ],
    [
      [
        'recipe',
        'apply',
        '--recipe',
        'RECIPE',
        'DATA/images',
        '-o',
        'OUT',
        '--model',
        fx('sam3-fixture'),
        '--embed-model',
        'clip',
      ],
      'E_RECIPE_MODEL_MISMATCH',
      /clip-fixture/,
    ],
  ])('refuses %j with a coded one-line error', async (args, code, message) => {
    const real = args.map((a) =>
      a.replace('DATA', data).replace('OUT', join(tmp(), 'x')).replace('RECIPE', join(out, 'red-square.zip')),
    );
    const r = await cli(...real);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
