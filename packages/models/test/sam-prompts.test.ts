// Which prompt reaches which SAM 1 decoder graph: decided from the graphs' declared inputs, never by sending a part
// of the prompt that a graph ignores (SlimSAM's main decoder embeds only labels 1/0/-1/-10; its `boxes` revision
// takes input_boxes only).
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iou } from '@segkit/core';
import { InferenceSession } from 'onnxruntime-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Segmenter } from '../src/index.js';
import { fixtureModel } from './helpers/hub-server.js';
import { scene } from './helpers/shapes.js';

const { image, truth } = scene();
const box: [number, number, number, number] = [30, 40, 120, 110]; // around redA
const halfBox: [number, number, number, number] = [30, 40, 70, 110]; // its left half

/** The SAM fixture with only its main (points) decoder, as `Xenova/slimsam-77-uniform`'s main revision has. */
function pointsOnly(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'segkit-sam-')), 'points');
  cpSync(fixtureModel('sam-fixture'), dir, { recursive: true });
  rmSync(join(dir, 'boxes'), { recursive: true });
  return dir;
}

/** The SAM fixture with the box decoder as its main decoder, as the `boxes` revision on its own. */
function boxesOnly(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'segkit-sam-')), 'boxes');
  cpSync(fixtureModel('sam-fixture'), dir, { recursive: true });
  cpSync(
    join(dir, 'boxes/onnx/prompt_encoder_mask_decoder.onnx'),
    join(dir, 'onnx/prompt_encoder_mask_decoder.onnx'),
  );
  rmSync(join(dir, 'boxes'), { recursive: true });
  return dir;
}

type Feeds = Record<string, { dims: readonly number[]; data: unknown }>;

/** Records the feeds of every decoder run (sessions opened after this call; feeds holding image_embeddings). */
function recordDecoderFeeds(): Feeds[] {
  const runs: Feeds[] = [];
  const proto = (InferenceSession as unknown as { prototype: { run: (...a: unknown[]) => Promise<unknown> } })
    .prototype;
  const run = proto.run;
  vi.spyOn(proto, 'run').mockImplementation(function (this: unknown, ...args: unknown[]) {
    const feeds = args[0] as Feeds;
    if ('image_embeddings' in feeds) runs.push(feeds);
    return run.apply(this, args);
  });
  return runs;
}

beforeEach(() => {
  process.env.SEGKIT_CACHE_DIR = mkdtempSync(join(tmpdir(), 'segkit-cache-'));
});
afterEach(() => vi.restoreAllMocks());

describe('a SAM 1 graph without input_boxes (SlimSAM main)', () => {
  it('takes clicks, and refuses a box with E_PROMPT_UNSUPPORTED naming models that take boxes', async () => {
    const seg = await Segmenter.create({ model: pointsOnly() });
    expect(seg.accepts).toEqual({ points: true, box: false, boxWithPoints: false });
    const click = await seg.segment(image, { prompt: { point: [300, 80] } });
    expect(iou(click.mask, truth.blue!)).toBeGreaterThanOrEqual(0.9);
    for (const prompt of [
      { box },
      { box, points: [{ point: [90, 95] as [number, number], label: 1 as const }] },
    ])
      await expect(seg.segment(image, { prompt })).rejects.toMatchObject({
        code: 'E_PROMPT_UNSUPPORTED',
        message: expect.stringMatching(
          /takes no boxes: its decoder graph has no input_boxes input\. Models that take boxes: the `sam` preset/,
        ),
      });
  });
});

describe('a SAM 1 graph with input_boxes only (SlimSAM `boxes` revision)', () => {
  it('sends the box to input_boxes in the points frame, and refuses clicks', async () => {
    const runs = recordDecoderFeeds();
    const seg = await Segmenter.create({ model: boxesOnly() });
    expect(seg.accepts).toEqual({ points: false, box: true, boxWithPoints: false });
    const r = await seg.segment(image, { prompt: { box: halfBox } });
    const decoder = runs.at(-1)!;
    expect(Object.keys(decoder).sort()).toEqual([
      'image_embeddings',
      'image_positional_embeddings',
      'input_boxes',
    ]);
    expect(decoder.input_boxes!.dims).toEqual([1, 1, 4]);
    // 400×300 → 1024×768: the box scales by 1024/400 on both axes, like the points.
    const s = 1024 / 400;
    expect(Array.from(decoder.input_boxes!.data as Float32Array)).toEqual(
      [30 * s, 40 * s, 100 * s, 150 * s].map(Math.fround),
    );
    // The box limits the mask: only the half of the rectangle inside it.
    expect(r.bbox[0]).toBeGreaterThanOrEqual(30);
    expect(r.bbox[0] + r.bbox[2]).toBeLessThanOrEqual(100);
    expect(r.area).toBeGreaterThan(0.4 * (truth.redA!.data.reduce((a, b) => a + b, 0) as number));
    await expect(seg.segment(image, { prompt: { point: [300, 80] } })).rejects.toMatchObject({
      code: 'E_PROMPT_UNSUPPORTED',
      message: expect.stringMatching(/takes only boxes/),
    });
    await expect(seg.generateMasks(image)).rejects.toMatchObject({ code: 'E_PROMPT_UNSUPPORTED' });
  });
});

describe('the `sam` preset layout: a point decoder and a box decoder', () => {
  it('routes clicks to the point graph and boxes to the box graph; a box with clicks is refused', async () => {
    const runs = recordDecoderFeeds();
    const seg = await Segmenter.create({ model: fixtureModel('sam-fixture') });
    expect(seg.accepts).toEqual({ points: true, box: true, boxWithPoints: false });
    await seg.segment(image, { prompt: { point: [300, 80] } });
    expect(Object.keys(runs.at(-1)!)).toContain('input_points');
    expect(Object.keys(runs.at(-1)!)).not.toContain('input_boxes');
    const r = await seg.segment(image, { prompt: { box } });
    expect(Object.keys(runs.at(-1)!)).toContain('input_boxes');
    expect(Object.keys(runs.at(-1)!)).not.toContain('input_points');
    expect(iou(r.mask, truth.redA!)).toBeGreaterThanOrEqual(0.9);
    await expect(
      seg.segment(image, { prompt: { box, points: [{ point: [90, 95], label: 1 }] } }),
    ).rejects.toMatchObject({
      code: 'E_PROMPT_UNSUPPORTED',
      message: expect.stringMatching(/no decoder that takes a box and points together.*sam2-tiny/),
    });
  });
});
