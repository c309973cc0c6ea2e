import { describe, expect, it } from 'vitest';
import {
  area,
  bbox,
  boxIou,
  countsFromString,
  intersection,
  type Mask,
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

  it('a compressed string parses to the same counts, area and box as the bitmap, and parses kept together never overwrite each other', () => {
    const r = seededRandom(4);
    const kept: { counts: string; parsed: ReturnType<typeof parseRle>; mask: Mask }[] = [];
    // Enough masks to fill several of the shared blocks the parsed counts live in (16,384 counts each).
    for (let t = 0; t < 400; t++) {
      const W = 1 + Math.floor(r() * 90);
      const H = 1 + Math.floor(r() * 70);
      const p = r() * r();
      const mask = maskFromFunction(W, H, () => r() < p);
      const rle = maskToRle(mask);
      kept.push({ counts: rle.counts, parsed: parseRle({ size: rle.size, counts: rle.counts }), mask });
    }
    for (const { counts, parsed, mask } of kept) {
      expect(Array.from(parsed.counts)).toEqual(countsFromString(counts));
      expect(parsed.area).toBe(area(mask));
      expect(parsed.bbox).toEqual(bbox(mask));
    }
    expect(kept.reduce((n, k) => n + k.parsed.counts.length, 0)).toBeGreaterThan(3 * 16384);
  });

  it('a bad compressed string is refused with E_RLE_INVALID, whatever is parsed next still parses', () => {
    const bad = [
      { size: [2, 2], counts: '0 2' }, // a character outside 48–111
      { size: [2, 2], counts: '02o' }, // ends in the middle of a number
      { size: [2, 2], counts: '03' }, // sums to 3, not 4
      { size: [2, 2], counts: '023M' }, // the fourth count comes out negative (2 − 3)
      { size: [2, -2], counts: '04' },
    ];
    for (const rle of bad)
      expect(() => parseRle(rle as never)).toThrow(expect.objectContaining({ code: 'E_RLE_INVALID' }));
    expect(Array.from(parseRle({ size: [2, 2], counts: '013O' }).counts)).toEqual([0, 1, 3, 0]);
  });

  it('the IoU matrix equals the IoU counted pixel by pixel, on masks whose runs cross columns and boxes that barely meet', () => {
    const r = seededRandom(12);
    const pixelIou = (a: Mask, b: Mask, crowd: boolean) => {
      let i = 0;
      let u = 0;
      let aa = 0;
      for (let k = 0; k < a.data.length; k++) {
        i += a.data[k]! & b.data[k]!;
        u += a.data[k]! | b.data[k]!;
        aa += a.data[k]!;
      }
      return i === 0 ? 0 : i / (crowd ? aa : u);
    };
    for (let t = 0; t < 60; t++) {
      const W = 2 + Math.floor(r() * 40);
      const H = 1 + Math.floor(r() * 30);
      const shape = () => {
        const x0 = Math.floor(r() * W);
        const y0 = Math.floor(r() * H);
        const x1 = x0 + Math.floor(r() * (W - x0));
        const y1 = y0 + Math.floor(r() * (H - y0));
        const p = 0.3 + r() * 0.7;
        return maskFromFunction(W, H, (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1 && r() < p);
      };
      const d = Array.from({ length: 6 }, shape);
      const g = Array.from({ length: 5 }, shape);
      const crowd = g.map(() => r() < 0.3);
      const m = rleIouMatrix(
        d.map((x) => maskToRle(x)),
        g.map((x) => maskToRle(x)),
        crowd,
      );
      for (let a = 0; a < d.length; a++) {
        for (let b = 0; b < g.length; b++)
          expect(m[a * g.length + b]).toBeCloseTo(pixelIou(d[a]!, g[b]!, crowd[b]!), 12);
      }
    }
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
