import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeImage, iou, polygonsToRle, rleArea, rleBbox } from '@segkit/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { scene } from '../../models/test/helpers/shapes.js';
import { buildSegmentation, readDataset, segmentationToMask } from '../src/index.js';
import { tmp } from './helpers/generate.js';

const fixture = new URL('../../../fixtures/models/sam-fixture', import.meta.url).pathname;
const { image, truth } = scene();
const boxes = { redA: [35, 45, 110, 100], blue: [245, 25, 110, 110], redB: [235, 165, 120, 90] } as const;

/** A COCO box dataset: two copies of the scene, each with three boxes and no masks. */
async function boxDataset(): Promise<string> {
  const dir = tmp();
  mkdirSync(join(dir, 'images'));
  const png = await encodeImage(image, 'png');
  writeFileSync(join(dir, 'images/s1.png'), png);
  writeFileSync(join(dir, 'images/s2.png'), png);
  let id = 1;
  const annotations = [1, 2].flatMap((imageId) =>
    Object.values(boxes).map((bbox) => ({
      id: id++,
      image_id: imageId,
      category_id: 1,
      bbox,
      area: bbox[2] * bbox[3],
      iscrowd: 0,
    })),
  );
  writeFileSync(
    join(dir, 'annotations.json'),
    JSON.stringify({
      images: [1, 2].map((i) => ({ id: i, file_name: `s${i}.png`, width: 400, height: 300 })),
      categories: [{ id: 1, name: 'shape' }],
      annotations,
    }),
  );
  return dir;
}

beforeEach(() => {
  process.env.SEGKIT_CACHE_DIR = mkdtempSync(join(tmpdir(), 'segkit-cache-'));
});

describe.each([
  ['fixture SAM', fixture],
  ['classic', 'classic'],
])('build-seg with %s', (_, model) => {
  it('turns every box into its shape (IoU ≥ 0.9) and leaves the source untouched', async () => {
    const src = await boxDataset();
    const before = readdirSync(src).sort();
    const out = join(tmp(), 'seg');
    const summary = await buildSegmentation(await readDataset(src), out, { model });
    expect(summary).toMatchObject({ images: 2, masks: 6, fallbacks: 0, resumed: 0 });
    const ds = await readDataset(out);
    const names = Object.keys(boxes) as (keyof typeof boxes)[];
    for (const a of ds.annotations) {
      const img = ds.images.find((i) => i.id === a.imageId)!;
      const name = names[(a.id - 1) % 3]!;
      expect(
        iou(segmentationToMask(a.segmentation!, img), truth[name]!),
        `${model} ${name}`,
      ).toBeGreaterThanOrEqual(0.9);
      expect(a.source).toBe('model');
    }
    // COCO area and bbox are the written mask's (pycocotools area()/toBbox()), not the prompt box's.
    const raw = JSON.parse(readFileSync(join(out, 'annotations.json'), 'utf8'));
    for (const a of raw.annotations) {
      const rle = Array.isArray(a.segmentation) ? polygonsToRle(a.segmentation, 300, 400) : a.segmentation;
      expect(a.area).toBe(rleArea(rle));
      expect(a.bbox).toEqual(rleBbox(rle));
      expect(a.bbox.every(Number.isInteger)).toBe(true);
    }
    const disc = raw.annotations.find((a: { id: number }) => a.id === 2);
    expect(disc.area).toBeLessThan(0.85 * 110 * 110); // a disc covers π/4 of its box
    expect(ds.warnings).toEqual([]);
    expect(readdirSync(src).sort()).toEqual(before);
  });
});

describe('build-seg fallbacks and resume', () => {
  it('falls back to the box when the score is under the threshold, and counts it', async () => {
    const out = join(tmp(), 'seg');
    const s = await buildSegmentation(await readDataset(await boxDataset()), out, {
      model: fixture,
      scoreThreshold: 0.99,
    });
    expect(s).toMatchObject({ masks: 0, fallbacks: 6 });
    const ds = await readDataset(out);
    expect(ds.annotations[0]!.segmentation).toEqual({ polygons: [[35, 45, 145, 45, 145, 145, 35, 145]] });
    expect(ds.annotations[0]!.attributes).toEqual({ segkit_fallback: true });
  });

  it('resumes from the journal of an interrupted run', async () => {
    const src = await boxDataset();
    const parent = tmp();
    const out = join(parent, 'seg');
    const earlier = [
      {
        id: 1,
        imageId: 1,
        categoryId: 1,
        bbox: [1, 2, 3, 4],
        area: 12,
        iscrowd: false,
        source: 'user',
        promptType: 'segment',
        segmentation: { polygons: [[1, 2, 4, 2, 4, 6, 1, 6]] },
      },
    ];
    writeFileSync(
      join(parent, '.seg.build-seg.jsonl'),
      `${JSON.stringify({ imageId: 1, annotations: earlier })}\n{"imageId": 2, "annot`,
    );
    const s = await buildSegmentation(await readDataset(src), out, { model: fixture });
    expect(s).toMatchObject({ images: 2, resumed: 1, masks: 4, fallbacks: 0 });
    const ds = await readDataset(out);
    expect(ds.annotations.filter((a) => a.imageId === 1).map((a) => a.bbox)).toEqual([[1, 2, 3, 4]]);
    expect(existsSync(join(parent, '.seg.build-seg.jsonl'))).toBe(false);
  });
});
