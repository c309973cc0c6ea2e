import { describe, expect, it } from 'vitest';
import {
  area,
  boxIou,
  intersection,
  maskFromFunction,
  maskToRle,
  parseRle,
  rleArea,
  rleAreas,
  rleBbox,
  rleBboxes,
  rleIou,
  rleIouMatrix,
  rleMerge,
  rleNms,
  rleOverlap,
  seededRandom,
  union,
} from '../src/index.js';

const disc = (cx: number, cy: number, r: number, w = 64, h = 48) =>
  maskToRle(maskFromFunction(w, h, (x, y) => (x - cx) ** 2 + (y - cy) ** 2 < r * r));

describe('RLEs parsed once, and batch operations', () => {
  it('parses once per object (a changed counts string is noticed); areas and boxes match the single-RLE functions', () => {
    const a = disc(20, 20, 10);
    expect(parseRle(a)).toBe(parseRle(a));
    const b = { ...a, counts: disc(40, 30, 5).counts };
    expect(parseRle(b).area).toBe(rleArea(disc(40, 30, 5)));
    const list = [a, disc(40, 30, 5), disc(5, 5, 3)];
    expect(rleAreas(list)).toEqual(list.map(rleArea));
    expect(rleBboxes(list)).toEqual(list.map(rleBbox));
    expect(parseRle(parseRle(a))).toBe(parseRle(a));
  });

  it('the IoU matrix equals pairwise IoU, but as pycocotools has it: boxes that miss give 0, crowd divides by the detection', () => {
    const d = [disc(20, 20, 10), disc(24, 20, 10), disc(50, 35, 6)];
    const g = [disc(22, 20, 10), disc(50, 36, 8)];
    const m = rleIouMatrix(d, g, [false, true]);
    expect(m).toHaveLength(6);
    for (let i = 0; i < d.length; i++) {
      expect(m[i * 2]).toBeCloseTo(rleIou(d[i]!, g[0]!), 12);
      expect(m[i * 2 + 1]).toBeCloseTo(rleIou(d[i]!, g[1]!, { iscrowd: true }), 12);
    }
    expect(m[0 * 2 + 1]).toBe(0); // no box overlap
    const empty = maskToRle(maskFromFunction(64, 48, () => false));
    // One convention everywhere, pycocotools': two empty masks have IoU 0.
    expect(rleIouMatrix([empty], [empty])[0]).toBe(0);
    expect(rleIou(empty, empty)).toBe(0);
    expect(rleIouMatrix([empty], [empty], [true])[0]).toBe(0);
    expect(boxIou([0, 0, 10, 10], [5, 5, 10, 10])).toBeCloseTo(25 / 175, 12);
    expect(boxIou([0, 0, 10, 10], [0, 0, 100, 100], true)).toBe(1);
  });

  it('merging many RLEs (union and intersection) gives the canonical RLE of the bitmap result', () => {
    const r = seededRandom(9);
    for (let t = 0; t < 200; t++) {
      const W = 10 + Math.floor(r() * 30);
      const H = 5 + Math.floor(r() * 30);
      const masks = Array.from({ length: 1 + Math.floor(r() * 6) }, () => {
        const p = r() * 0.7;
        return maskFromFunction(W, H, () => r() < p);
      });
      const rles = masks.map((m) => maskToRle(m));
      expect(rleMerge(rles).counts).toBe(maskToRle(masks.reduce((a, b) => union(a, b))).counts);
      const inter = maskFromFunction(W, H, (x, y) => masks.every((m) => m.data[y * W + x] === 1));
      expect(rleMerge(rles, { intersect: true }).counts).toBe(maskToRle(inter).counts);
    }
  });
});

describe('de-duplication on runs', () => {
  it('rleNms keeps exactly what a bitmap greedy NMS keeps, for IoU and for containment', () => {
    const r = seededRandom(21);
    for (let t = 0; t < 60; t++) {
      const W = 30 + Math.floor(r() * 30);
      const H = 20 + Math.floor(r() * 30);
      const masks = Array.from({ length: 2 + Math.floor(r() * 10) }, () => {
        const cx = r() * W;
        const cy = r() * H;
        const rad = 2 + r() * 12;
        return maskFromFunction(W, H, (x, y) => (x - cx) ** 2 + (y - cy) ** 2 < rad * rad);
      });
      const thr = 0.2 + r() * 0.6;
      const cont = 0.5 + r() * 0.5;
      const expected: number[] = [];
      for (let k = 0; k < masks.length; k++) {
        const dup = expected.some((j) => {
          const inter = area(intersection(masks[k]!, masks[j]!));
          const share = area(masks[k]!) ? inter / area(masks[k]!) : 0;
          const u = area(union(masks[k]!, masks[j]!));
          return (u ? inter / u : 0) > thr || share > cont;
        });
        if (!dup) expected.push(k);
      }
      expect(
        rleNms(
          masks.map((m) => maskToRle(m)),
          thr,
          cont,
        ),
      ).toEqual(expected);
    }
  });

  it('rleOverlap gives the IoU and the contained share, and 0 for boxes that miss', () => {
    const big = maskToRle(maskFromFunction(20, 20, (x, y) => x < 10 && y < 10));
    const small = maskToRle(maskFromFunction(20, 20, (x, y) => x < 5 && y < 5));
    const far = maskToRle(maskFromFunction(20, 20, (x, y) => x > 15 && y > 15));
    expect(rleOverlap(small, big)).toEqual({ iou: 0.25, contained: 1 });
    expect(rleOverlap(big, small)).toEqual({ iou: 0.25, contained: 0.25 });
    expect(rleOverlap(small, far)).toEqual({ iou: 0, contained: 0 });
  });
});
