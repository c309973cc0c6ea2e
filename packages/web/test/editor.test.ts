// The annotator's editor on fakes (API, decoder, save queue, clock): prompts make annotations and saves, the speed
// readout shows only prompts whose mask was drawn, a click where the pointer rests reuses the hover preview's run,
// undo of a candidate choice keeps the picker, and the keyboard crosshair places points.
import { bbox } from '@segkit/core/mask';
import { describe, expect, it } from 'vitest';
import { Editor } from '../src/editor/editor.js';
import { fakeDecoder, fakeDeps, settle } from './fake-editor.js';

async function open(decoder = fakeDecoder()) {
  const clock = { t: 1000 };
  const f = fakeDeps(decoder, clock);
  const ed = new Editor(f.deps);
  await ed.openImage(1, 1, 'inside_box');
  return { ed, clock, decoder, ...f };
}

describe('editor: prompts', () => {
  it('a click runs in the browser decoder, adds an annotation around it and queues its save', async () => {
    const { ed, ops, decoder } = await open();
    expect(ed.state.path).toBe('browser');
    await ed.prompts.click([30, 20], 1);
    expect(ed.state.annotations).toHaveLength(1);
    expect(bbox(ed.state.candidates![0]!.mask)).toEqual([20, 10, 21, 21]);
    expect(ed.state.annotations[0]!.bbox).toEqual([20, 10, 21, 21]);
    expect(ops.map((o) => o.type)).toEqual(['create']);
    expect(decoder.runs.at(-1)!.clicks).toEqual([{ point: [30, 20], label: 1 }]);
    // A second click refines the same object (both points in the prompt), it does not add another.
    await ed.prompts.click([32, 22], 0);
    expect(ed.state.annotations).toHaveLength(1);
    expect(decoder.runs.at(-1)!.clicks.map((c) => c.label)).toEqual([1, 0]);
  });

  it('the readout shows prompt → drawn time with its kind and path, and nothing after a failure', async () => {
    const { ed, clock } = await open();
    const p = ed.prompts.click([30, 20], 1);
    clock.t += 40;
    await p;
    ed.prompts.markDrawn();
    expect(ed.state.timing).toEqual({ ms: 40, kind: 'click', path: 'browser' });
    // The fake decoder takes no box: the box goes to the server, which fails. No time is shown under the error.
    const noBoxes = await open(fakeDecoder({ boxes: false }));
    const q = noBoxes.ed.prompts.box([5, 5, 20, 20]);
    noBoxes.clock.t += 1920;
    await q;
    noBoxes.ed.prompts.markDrawn();
    expect(noBoxes.calls).toEqual(['segment']);
    expect(noBoxes.ed.state.error).toBe('The server is down.');
    expect(noBoxes.ed.state.timing).toBeNull();
  });

  it('a prompt where the model finds nothing says so, adds nothing and shows no time', async () => {
    const { ed, ops } = await open(fakeDecoder({ empty: true }));
    await ed.prompts.click([30, 20], 1);
    ed.prompts.markDrawn();
    expect(ed.state.error).toBe('The model found nothing at that prompt');
    expect(ed.state.annotations).toHaveLength(0);
    expect(ops).toHaveLength(0);
    expect(ed.state.timing).toBeNull();
  });

  it('a click where the pointer rests takes the hover preview’s run: the decoder runs once', async () => {
    const { ed, decoder } = await open();
    const warm = decoder.runs.length; // the warm-up run when the image opened
    ed.prompts.hover([30, 20]);
    await settle();
    expect(ed.state.preview).not.toBeNull();
    expect(decoder.runs).toHaveLength(warm + 1);
    await ed.prompts.click([30, 20], 1);
    expect(decoder.runs).toHaveLength(warm + 1);
    expect(ed.state.annotations).toHaveLength(1);
    // Elsewhere, it runs again.
    await ed.prompts.click([10, 10], 1);
    expect(decoder.runs).toHaveLength(warm + 2);
  });

  it('undoing a candidate choice keeps the picker; undoing the object removes it', async () => {
    const { ed } = await open();
    await ed.prompts.click([30, 20], 1);
    ed.prompts.choose(1);
    expect(ed.state.chosen).toBe(1);
    expect(ed.state.annotations[0]!.bbox).toEqual([26, 16, 9, 9]);
    ed.undo();
    expect(ed.state.candidates).toHaveLength(2);
    expect(ed.state.annotations[0]!.bbox).toEqual([20, 10, 21, 21]);
    ed.undo();
    expect(ed.state.annotations).toHaveLength(0);
    expect(ed.state.candidates).toBeNull();
    ed.redo();
    expect(ed.state.annotations).toHaveLength(1);
  });

  it('a classic model sends clicks to the server', async () => {
    const clock = { t: 0 };
    const f = fakeDeps(null, clock);
    const ed = new Editor(f.deps);
    await ed.openImage(1, 1, 'inside_box');
    expect(ed.state.path).toBe('server');
    await ed.prompts.click([3, 3], 1);
    expect(f.calls).toEqual(['segment']);
  });
});

describe('editor: keyboard crosshair', () => {
  it('starts at the centre, moves inside the image, and places points where it is', async () => {
    const { ed, decoder } = await open();
    ed.prompts.crosshair('toggle');
    expect(ed.state.crosshair).toEqual([32, 24]);
    ed.prompts.crosshair([-100, 0]);
    expect(ed.state.crosshair).toEqual([0, 24]);
    ed.prompts.crosshair([5, -3]);
    ed.prompts.placeAtCrosshair(1);
    await settle();
    await settle();
    expect(ed.state.draft.clicks).toEqual([{ point: [5.5, 21.5], label: 1 }]);
    expect(ed.state.annotations).toHaveLength(1);
    expect(ed.state.annotations[0]!.bbox).toEqual([0, 11, 16, 21]); // the fake's square round (5, 21)
    // The crosshair's preview was that prompt: the click took its run.
    expect(
      decoder.runs.filter((r) => JSON.stringify(r.clicks) === '[{"point":[5.5,21.5],"label":1}]'),
    ).toHaveLength(1);
    ed.prompts.crosshair('off');
    expect(ed.state.crosshair).toBeNull();
  });
});
