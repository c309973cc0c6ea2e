import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { masksEqual, readMask } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import { maskFolderDataset, tmp } from '../../datasets/test/helpers/generate.js';
import { cli } from './helpers.js';

describe('segkit dataset convert', () => {
  it('converts PNG masks → COCO → PNG masks losslessly and reports counts', async () => {
    const src = await maskFolderDataset();
    const coco = join(tmp(), 'coco');
    const r = await cli('dataset', 'convert', src, coco, '--to', 'coco');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/wrote .* \(coco\): 2 images, 2 categories, 3 annotations, 0 warnings/);
    const back = join(tmp(), 'masks');
    expect(
      (await cli('dataset', 'convert', join(coco, 'annotations.json'), back, '--to', 'masks')).code,
    ).toBe(0);
    expect(
      masksEqual(await readMask(join(back, 'masks/cat/a.png')), await readMask(join(src, 'masks/cat/a.png'))),
    ).toBe(true);
    expect(JSON.parse(readFileSync(join(back, 'manifest.json'), 'utf8')).format).toBe('masks');
  });

  it('rejects an unknown format, a missing --to and an undetectable folder, writing nothing', async () => {
    const src = await maskFolderDataset();
    const parent = tmp();
    expect((await cli('dataset', 'convert', src, join(parent, 'o'), '--to', 'voc')).stderr).toMatch(
      /^segkit: E_DATASET_FORMAT: --to must be one of coco, yolo, yolo-seg, masks/,
    );
    expect((await cli('dataset', 'convert', src, join(parent, 'o'))).stderr).toMatch(
      /^segkit: E_USAGE: Missing required option --to/,
    );
    expect((await cli('dataset', 'convert', tmp(), join(parent, 'o'), '--to', 'coco')).stderr).toMatch(
      /^segkit: E_DATASET_FORMAT: Cannot tell the format/,
    );
    expect(readdirSync(parent)).toEqual([]);
    expect(existsSync(join(parent, 'o'))).toBe(false);
  });
});

describe('segkit dataset manifest / split / merge', () => {
  it('writes a manifest, re-splits it reproducibly and prints the count table', async () => {
    const src = await maskFolderDataset();
    const dir = tmp();
    expect((await cli('dataset', 'manifest', src, '-o', join(dir, 'm.csv'))).code).toBe(0);
    const a = await cli('dataset', 'split', join(dir, 'm.csv'), '-o', join(dir, 's1.csv'), '--seed', '7');
    const b = await cli('dataset', 'split', join(dir, 'm.csv'), '-o', join(dir, 's2.csv'), '--seed', '7');
    expect(b.stdout).toBe(a.stdout);
    expect(a.stdout).toMatch(/^label +train +val +test\ncat /);
    expect(a.stdout).toMatch(/images +\d+ +\d+ +\d+\n$/);
    expect(readFileSync(join(dir, 's1.csv'), 'utf8')).toBe(readFileSync(join(dir, 's2.csv'), 'utf8'));
    const merged = await cli('dataset', 'merge', join(dir, 'm.csv'), src, '-o', join(dir, 'merged.csv'));
    expect(merged.code).toBe(0);
    expect(readFileSync(join(dir, 'merged.csv'), 'utf8').trim().split('\n')).toHaveLength(4);
  });

  it('writes manifest paths relative to the CSV, so split → eval works from another folder (README flow)', async () => {
    const src = await maskFolderDataset();
    const dir = join(tmp(), 'elsewhere');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    expect((await cli('dataset', 'manifest', src, '-o', join(dir, 'manifest.csv'))).code).toBe(0);
    const s = await cli(
      'dataset',
      'split',
      join(dir, 'manifest.csv'),
      '-o',
      join(dir, 'split.csv'),
      '--ratios',
      '50,50,0',
    );
    expect(s.code).toBe(0);
    // The table's columns line up: every row (the images row too) has the header's width.
    const lines = s.stdout.trim().split('\n');
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
    const rows = readFileSync(join(dir, 'split.csv'), 'utf8').trim().split('\n').slice(1);
    const valRows = rows.filter((r) => r.split(',')[4] === 'val');
    expect(valRows.length).toBeGreaterThan(0);
    expect(valRows.length).toBeLessThan(rows.length);
    // eval --gt split.csv --split val scores only the val rows; without --split, every row.
    const val = await cli(
      'eval',
      '--pred',
      join(src, 'masks'),
      '--gt',
      join(dir, 'split.csv'),
      '--split',
      'val',
      '--json',
    );
    expect(val.stderr).toBe('');
    expect(JSON.parse(val.stdout)).toMatchObject({ perImageCount: valRows.length, split: 'val' });
    const all = await cli('eval', '--pred', join(src, 'masks'), '--gt', join(dir, 'split.csv'), '--json');
    expect(JSON.parse(all.stdout).perImageCount).toBe(rows.length);
    expect(
      (await cli('eval', '--pred', join(src, 'masks'), '--gt', join(dir, 'split.csv'), '--split', 'dev'))
        .stderr,
    ).toMatch(/^segkit: E_INVALID_ARGUMENT: .*no rows with masks in split "dev" \(its splits: /);
  });

  it('rejects bad ratios on one line', async () => {
    const src = await maskFolderDataset();
    expect(
      (await cli('dataset', 'split', src, '-o', join(tmp(), 's.csv'), '--ratios', '70,30')).stderr,
    ).toMatch(/^segkit: E_USAGE: --ratios/);
  });
});

describe('segkit dataset build-seg', () => {
  it('builds masks from the boxes of a YOLO detection dataset with classic, reporting the summary', async () => {
    const { encodeImage } = await import('@segkit/core');
    const { scene } = await import('../../models/test/helpers/shapes.js');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const src = tmp();
    mkdirSync(join(src, 'images'));
    mkdirSync(join(src, 'labels'));
    writeFileSync(join(src, 'images/s.png'), await encodeImage(scene().image, 'png'));
    writeFileSync(join(src, 'data.yaml'), 'names: [shape]\n');
    writeFileSync(join(src, 'labels/s.txt'), '0 0.225 0.3167 0.275 0.3333\n'); // around the first red rectangle
    const out = join(tmp(), 'seg');
    const r = await cli('dataset', 'build-seg', src, '--out', out, '--model', 'classic', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ images: 1, masks: 1, fallbacks: 0, model: 'classic' });
    expect(r.stderr).toMatch(/wrote .*: 1 images, 1 masks, 0 fallbacks to the box/);
    expect(existsSync(join(out, 'annotations.json'))).toBe(true);
  });
});
