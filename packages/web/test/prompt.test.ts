import { describe, expect, it } from 'vitest';
import {
  addClick,
  emptyPrompt,
  isEmpty,
  pickGraph,
  toDecoderPrompt,
  toSegmentRequest,
  withBox,
  withHover,
} from '../src/editor/prompt.js';

describe('prompt building', () => {
  it('clicks keep their order and labels; a box becomes corners for the decoder and [x, y, w, h] for the server', () => {
    let p = emptyPrompt();
    expect(isEmpty(p)).toBe(true);
    p = addClick(p, [10, 20], 1);
    p = addClick(p, [30, 40], 0);
    p = withBox(p, [5, 6, 70, 80]);
    expect(toDecoderPrompt(p)).toEqual({
      points: [
        [10, 20],
        [30, 40],
      ],
      labels: [1, 0],
      box: [5, 6, 75, 86],
    });
    expect(toSegmentRequest(p)).toEqual({
      points: [
        { x: 10, y: 20, label: 1 },
        { x: 30, y: 40, label: 0 },
      ],
      box: [5, 6, 70, 80],
      multimask: true,
    });
    expect(toSegmentRequest(withBox(emptyPrompt(), [1, 2, 3, 4]))).toEqual({
      box: [1, 2, 3, 4],
      multimask: true,
    });
  });

  it('the hover preview adds a positive point without changing the prompt', () => {
    const p = addClick(emptyPrompt(), [1, 1], 0);
    const h = withHover(p, [9, 9]);
    expect(h.clicks).toHaveLength(2);
    expect(h.clicks[1]).toEqual({ point: [9, 9], label: 1 });
    expect(p.clicks).toHaveLength(1);
  });

  it('a prompt goes to the graph that takes all of it (SlimSAM: a points graph and a boxes graph)', () => {
    const graphs = [
      { name: 'points', points: true, boxes: false },
      { name: 'boxes', points: false, boxes: true },
    ];
    const click = addClick(emptyPrompt(), [1, 1], 1);
    const box = withBox(emptyPrompt(), [0, 0, 5, 5]);
    expect(pickGraph(graphs, click)?.name).toBe('points');
    expect(pickGraph(graphs, box)?.name).toBe('boxes');
    expect(pickGraph(graphs, withBox(click, [0, 0, 5, 5]))).toBeUndefined();
    expect(pickGraph([{ name: 'both', points: true, boxes: true }], withBox(click, [0, 0, 5, 5]))?.name).toBe(
      'both',
    );
  });
});
