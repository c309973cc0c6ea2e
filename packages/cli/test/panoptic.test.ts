import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeImage } from '@segkit/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { shapesImage } from '../../models/test/helpers/shapes.js';
import { cli, repo, tmp } from './helpers.js';

describe('segkit panoptic', () => {
  it('writes one mask per segment, segments.json, an overlay, and prints JSON', async () => {
    const { image } = shapesImage(400, 300, [
      { name: 'sky', box: [0, 0, 400, 120], colour: [60, 90, 220] },
      { name: 'person', box: [50, 100, 60, 150], colour: [210, 40, 40] },
    ]);
    const photo = join(mkdtempSync(join(tmpdir(), 'segkit-pan-')), 'street.png');
    writeFileSync(photo, await encodeImage(image, 'png'));
    const out = join(tmp(), 'out');
    const r = await cli(
      'panoptic',
      photo,
      '-o',
      out,
      '--model',
      join(repo, 'fixtures/models/detr-fixture'),
      '--json',
      '--overlay',
      join(out, 'overlay.jpg'),
    );
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { label: string; file: string; isThing: boolean }[];
    expect(rows.map((x) => x.label).sort()).toEqual(['person', 'sky-other-merged', 'wall-other-merged']);
    for (const row of rows) expect((await sharp(row.file).metadata()).channels).toBe(1);
    expect(JSON.parse(readFileSync(join(out, 'segments.json'), 'utf8'))).toHaveLength(3);
    expect(existsSync(join(out, 'overlay.jpg'))).toBe(true);
  });

  it('says how to get the model when it is missing', async () => {
    process.env.SEGKIT_CACHE_DIR = tmp();
    const r = await cli('panoptic', join(repo, 'examples/coffee.png'), '-o', tmp());
    expect(r.stderr).toMatch(/^segkit: E_MODEL_MISSING: .*segkit models pull detr-panoptic/);
  });
});
