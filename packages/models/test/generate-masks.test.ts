import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iou, union } from '@segkit/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { Segmenter } from '../src/index.js';
import { fixtureModel } from './helpers/hub-server.js';
import { scene } from './helpers/shapes.js';

const { image, truth } = scene();

beforeEach(() => {
  process.env.SEGKIT_CACHE_DIR = mkdtempSync(join(tmpdir(), 'segkit-cache-'));
});

describe.each(['sam-fixture', 'sam2-fixture'])('generateMasks with %s', (name) => {
  it('finds every region from a point grid on one embedding, without duplicates', async () => {
    const seg = await Segmenter.create({ model: fixtureModel(name) });
    const masks = await seg.generateMasks(image, { pointsPerSide: 8, batchSize: 16 });
    expect(seg.stats.encoderRuns).toBe(1);
    const best = (m: Parameters<typeof iou>[0]) => Math.max(...masks.map((g) => iou(g.mask, m)));
    expect(best(truth.blue!)).toBeGreaterThanOrEqual(0.9);
    expect(best(union(truth.redA!, truth.redB!))).toBeGreaterThanOrEqual(0.9); // the fixture groups same-coloured shapes
    for (let i = 0; i < masks.length; i++)
      for (let j = i + 1; j < masks.length; j++)
        expect(iou(masks[i]!.mask, masks[j]!.mask)).toBeLessThanOrEqual(0.75);
    expect(masks.map((m) => m.score)).toEqual([...masks.map((m) => m.score)].sort((a, b) => b - a));
    for (const m of masks) expect(m.stability).toBeGreaterThanOrEqual(0.92);
  });

  it('filters by predicted IoU and minimum area', async () => {
    const seg = await Segmenter.create({ model: fixtureModel(name) });
    expect(await seg.generateMasks(image, { pointsPerSide: 4, predIouThreshold: 0.99 })).toEqual([]);
    const big = await seg.generateMasks(image, { pointsPerSide: 8, minArea: 50_000 });
    expect(big.every((m) => m.area >= 50_000)).toBe(true);
  });
});

describe('generateMasks with classic', () => {
  it('is refused: it needs a SAM model', async () => {
    const seg = await Segmenter.create({ model: 'classic' });
    await expect(seg.generateMasks(image)).rejects.toMatchObject({ code: 'E_MODEL_UNSUPPORTED' });
  });
});
