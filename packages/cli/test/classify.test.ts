import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { colourBoxDataset } from '../../analytics/test/helpers/colour-boxes.js';
import { cli, repo, tmp } from './helpers.js';

const clip = join(repo, 'fixtures/models/clip-fixture');

describe('segkit classify', () => {
  it('train writes a head with per-epoch metrics; predict --json names the trained label; a rerun embeds nothing', async () => {
    const data = await colourBoxDataset(30);
    const out = join(tmp(), 'heads', 'shapes');
    const cache = tmp();
    process.env.SEGKIT_CACHE_DIR = cache;
    const r = await cli('classify', 'train', data, '-o', out, '--embed-model', clip, '--val', '0.2');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/epoch +1 +loss [\d.]+ +train acc [\d.]+ +val loss [\d.]+ +val acc [\d.]+/);
    expect(r.stdout).toMatch(/5 labels from 90 crops of 30 images .*val accuracy 1\.000/s);
    expect(r.stdout).toContain('embeddings: 90 computed, 0 from the cache');
    const info = JSON.parse(readFileSync(join(out, 'head.json'), 'utf8'));
    expect(info.labels).toEqual(['blue', 'green', 'purple', 'red', 'yellow']);
    expect(existsSync(join(out, 'weights.npy'))).toBe(true);
    const again = await cli('classify', 'train', data, '-o', out, '--embed-model', clip, '--json');
    expect(JSON.parse(again.stdout).embeddings).toEqual({ computed: 0, cached: 90 });
    // A box of a known class, from the dataset itself.
    const coco = JSON.parse(readFileSync(join(data, 'annotations.json'), 'utf8'));
    const a = coco.annotations[0];
    const label = coco.categories.find((c: { id: number }) => c.id === a.category_id).name;
    const image = join(
      data,
      'images',
      coco.images.find((i: { id: number }) => i.id === a.image_id).file_name,
    );
    const p = await cli('classify', 'predict', image, '--box', a.bbox.join(','), '--head', out, '--json');
    expect(p.code).toBe(0);
    const [res] = JSON.parse(p.stdout);
    expect(Object.keys(res).sort()).toEqual(['box', 'margin', 'ranked', 'unsure']);
    expect(res.box).toEqual(a.bbox);
    expect(res.ranked[0].label).toBe(label);
    expect(res.ranked).toHaveLength(5);
    expect(typeof res.ranked[0].probability).toBe('number');
    const human = await cli('classify', 'predict', image, '--box', a.bbox.join(','), '--head', out);
    expect(human.stdout).toMatch(new RegExp(`^${a.bbox.join(',')}: ${label} [\\d.]+%`));
  });

  it('predict refuses a head of another embedding model, and missing options, with coded one-line errors', async () => {
    const data = await colourBoxDataset(12);
    const out = join(tmp(), 'h');
    process.env.SEGKIT_CACHE_DIR = tmp();
    expect((await cli('classify', 'train', data, '-o', out, '--embed-model', clip)).code).toBe(0);
    const image = join(data, 'images', 'img000.png');
    const other = join(repo, 'fixtures/models/clipseg-fixture');
    const r = await cli(
      'classify',
      'predict',
      image,
      '--box',
      '1,1,20,20',
      '--head',
      out,
      '--embed-model',
      other,
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/E_HEAD_MISMATCH: .*clip-fixture.*clipseg-fixture/);
    const noBox = await cli('classify', 'predict', image, '--head', out);
    expect(noBox.stderr).toMatch(/E_USAGE: .*--box/);
    const noHead = await cli('classify', 'predict', image, '--box', '1,1,5,5', '--head', tmp());
    expect(noHead.stderr).toMatch(/E_HEAD_INVALID/);
  });

  it('bench prints accuracy, macro-F1, a per-class table and the confusion matrix, and writes its PNG', async () => {
    const data = await colourBoxDataset(40);
    const out = join(tmp(), 'report');
    process.env.SEGKIT_CACHE_DIR = tmp();
    const r = await cli('classify', 'bench', data, '--embed-model', clip, '-o', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/accuracy 1\.0000 +macro-F1 1\.0000/);
    expect(r.stdout).toMatch(/label +precision +recall +F1 +support/);
    expect(r.stdout).toMatch(/confusion \(rows: true, columns: predicted\)/);
    const meta = await sharp(join(out, 'confusion.png')).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThan(200);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.matrix).toHaveLength(5);
    expect(report.matrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(
      report.perClass.reduce((a: number, c: { support: number }) => a + c.support, 0),
    );
    expect(existsSync(join(out, 'head', 'head.json'))).toBe(true);
  });
});
