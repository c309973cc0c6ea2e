// IEEE half precision: the embedding download to the browser and the CLIPSeg feature cache both use it.
import { describe, expect, it } from 'vitest';
import { fromFloat16, toFloat16 } from '../src/index.js';

describe('half precision', () => {
  it('rounds to nearest even and keeps zeros, infinities, subnormals and NaN', () => {
    const x = Float32Array.from([0, -0, 1, -2.5, 65504, 1e6, -1e6, 6e-8, 1e-9, 0.1, 1 / 3, Number.NaN]);
    const back = fromFloat16(toFloat16(x));
    expect(Array.from(back.slice(0, 5))).toEqual([0, -0, 1, -2.5, 65504]);
    expect(back[5]).toBe(Infinity);
    expect(back[6]).toBe(-Infinity);
    expect(back[7]).toBeCloseTo(5.96e-8, 9); // the smallest subnormal
    expect(back[8]).toBe(0);
    expect(Math.abs(back[9]! - 0.1)).toBeLessThan(1e-4);
    expect(Math.abs(back[10]! - 1 / 3)).toBeLessThan(2e-4);
    expect(back[11]).toBeNaN();
    // 1 + 2^-11 lies halfway between 1 and the next half (1 + 2^-10): it rounds to the even one, 1.
    expect(fromFloat16(toFloat16(Float32Array.of(1 + 2 ** -11)))[0]).toBe(1);
  });
});
