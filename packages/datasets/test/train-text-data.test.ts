// The epoch plan of `segkit text train`: seeded shuffles, label- or dataset-balanced repeats, and targets stretched
// to the model's square input as the image processor stretches the photo.
import { describe, expect, it } from 'vitest';
import { epochOrder, targetAt } from '../src/index.js';

const rows = [
  ...Array.from({ length: 6 }, (_, i) => ({ image: `a${i}`, stem: `a${i}`, label: 'crack', source: 'one' })),
  ...Array.from({ length: 2 }, (_, i) => ({
    image: `b${i}`,
    stem: `b${i}`,
    label: 'taping_area',
    source: 'two',
  })),
];

describe('epoch order', () => {
  it('is a seeded permutation: the same seed and epoch give the same order, another epoch another', () => {
    const one = epochOrder(rows, 42, 1);
    expect([...one].sort()).toEqual(rows.map((_, i) => i));
    expect(epochOrder(rows, 42, 1)).toEqual(one);
    expect(epochOrder(rows, 42, 2)).not.toEqual(one);
  });

  it('balancing repeats rows of the smaller group until both groups are as large as the largest', () => {
    for (const balance of ['label', 'dataset'] as const) {
      const order = epochOrder(rows, 42, 1, balance);
      expect(order).toHaveLength(12);
      const small = order.filter((i) => rows[i]!.label === 'taping_area');
      expect(small).toHaveLength(6);
      expect(new Set(small)).toEqual(new Set([6, 7]));
      expect(new Set(order.filter((i) => i < 6)).size).toBe(6);
    }
  });
});

describe('targets', () => {
  it('stretches a mask to side×side by nearest pixel', () => {
    // A 4×2 mask whose left half is set becomes an 8×8 target whose left half is set.
    const mask = { width: 4, height: 2, data: Uint8Array.from([1, 1, 0, 0, 1, 1, 0, 0]) };
    const t = targetAt(mask, 8);
    for (let y = 0; y < 8; y++)
      expect(Array.from(t.subarray(y * 8, y * 8 + 8))).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
  });
});
