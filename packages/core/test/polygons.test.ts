import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  iou,
  labelComponents,
  masksEqual,
  maskToPolygons,
  polygonsToMask,
  simplifyRing,
} from '../src/index.js';
import { arbMask, ringAndParts } from './helpers/arbitraries.js';

describe('maskToPolygons', () => {
  it('returns an outer ring per component and a ring per hole, on pixel corners', () => {
    const polys = maskToPolygons(ringAndParts());
    const outers = polys.filter((p) => p.type === 'outer');
    const holes = polys.filter((p) => p.type === 'hole');
    expect(outers).toHaveLength(3); // ring, bar, diagonal pair (8-connected: one part)
    expect(holes).toHaveLength(1);
    expect(outers[0]!.points).toEqual([1, 1, 1, 7, 7, 7, 7, 1]);
    expect(holes[0]).toEqual({ type: 'hole', component: 0, points: [5, 3, 5, 5, 3, 5, 3, 3] });
  });

  it('tags each ring with the component it bounds', () => {
    const m = ringAndParts();
    const { count } = labelComponents(m);
    const polys = maskToPolygons(m);
    expect(new Set(polys.filter((p) => p.type === 'outer').map((p) => p.component)).size).toBe(count);
  });

  it('mask → polygons → mask is exact without simplification (holes, parts, pinches)', () => {
    fc.assert(
      fc.property(arbMask(), (m) => {
        expect(masksEqual(polygonsToMask(maskToPolygons(m), m.width, m.height), m)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('keeps an island inside a hole', () => {
    // 9×9: outer square 0..8, hole 2..6, island at 4.
    const data = new Uint8Array(81);
    for (let y = 0; y < 9; y++)
      for (let x = 0; x < 9; x++) {
        const inHole = x >= 2 && x <= 6 && y >= 2 && y <= 6;
        data[y * 9 + x] = !inHole || (x === 4 && y === 4) ? 1 : 0;
      }
    const m = { width: 9, height: 9, data };
    const polys = maskToPolygons(m);
    expect(polys.map((p) => p.type).sort()).toEqual(['hole', 'outer', 'outer']);
    expect(masksEqual(polygonsToMask(polys, 9, 9), m)).toBe(true);
  });

  it('simplifies with a tolerance and stays close to the mask', () => {
    const disc = { width: 200, height: 200, data: new Uint8Array(40000) };
    for (let y = 0; y < 200; y++)
      for (let x = 0; x < 200; x++)
        disc.data[y * 200 + x] = (x - 100) ** 2 + (y - 100) ** 2 < 80 ** 2 ? 1 : 0;
    const exact = maskToPolygons(disc)[0]!.points.length / 2;
    const simple = maskToPolygons(disc, { tolerance: 1 });
    expect(simple[0]!.points.length / 2).toBeLessThan(exact / 3);
    expect(iou(polygonsToMask(simple, 200, 200), disc)).toBeGreaterThan(0.98);
  });

  it('rejects a negative tolerance', () => {
    expect(() => maskToPolygons(ringAndParts(), { tolerance: -1 })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }),
    );
  });
});

describe('polygonsToMask', () => {
  it('unions plain (COCO-style) rings, even where they overlap', () => {
    const m = polygonsToMask(
      [
        [0, 0, 4, 0, 4, 4, 0, 4],
        [2, 2, 6, 2, 6, 6, 2, 6],
      ],
      8,
      8,
    );
    expect(m.data.reduce((s, v) => s + v, 0)).toBe(16 + 16 - 4);
  });

  it('rejects polygons with fewer than 3 points or odd coordinates', () => {
    expect(() => polygonsToMask([[0, 0, 1, 1]], 4, 4)).toThrow(
      expect.objectContaining({ code: 'E_POLYGON_INVALID' }),
    );
    expect(() => polygonsToMask([[0, 0, 1, 1, 2]], 4, 4)).toThrow(
      expect.objectContaining({ code: 'E_POLYGON_INVALID' }),
    );
    expect(() => polygonsToMask([[0, 0, 1, Number.NaN, 2, 2]], 4, 4)).toThrow(
      expect.objectContaining({ code: 'E_POLYGON_INVALID' }),
    );
  });
});

describe('simplifyRing', () => {
  it('keeps a square when the tolerance is below its detail', () => {
    expect(simplifyRing([0, 0, 5, 0, 10, 0, 10, 10, 0, 10], 0.5)).toEqual([0, 0, 10, 0, 10, 10, 0, 10]);
  });
});
