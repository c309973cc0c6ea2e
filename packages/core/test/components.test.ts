import { describe, expect, it } from 'vitest';
import {
  area,
  fillHoles,
  labelComponents,
  maskFromFunction,
  masksEqual,
  removeSmallComponents,
} from '../src/index.js';
import { ringAndParts } from './helpers/arbitraries.js';
import { hasScipy, python } from './helpers/python.js';
import { lcg } from './helpers/random.js';

describe('connected components (8-connectivity)', () => {
  it('joins diagonal neighbours and reports stats', () => {
    const { count, stats } = labelComponents(ringAndParts());
    expect(count).toBe(3);
    expect(stats.map((s) => s.area)).toEqual([32, 6, 2]);
    expect(stats[2]!.bbox).toEqual([8, 6, 2, 2]);
    expect(stats[1]!.centroid).toEqual([9.5, 3]);
  });

  it.skipIf(!hasScipy)('matches scipy.ndimage.label with a 3×3 structure on random masks', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const rand = lcg(seed);
      const m = maskFromFunction(64, 48, () => rand() < 0.45);
      const ref = python<{ n: number; sizes: number[] }>(
        'import sys,json,numpy as np,scipy.ndimage as nd\nd=json.load(sys.stdin)\na=np.array(d["data"],dtype=np.uint8).reshape(d["h"],d["w"])\nl,n=nd.label(a,structure=np.ones((3,3)))\nprint(json.dumps({"n":int(n),"sizes":sorted(int((l==i).sum()) for i in range(1,n+1))}))',
        { w: 64, h: 48, data: Array.from(m.data) },
      );
      const ours = labelComponents(m);
      expect(ours.count).toBe(ref.n);
      expect(ours.stats.map((c) => c.area).sort((x, y) => x - y)).toEqual(ref.sizes);
    }
  });
});

describe('fillHoles and removeSmallComponents', () => {
  it('fills the hole of a ring but not background touching the border', () => {
    const filled = fillHoles(ringAndParts());
    expect(area(filled)).toBe(area(ringAndParts()) + 4);
    const cShape = maskFromFunction(5, 5, (x, y) => (x === 0 || y === 0 || y === 4) && true);
    expect(masksEqual(fillHoles(cShape), cShape)).toBe(true);
  });

  it('drops components under the size limit and keeps the rest', () => {
    const out = removeSmallComponents(ringAndParts(), 6);
    expect(labelComponents(out).count).toBe(2);
    expect(area(out)).toBe(38);
  });
});
