import { masksEqual } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import { logitsToMask } from '../src/postprocess.js';
import { finalInstances, nmsInstances, queryInstances } from '../src/sam3-post.js';

/** The plain definition: every pixel of the image from the whole resized probability map. */
function fullMask(logits: Float32Array, q: number, H: number, W: number) {
  const centred = new Float32Array(288 * 288);
  for (let i = 0; i < centred.length; i++) centred[i] = 1 / (1 + Math.exp(-logits[q * 288 * 288 + i]!)) - 0.5;
  return logitsToMask(centred, 0, [288, 288], [288, 288], [288, 288], [H, W]);
}

describe('SAM 3 post-processing', () => {
  it('a mask is computed only around its positive cells, and equals the whole-image definition', () => {
    const Q = 3;
    const logits = new Float32Array(Q * 288 * 288).fill(-4);
    // Query 0: a compact blob; query 1: noise over the whole map; query 2: one positive cell at a corner.
    for (let y = 100; y < 140; y++) for (let x = 50; x < 90; x++) logits[y * 288 + x] = 3 - ((x + y) % 7);
    let seed = 7;
    for (let i = 0; i < 288 * 288; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      logits[288 * 288 + i] = (seed / 2 ** 31) * 8 - 4;
    }
    logits[2 * 288 * 288 + 287 * 288 + 287] = 5;
    for (const [H, W] of [
      [300, 400],
      [1000, 750],
      [97, 1203],
    ] as const) {
      const found = queryInstances(
        {
          masks: logits,
          boxes: new Float32Array(Q * 4),
          logits: Float32Array.from([2, 1, 0]),
          maskSize: [288, 288],
        },
        [H, W],
        { threshold: 0, maxInstances: 10 },
      );
      expect(found.map((f) => f.score)).toEqual([2, 1, 0].map((l) => 1 / (1 + Math.exp(-l))));
      found.forEach((f, q) => {
        expect(masksEqual(f.mask, fullMask(logits, q, H, W))).toBe(true);
      });
    }
  });

  it('presence scales every score; threshold, order and the cap apply; boxes are scaled and clipped', () => {
    const raw = {
      masks: new Float32Array(2 * 288 * 288).fill(-1),
      boxes: Float32Array.from([0.1, 0.2, 0.5, 1.2, -0.1, 0, 0.3, 0.4]),
      logits: Float32Array.from([0, 3]),
      presence: 0,
      maskSize: [288, 288] as [number, number],
    };
    const out = queryInstances(raw, [100, 200], { threshold: 0.3, maxInstances: 5 });
    expect(out).toHaveLength(1); // 0.5·0.5 = 0.25 is under 0.3
    expect(out[0]!.score).toBeCloseTo(0.5 / (1 + Math.exp(-3)), 10);
    out[0]!.bbox.forEach((v, k) => {
      expect(v).toBeCloseTo([0, 0, 60, 40][k]!, 4);
    });
    const fin = finalInstances(
      {
        boxes: Float32Array.from([0, 0, 504, 1008]),
        scores: Float32Array.from([0.9]),
        masks: new Uint8Array(20),
      },
      [4, 5],
      { threshold: 0.3, maxInstances: 5 },
    );
    expect(fin[0]!.bbox).toEqual([0, 0, 2.5, 4]);
    const m = (on: number[]) => ({ width: 4, height: 1, data: Uint8Array.from(on) });
    const kept = nmsInstances(
      [
        { mask: m([1, 1, 0, 0]), bbox: [0, 0, 2, 1], score: 0.5 },
        { mask: m([1, 1, 1, 0]), bbox: [0, 0, 3, 1], score: 0.9 },
        { mask: m([0, 0, 0, 1]), bbox: [3, 0, 1, 1], score: 0.4 },
      ],
      0.5,
    );
    expect(kept.map((k) => k.score)).toEqual([0.9, 0.4]);
  });
});
