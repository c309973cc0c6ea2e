import { describe, expect, it } from 'vitest';
import { buildDecoderFeeds } from '../src/decoder-feeds.js';
import { promptToFrame, toFrame } from '../src/prompt-frame.js';

describe('prompt scaling into the model frame', () => {
  it('scales points and the box by the resize of each axis, and keeps the labels', () => {
    // A 600×400 image resized to 1024×683 (SAM's longest side) and to 1008×1008 (SAM 3's square).
    expect(toFrame([300, 200], [400, 600], [683, 1024])).toEqual([512, 341.5]);
    const p = promptToFrame(
      { points: [[60, 40]], labels: [0], box: [0, 0, 600, 400] },
      [400, 600],
      [1008, 1008],
    );
    expect(p.points).toEqual([100.8, 100.8]);
    expect(p.labels).toEqual([0]);
    expect(p.box).toEqual([0, 0, 1008, 1008]);
    expect(promptToFrame({ points: [], labels: [] }, [400, 600], [1008, 1008]).box).toBeUndefined();
  });

  it('gives the browser decoder the same coordinates as the server backends', () => {
    const emb = {
      tensors: {},
      originalSize: [400, 600] as [number, number],
      reshapedSize: [1008, 1008] as [number, number],
      frameSize: [1008, 1008] as [number, number],
    };
    const feeds = buildDecoderFeeds('sam3-tracker', [], emb, {
      points: [[300, 100]],
      labels: [1],
      box: [30, 20, 330, 220],
    });
    expect([...(feeds.input_points!.data as Float32Array)]).toEqual([504, 252]);
    expect(feeds.input_points!.dims).toEqual([1, 1, 1, 2]);
    expect([...(feeds.input_boxes!.data as Float32Array)]).toEqual(
      [50.4, 50.4, 554.4, 554.4].map(Math.fround),
    );
  });
});
