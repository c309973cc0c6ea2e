import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iou, maskFromFunction, union } from '@segkit/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { segmentText, slug } from '../src/index.js';
import { fixtureModel } from './helpers/hub-server.js';
import { RED, scene, shapesImage } from './helpers/shapes.js';

const model = fixtureModel('clipseg-fixture');
const { image, truth } = scene();

beforeEach(() => {
  process.env.SEGKIT_CACHE_DIR = mkdtempSync(join(tmpdir(), 'segkit-cache-'));
});

describe('segmentText with the CLIPSeg fixture (through CLIPSegForImageSegmentation and CLIPTokenizer)', () => {
  it('"segment red" returns the red shapes, "blue" the blue one (IoU ≥ 0.9), at the original size', async () => {
    const [red, blue] = await segmentText(image, ['segment red', 'blue'], { model });
    expect(red!.label).toBe('segment-red');
    expect(red!.mask).toMatchObject({ width: 400, height: 300 });
    expect(red!.probability.length).toBe(400 * 300);
    expect(iou(red!.mask, union(truth.redA!, truth.redB!))).toBeGreaterThanOrEqual(0.9);
    expect(iou(blue!.mask, truth.blue!)).toBeGreaterThanOrEqual(0.9);
  });

  it('combines a label’s prompts by max, and splits instances by connected components', async () => {
    const [shapes] = await segmentText(
      image,
      { shapes: ['red thing', 'blue thing'] },
      { model, instances: true },
    );
    expect(iou(shapes!.mask, union(union(truth.redA!, truth.redB!), truth.blue!))).toBeGreaterThanOrEqual(
      0.9,
    );
    expect(shapes!.instances).toHaveLength(3);
    const [mean] = await segmentText(
      image,
      { shapes: ['red thing', 'blue thing'] },
      { model, combine: 'mean' },
    );
    expect(mean!.mask.data.reduce((a, b) => a + b, 0)).toBeLessThan(
      shapes!.mask.data.reduce((a, b) => a + b, 0),
    );
  });

  it('keeps a thin crack with the default post-processing', async () => {
    const { image: wall, truth: t } = shapesImage(400, 300, [
      { name: 'crack', box: [20, 148, 360, 3], colour: RED },
    ]);
    const [crack] = await segmentText(wall, ['segment red crack'], { model });
    expect(iou(crack!.mask, t.crack!)).toBeGreaterThanOrEqual(0.6);
    const opened = await segmentText(wall, ['segment red crack'], { model, openRadius: 3 });
    expect(opened[0]!.mask.data.reduce((a, b) => a + b, 0)).toBe(0); // an opening wider than the crack erases it
  });

  it('finds nothing for a prompt without a known colour (an empty mask, not an error)', async () => {
    const [wall] = await segmentText(image, ['a wall'], { model });
    expect(wall!.mask.data.reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('rejects an empty prompt, more than 32 prompts and a missing model', async () => {
    await expect(segmentText(image, ['  '], { model })).rejects.toMatchObject({ code: 'E_PROMPT_INVALID' });
    await expect(
      segmentText(
        image,
        Array.from({ length: 33 }, (_, i) => `red ${i}`),
        { model },
      ),
    ).rejects.toMatchObject({ code: 'E_PROMPT_INVALID', message: expect.stringContaining('at most 32') });
    await expect(segmentText(image, ['red'])).rejects.toMatchObject({
      code: 'E_MODEL_MISSING',
      message: expect.stringContaining('segkit models pull clipseg'),
    });
    await expect(segmentText(image, ['red'], { model: fixtureModel('sam-fixture') })).rejects.toMatchObject({
      code: 'E_MODEL_UNSUPPORTED',
    });
  });

  it('slugs bare prompts into labels', () => {
    expect(slug('Segment  Wall-Crack!')).toBe('segment-wall-crack');
    expect(maskFromFunction(1, 1, () => true).width).toBe(1);
  });
});
