import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iou, type Mask } from '@segkit/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { findAll } from '../src/index.js';
import { fixtureModel } from './helpers/hub-server.js';
import { BLUE, RED, shapesImage } from './helpers/shapes.js';

const CYAN: [number, number, number] = [40, 190, 200];
const models = {
  segmentModel: fixtureModel('sam-fixture'),
  textModel: fixtureModel('clipseg-fixture'),
  clipModel: fixtureModel('clip-fixture'),
  pointsPerSide: 10,
};
const { image, truth } = shapesImage(480, 320, [
  { name: 'blue1', box: [20, 20, 70, 60], colour: BLUE },
  { name: 'blue2', box: [200, 30, 60, 60], colour: BLUE },
  { name: 'blue3', box: [380, 200, 70, 80], colour: BLUE },
  { name: 'red1', box: [120, 150, 60, 60], colour: RED },
  { name: 'red2', box: [300, 120, 50, 50], colour: RED },
  { name: 'cyan1', box: [40, 220, 60, 60], colour: CYAN },
  { name: 'cyan2', box: [220, 230, 60, 60], colour: CYAN },
]);
const matched = (found: { mask: Mask }[], m: Mask) => found.some((f) => iou(f.mask, m) >= 0.9);
const touches = (found: { mask: Mask }[], m: Mask) => found.some((f) => iou(f.mask, m) > 0.1);

beforeEach(() => {
  process.env.SEGKIT_CACHE_DIR = mkdtempSync(join(tmpdir(), 'segkit-cache-'));
});

describe('findAll with fixture SAM, CLIPSeg and CLIP', () => {
  it('finds every blue shape and no red one from the text "blue" and one positive exemplar', async () => {
    const found = await findAll(image, { ...models, text: 'blue', positiveExemplars: [[20, 20, 70, 60]] });
    for (const name of ['blue1', 'blue2', 'blue3']) expect(matched(found, truth[name]!), name).toBe(true);
    for (const name of ['red1', 'red2']) expect(touches(found, truth[name]!), name).toBe(false);
    expect(found.every((f) => f.source === 'model')).toBe(true);
  });

  it('a negative exemplar suppresses its look-alikes', async () => {
    const without = await findAll(image, { ...models, positiveExemplars: [[200, 30, 60, 60]] });
    expect(matched(without, truth.cyan1!) && matched(without, truth.cyan2!)).toBe(true); // cyan is close to blue
    const withNeg = await findAll(image, {
      ...models,
      positiveExemplars: [[200, 30, 60, 60]],
      negativeExemplars: [[40, 220, 60, 60]],
    });
    expect(touches(withNeg, truth.cyan1!) || touches(withNeg, truth.cyan2!)).toBe(false);
    for (const name of ['blue1', 'blue2', 'blue3']) expect(matched(withNeg, truth[name]!), name).toBe(true);
  });

  it('ignores specks under minArea and scores at most maxCandidates regions on a busy image', async () => {
    // Two blue squares among 400 blue 2×2 specks: each speck is a component of CLIPSeg's mask and of SAM's masks.
    const specks = Array.from({ length: 400 }, (_, i) => ({
      name: `s${i}`,
      box: [5 + (i % 25) * 19, 160 + Math.floor(i / 25) * 9, 2, 2] as [number, number, number, number],
      colour: BLUE,
    }));
    const busy = shapesImage(480, 320, [
      { name: 'a', box: [20, 20, 80, 80], colour: BLUE },
      { name: 'b', box: [300, 30, 90, 90], colour: BLUE },
      ...specks,
    ]);
    const found = await findAll(busy.image, { ...models, text: 'blue' });
    expect(matched(found, busy.truth.a!) && matched(found, busy.truth.b!)).toBe(true);
    expect(found.every((f) => f.bbox[2] * f.bbox[3] > 16)).toBe(true); // no speck is an instance
    // With minArea 1 the specks become candidates; maxCandidates bounds how many are scored and returned.
    const capped = await findAll(busy.image, { ...models, text: 'blue', minArea: 1, maxCandidates: 5 });
    expect(capped.length).toBeLessThanOrEqual(5);
    expect(matched(capped, busy.truth.a!) && matched(capped, busy.truth.b!)).toBe(true); // largest first
  });

  it('reports one red instance per picture: no 1-px slivers along its edge, no duplicate inside it', async () => {
    const { colourScene } = await import('../../analytics/test/helpers/colour-images.js');
    // Pictures 2, 4, 6 and 11 of examples/shapes once gave a 56×1 sliver or a ring inside the red rectangle.
    for (const i of [2, 4, 6, 11]) {
      const { image: picture, truth: t } = colourScene(i);
      const found = await findAll(picture, { text: 'red', ...models });
      expect(
        found.map((f) => f.bbox),
        `picture ${i}`,
      ).toHaveLength(1);
      expect(iou(found[0]!.mask, t.red)).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('returns an empty list when nothing matches', async () => {
    const reds = shapesImage(200, 150, [{ name: 'r', box: [50, 40, 60, 60], colour: RED }]).image;
    expect(await findAll(reds, { ...models, text: 'green' })).toEqual([]);
  });

  it('needs a text prompt or exemplar boxes, and exemplars inside the image', async () => {
    await expect(findAll(image, { ...models })).rejects.toMatchObject({
      code: 'E_FIND_ALL_NEEDS_PROMPT',
      message: 'find-all requires a text prompt or exemplar boxes',
    });
    await expect(findAll(image, { ...models, negativeExemplars: [[0, 0, 5, 5]] })).rejects.toMatchObject({
      code: 'E_FIND_ALL_NEEDS_PROMPT',
    });
    await expect(
      findAll(image, { ...models, positiveExemplars: [[450, 300, 50, 50]] }),
    ).rejects.toMatchObject({ code: 'E_PROMPT_OUT_OF_BOUNDS' });
  });
});
