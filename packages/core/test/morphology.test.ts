import { describe, expect, it } from 'vitest';
import { area, close, dilate, erode, maskFromFunction, masksEqual, open } from '../src/index.js';
import { hasScipy, python } from './helpers/python.js';
import { lcg } from './helpers/random.js';

const dot = maskFromFunction(9, 9, (x, y) => x === 4 && y === 4);

describe('morphology with a Euclidean disk', () => {
  it('dilating a single pixel gives the disk of that radius', () => {
    expect(area(dilate(dot, 1))).toBe(5); // plus shape
    expect(area(dilate(dot, 1.5))).toBe(9); // includes diagonals (√2 ≤ 1.5)
    expect(area(dilate(dot, 2))).toBe(13);
  });

  it('erosion ignores the image border, like OpenCV', () => {
    const full = maskFromFunction(6, 6, () => true);
    expect(area(erode(full, 2))).toBe(36);
    const square = maskFromFunction(9, 9, (x, y) => x >= 2 && x <= 6 && y >= 2 && y <= 6);
    expect(area(erode(square, 1))).toBe(9);
  });

  it('open removes specks, close fills gaps', () => {
    const speckled = maskFromFunction(
      20,
      20,
      (x, y) => (x >= 5 && x < 15 && y >= 5 && y < 15) || (x === 1 && y === 1),
    );
    expect(area(open(speckled, 1))).toBeLessThan(area(speckled));
    expect(open(speckled, 1).data[1 * 20 + 1]).toBe(0);
    const gapped = maskFromFunction(20, 9, (x, y) => y >= 2 && y <= 6 && x !== 10);
    expect(close(gapped, 1).data[4 * 20 + 10]).toBe(1);
  });

  it('rejects a negative radius', () => {
    expect(() => dilate(dot, -1)).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
  });

  it.skipIf(!hasScipy)('matches scipy binary_dilation/erosion with a disk on random masks', () => {
    const rand = lcg(7);
    const m = maskFromFunction(
      40,
      30,
      (x, y) => rand() < 0.15 || (x > 10 && x < 30 && y > 8 && y < 22 && rand() < 0.9),
    );
    for (const r of [1, 2, 3.5]) {
      const ref = python<{ d: number[]; e: number[] }>(
        'import sys,json,numpy as np,scipy.ndimage as nd\nd=json.load(sys.stdin);r=d["r"]\na=np.array(d["data"],dtype=bool).reshape(d["h"],d["w"])\nk=int(np.floor(r));yy,xx=np.mgrid[-k:k+1,-k:k+1];st=xx**2+yy**2<=r*r\nprint(json.dumps({"d":nd.binary_dilation(a,st).astype(int).ravel().tolist(),"e":nd.binary_erosion(a,st,border_value=1).astype(int).ravel().tolist()}))',
        { w: 40, h: 30, r, data: Array.from(m.data) },
      );
      expect(masksEqual(dilate(m, r), { width: 40, height: 30, data: Uint8Array.from(ref.d) })).toBe(true);
      expect(masksEqual(erode(m, r), { width: 40, height: 30, data: Uint8Array.from(ref.e) })).toBe(true);
    }
  });
});
