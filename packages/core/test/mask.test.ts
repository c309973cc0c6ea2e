import { describe, expect, it } from 'vitest';
import {
  area,
  bbox,
  createMask,
  cropMask,
  difference,
  intersection,
  invert,
  maskFromFunction,
  masksEqual,
  resizeMask,
  union,
} from '../src/index.js';

const a = maskFromFunction(6, 4, (x) => x < 3);
const b = maskFromFunction(6, 4, (x, y) => x >= 2 && y < 2);

describe('mask operations', () => {
  it('area and bbox', () => {
    expect(area(a)).toBe(12);
    expect(bbox(b)).toEqual([2, 0, 4, 2]);
    expect(bbox(createMask(5, 5))).toEqual([0, 0, 0, 0]);
  });

  it('union, intersection, difference and invert', () => {
    expect(area(union(a, b))).toBe(12 + 8 - 2);
    expect(area(intersection(a, b))).toBe(2);
    expect(area(difference(a, b))).toBe(10);
    expect(area(invert(a))).toBe(12);
  });

  it('rejects masks of different sizes and malformed masks', () => {
    expect(() => union(a, createMask(5, 4))).toThrow(
      expect.objectContaining({ code: 'E_MASK_SIZE_MISMATCH' }),
    );
    expect(() => area({ width: 3, height: 3, data: new Uint8Array(8) })).toThrow(
      expect.objectContaining({ code: 'E_MASK_INVALID' }),
    );
    expect(() => createMask(-1, 2)).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
  });

  it('resizes with nearest neighbour (up and back down is exact for integer factors)', () => {
    const up = resizeMask(a, 18, 12);
    expect(area(up)).toBe(12 * 9);
    expect(masksEqual(resizeMask(up, 6, 4), a)).toBe(true);
  });

  it('crops to a box, rounding fractional boxes outwards', () => {
    const c = cropMask(b, [1, 0, 3, 2]);
    expect(c.width).toBe(3);
    expect(Array.from(c.data)).toEqual([0, 1, 1, 0, 1, 1]);
    expect(cropMask(b, [1.5, 0.2, 2, 1]).width).toBe(3);
  });

  it('rejects crop boxes that are empty or outside the mask', () => {
    expect(() => cropMask(a, [4, 0, 4, 2])).toThrow(expect.objectContaining({ code: 'E_BOX_INVALID' }));
    expect(() => cropMask(a, [0, 0, 0, 2])).toThrow(expect.objectContaining({ code: 'E_BOX_INVALID' }));
    expect(() => cropMask(a, [0, 0, 2] as never)).toThrow(expect.objectContaining({ code: 'E_BOX_INVALID' }));
  });
});
