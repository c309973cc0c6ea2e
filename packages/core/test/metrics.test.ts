import { describe, expect, it } from 'vitest';
import { createMask, dice, iou, MetricAccumulator, maskFromFunction } from '../src/index.js';

const gt = maskFromFunction(10, 10, (x, y) => x < 4 && y < 5); // 20 px
const pred = maskFromFunction(10, 10, (x, y) => x < 5 && y < 4); // 20 px, overlap 4×4 = 16
const empty = createMask(10, 10);

describe('IoU and Dice', () => {
  it('match hand-computed values', () => {
    expect(iou(gt, pred)).toBeCloseTo(16 / 24, 12);
    expect(dice(gt, pred)).toBeCloseTo(32 / 40, 12);
  });
  it('follow the empty-mask conventions', () => {
    expect(iou(empty, empty)).toBe(0); // pycocotools: no union, no overlap to measure
    expect(dice(empty, empty)).toBe(0);
    expect(iou(gt, empty)).toBe(0);
    expect(dice(empty, pred)).toBe(0);
  });
});

describe('MetricAccumulator', () => {
  it('averages per pair overall and per label', () => {
    const acc = new MetricAccumulator();
    expect(acc.add('cat', gt, pred)).toEqual({ iou: 16 / 24, dice: 0.8 });
    expect(acc.add('cat', empty, empty)).toBeUndefined(); // cat in neither: not scored, counted as absent
    acc.add('dog', gt, empty); // 0, 0 (missed)
    acc.add('bird', empty, empty); // a label absent everywhere has no mIoU and does not count in the mean of labels
    const r = acc.summary();
    expect(r.perLabel.cat).toEqual({ miou: 16 / 24, dice: 0.8, n: 1, absent: 1 });
    expect(r.perLabel.dog).toEqual({ miou: 0, dice: 0, n: 1, absent: 0 });
    expect(r.perLabel.bird).toEqual({ miou: Number.NaN, dice: Number.NaN, n: 0, absent: 1 });
    expect(r.overall.n).toBe(2);
    expect(r.overall.absent).toBe(2);
    expect(r.overall.miou).toBeCloseTo((16 / 24 + 0) / 2, 12);
    expect(r.overall.dice).toBeCloseTo(0.8 / 2, 12);
    expect(r.meanOfLabels).toBeCloseTo((16 / 24 + 0) / 2, 12);
  });
  it('reports NaN, not 0, when nothing was added', () => {
    expect(new MetricAccumulator().summary().overall).toEqual({
      miou: Number.NaN,
      dice: Number.NaN,
      n: 0,
      absent: 0,
    });
  });
});
