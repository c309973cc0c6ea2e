// COCO AP as COCOeval computes it: the reference figures from ../shared/eval/cocoeval-reference, and one small case
// per rule, each built so that breaking the rule changes the answer.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { maskToRle } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import { type CocoAnn, type CocoGt, cocoAp } from '../src/index.js';

const refDir = new URL('../../../../shared/eval/cocoeval-reference/', import.meta.url).pathname;
const hasRef = existsSync(refDir);
if (!hasRef) console.warn(`COCOeval reference cases skipped: ${refDir} is absent`);

/** One 200×200 image per id, categories 1 and 2, boxes as GT. */
function gt(boxes: { image?: number; cat?: number; box: number[]; crowd?: boolean }[], images = [1]): CocoGt {
  return {
    images: images.map((id) => ({ id, width: 200, height: 200 })),
    categories: [{ id: 1 }, { id: 2 }],
    annotations: boxes.map((b, i) => ({
      id: i + 1,
      image_id: b.image ?? 1,
      category_id: b.cat ?? 1,
      bbox: b.box,
      area: b.box[2]! * b.box[3]!,
      iscrowd: b.crowd ? 1 : 0,
    })),
  };
}
const det = (box: number[], score: number, extra: Partial<CocoAnn> = {}): CocoAnn => ({
  image_id: 1,
  category_id: 1,
  bbox: box,
  score,
  ...extra,
});

describe('COCO AP (COCOeval semantics)', () => {
  it.skipIf(!hasRef)(
    'equals COCOeval on every reference case, both IoU types, all 12 stats and per-category AP',
    () => {
      for (const c of readdirSync(refDir).filter((d) => existsSync(join(refDir, d, 'expected.json')))) {
        const read = (f: string) => JSON.parse(readFileSync(join(refDir, c, f), 'utf8'));
        const expected = read('expected.json');
        for (const t of ['segm', 'bbox'] as const) {
          const r = cocoAp(read('gt.json'), read('results.json'), t);
          for (const [k, v] of Object.entries(expected[t].stats))
            expect(
              Math.abs(r.stats[k as keyof typeof r.stats] - (v as number)),
              `${c} ${t} ${k}`,
            ).toBeLessThan(1e-9);
          for (const [k, v] of Object.entries(expected[t].per_category_AP))
            expect(Math.abs(r.per_category_AP[k]! - (v as number)), `${c} ${t} category ${k}`).toBeLessThan(
              1e-9,
            );
        }
      }
    },
  );

  it('perfect detections give AP 1; a category with nothing is -1 and leaves the means alone', () => {
    const r = cocoAp(
      gt([{ box: [10, 10, 50, 50] }, { box: [100, 100, 40, 40] }]),
      [det([10, 10, 50, 50], 0.9), det([100, 100, 40, 40], 0.8)],
      'bbox',
    );
    expect(r.stats.AP).toBeCloseTo(1, 12);
    expect(r.per_category_AP['1']).toBeCloseTo(1, 12);
    expect(r.per_category_AP['2']).toBe(-1);
    expect(r.stats.APl).toBe(-1); // no GT is large (≥ 96²)
    expect(r.stats.APm).toBeCloseTo(1, 12);
  });

  it('a detection on a crowd region is ignored, with crowd IoU = intersection / detection area', () => {
    const g = gt([{ box: [0, 0, 40, 40] }, { box: [100, 100, 100, 100], crowd: true }]);
    // A small detection inside the crowd: plain IoU 0.04 (unmatched, a false positive); crowd IoU 1 (ignored).
    const r = cocoAp(g, [det([0, 0, 40, 40], 0.5), det([120, 120, 20, 20], 0.9)], 'bbox');
    expect(r.stats.AP).toBeCloseTo(1, 12); // precision is tp / (tp + fp + eps), as numpy.spacing(1) makes it
  });

  it('only the 100 best-scored detections of an image count (maxDets)', () => {
    const dts = Array.from({ length: 100 }, (_, i) => det([150 + (i % 5), 150, 10, 10], 0.9 - i * 0.001));
    const hit = det([10, 10, 50, 50], 0.01); // the 101st by score
    const r = cocoAp(gt([{ box: [10, 10, 50, 50] }]), [...dts, hit], 'bbox');
    expect(r.stats.AR100).toBe(0);
    const r2 = cocoAp(gt([{ box: [10, 10, 50, 50] }]), [...dts.slice(1), hit], 'bbox');
    expect(r2.stats.AR100).toBe(1);
    expect(r2.stats.AR10).toBe(0);
  });

  it('area ranges come from the GT area: a small object counts in APs only', () => {
    const r = cocoAp(gt([{ box: [10, 10, 20, 20] }]), [det([10, 10, 20, 20], 0.9)], 'bbox');
    expect(r.stats.APs).toBeCloseTo(1, 12);
    expect(r.stats.APm).toBe(-1);
    expect(r.stats.ARm).toBe(-1);
  });

  it('equal scores keep their input order (a stable sort), as COCOeval breaks ties', () => {
    const g = gt([{ box: [10, 10, 50, 50] }]);
    const miss = det([120, 120, 50, 50], 0.5);
    const hit = det([10, 10, 50, 50], 0.5);
    expect(cocoAp(g, [miss, hit], 'bbox').stats.AP50).toBeCloseTo(0.5, 12);
    expect(cocoAp(g, [hit, miss], 'bbox').stats.AP50).toBeCloseTo(1, 12);
  });

  it('detections on an image with no GT are false positives; an image with no detections lowers recall', () => {
    const g = gt([{ box: [10, 10, 50, 50] }, { image: 2, box: [10, 10, 50, 50] }], [1, 2, 3]);
    const r = cocoAp(g, [det([10, 10, 50, 50], 0.5), det([10, 10, 50, 50], 0.9, { image_id: 3 })], 'bbox');
    expect(r.stats.AR100).toBe(0.5);
    expect(r.stats.AP50).toBeLessThan(0.5);
    expect(r.stats.AP50).toBeGreaterThan(0);
  });

  it('two empty masks have IoU 0: an empty GT can never be matched (segm)', () => {
    const empty = maskToRle({ width: 200, height: 200, data: new Uint8Array(200 * 200) });
    const g: CocoGt = {
      images: [{ id: 1, width: 200, height: 200 }],
      categories: [{ id: 1 }],
      annotations: [
        { id: 1, image_id: 1, category_id: 1, bbox: [0, 0, 0, 0], area: 0, iscrowd: 0, segmentation: empty },
      ],
    };
    const r = cocoAp(g, [{ image_id: 1, category_id: 1, segmentation: empty, score: 1 }], 'segm');
    expect(r.stats.AP).toBe(0);
  });

  it('refuses detections of images or categories the GT does not have, naming the first', () => {
    const g = gt([{ box: [10, 10, 50, 50] }]);
    expect(() => cocoAp(g, [det([0, 0, 5, 5], 0.5, { image_id: 42 })], 'bbox')).toThrow(/image_id 42/);
    expect(() => cocoAp(g, [det([0, 0, 5, 5], 0.5, { category_id: 9 })], 'bbox')).toThrow(/category_id 9/);
    try {
      cocoAp(g, [det([0, 0, 5, 5], 0.5, { image_id: 42 })], 'bbox');
    } catch (e) {
      expect((e as { code: string }).code).toBe('E_INVALID_ARGUMENT');
    }
  });
});
