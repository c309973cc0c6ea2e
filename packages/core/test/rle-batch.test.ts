import { describe, expect, it } from 'vitest';
import {
  boxIou,
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
    expect(rleIouMatrix([empty], [empty])[0]).toBe(0); // pycocotools: two empty masks → 0
    expect(rleIou(empty, empty)).toBe(1); // SegKit's semantic convention stays for the single-pair function
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
