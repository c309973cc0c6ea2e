import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maskFromFunction } from '@segkit/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { classify, embedMasks, embedText, maskCrop } from '../src/index.js';
import { fixtureModel } from './helpers/hub-server.js';
import { scene } from './helpers/shapes.js';

const model = fixtureModel('clip-fixture');
const { image, truth } = scene();
const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

beforeEach(() => {
  process.env.SEGKIT_CACHE_DIR = mkdtempSync(join(tmpdir(), 'segkit-cache-'));
});

describe('CLIP embeddings with the fixture (through CLIPVisionModelWithProjection / CLIPTextModelWithProjection)', () => {
  it('embeds each mask as an L2-normalised vector; same-coloured regions embed alike', async () => {
    const [a, b, blue] = await embedMasks(image, [truth.redA!, truth.redB!, truth.blue!], {
      model,
      batchSize: 2,
    });
    for (const v of [a!, b!, blue!]) expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    expect(cos(a!, b!)).toBeGreaterThan(0.99);
    expect(cos(a!, blue!)).toBeLessThan(0.2);
  });

  it('embeds text so that a colour word matches regions of that colour', async () => {
    const [red, blueText] = await embedText(['a photo of red', 'blue'], { model });
    const [region] = await embedMasks(image, [truth.blue!], { model });
    expect(cos(region!, blueText!)).toBeGreaterThan(cos(region!, red!));
  });

  it('classifies a region zero-shot with ranked probabilities and a margin', async () => {
    const r = await classify(image, truth.redA!, ['blue', 'red', 'green'], {
      model,
      template: 'a photo of {}',
    });
    expect(r.ranked[0]!.label).toBe('red');
    expect(r.ranked.reduce((s, x) => s + x.probability, 0)).toBeCloseTo(1, 6);
    expect(r.margin).toBeGreaterThan(0.5);
  });

  it('blanks the background of a crop unless told not to, and pads the bbox', () => {
    const crop = maskCrop(image, truth.blue!, 0.1, true);
    expect(crop.width).toBe(120); // 100 px disc + 10 px padding each side
    expect(Array.from(crop.data.subarray(0, 3))).toEqual([128, 128, 128]);
    expect(Array.from(maskCrop(image, truth.blue!, 0.1, false).data.subarray(0, 3))).toEqual([235, 235, 230]);
  });

  it('rejects an empty mask, empty text, fewer than two classes and a missing model', async () => {
    const empty = maskFromFunction(400, 300, () => false);
    await expect(embedMasks(image, [empty], { model })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(embedText([' '], { model })).rejects.toMatchObject({ code: 'E_PROMPT_INVALID' });
    await expect(classify(image, truth.redA!, ['red'], { model })).rejects.toMatchObject({
      code: 'E_INVALID_ARGUMENT',
    });
    await expect(embedText(['red'])).rejects.toMatchObject({
      code: 'E_MODEL_MISSING',
      message: expect.stringContaining('segkit models pull clip'),
    });
  });
});
