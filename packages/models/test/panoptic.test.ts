import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iou } from '@segkit/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { cocoPanopticCategories, panopticLabel, segmentPanoptic } from '../src/index.js';
import { fixtureModel } from './helpers/hub-server.js';
import { shapesImage } from './helpers/shapes.js';

export const street = () =>
  shapesImage(400, 300, [
    { name: 'sky', box: [0, 0, 400, 120], colour: [60, 90, 220] },
    { name: 'grass', box: [0, 200, 400, 100], colour: [50, 170, 60] },
    { name: 'person', box: [50, 100, 60, 150], colour: [210, 40, 40] },
    { name: 'car', box: [250, 130, 120, 60], colour: [220, 200, 40] },
  ]);

beforeEach(() => {
  process.env.SEGKIT_CACHE_DIR = mkdtempSync(join(tmpdir(), 'segkit-cache-'));
});

describe('COCO panoptic taxonomy', () => {
  it('ships 133 categories: 80 things and 53 stuff', () => {
    const t = cocoPanopticCategories();
    expect(t).toHaveLength(133);
    expect(t.filter((c) => c.isthing === 1)).toHaveLength(80);
  });

  it('uses id2label names, falling back to COCO for LABEL_n placeholders', () => {
    expect(panopticLabel(1, { 1: 'LABEL_1' })).toEqual({ label: 'person', isThing: true });
    expect(panopticLabel(187, {})).toEqual({ label: 'sky-other-merged', isThing: false });
    expect(panopticLabel(3, { 3: 'automobile' })).toEqual({ label: 'automobile', isThing: true });
    expect(panopticLabel(249, { 249: 'LABEL_249' })).toEqual({ label: 'LABEL_249', isThing: false });
  });
});

describe('segmentPanoptic with the DETR fixture (through DetrForSegmentation)', () => {
  it('returns the labelled regions, naming LABEL_n classes from the COCO table', async () => {
    const { image, truth } = street();
    const segs = await segmentPanoptic(image, { model: fixtureModel('detr-fixture') });
    const byLabel = Object.fromEntries(segs.map((s) => [s.label, s]));
    expect(Object.keys(byLabel).sort()).toEqual([
      'car',
      'grass-merged',
      'person',
      'sky-other-merged',
      'wall-other-merged',
    ]);
    expect(byLabel.person!.isThing).toBe(true);
    expect(byLabel['sky-other-merged']!.isThing).toBe(false);
    expect(byLabel['wall-other-merged']!.isThing).toBe(false); // the grey background
    expect(iou(byLabel.person!.mask, truth.person!)).toBeGreaterThanOrEqual(0.9);
    expect(iou(byLabel.car!.mask, truth.car!)).toBeGreaterThanOrEqual(0.9);
    expect(iou(byLabel['sky-other-merged']!.mask, truth.sky!)).toBeGreaterThanOrEqual(0.9);
    expect(segs.every((x) => x.score > 0.9 && x.area > 0)).toBe(true);
  });

  it('rejects a missing model and a model of the wrong type', async () => {
    const { image } = street();
    await expect(segmentPanoptic(image)).rejects.toMatchObject({
      code: 'E_MODEL_MISSING',
      message: expect.stringContaining('segkit models pull detr-panoptic'),
    });
    await expect(segmentPanoptic(image, { model: fixtureModel('sam-fixture') })).rejects.toMatchObject({
      code: 'E_MODEL_UNSUPPORTED',
    });
  });
});
