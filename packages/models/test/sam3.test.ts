// SAM 3: the three concept layouts and the tracker of ../shared/real-arch (real graphs, random weights: feeds,
// refusals, caching and shapes, never quality) and the sam3-fixture (a colour rule: what a user would see).
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iou, isSegkitError, type Mask } from '@segkit/core';
import type { Tensor } from 'onnxruntime-node';
import { beforeEach, describe, expect, it } from 'vitest';
import { findAll, Sam3Finder, Segmenter } from '../src/index.js';
import { fixtureModel, repoRoot } from './helpers/hub-server.js';
import { shapesImage } from './helpers/shapes.js';

const realArch = join(repoRoot, '../shared/real-arch');
const present = existsSync(join(realArch, 'sam3-usls'));
if (!present) console.warn(`real-architecture SAM 3 tests skipped: ${realArch} is absent`);
const model = (name: string) => join(realArch, name);

const RED: [number, number, number] = [210, 40, 40];
const DARK_RED: [number, number, number] = [150, 45, 45];
const { image, truth } = shapesImage(400, 300, [
  { name: 'red1', box: [20, 20, 80, 60], colour: RED },
  { name: 'red2', box: [150, 40, 70, 70], colour: RED, kind: 'disc' },
  { name: 'darkRed', box: [260, 30, 90, 60], colour: DARK_RED },
  { name: 'blue', box: [60, 170, 90, 90], colour: [40, 60, 200], kind: 'disc' },
  { name: 'green', box: [250, 170, 100, 80], colour: [40, 170, 70] },
]);

beforeEach(() => {
  process.env.SEGKIT_CACHE_DIR = mkdtempSync(join(tmpdir(), 'segkit-cache-'));
});

type Run = { graph: string; feeds: Record<string, Tensor>; outputs: Record<string, Tensor> };
async function open(name: string, diskCacheDir: string | false = false) {
  const finder = await Sam3Finder.create({ model: model(name), diskCacheDir });
  const runs: Run[] = [];
  finder.backend.observer = (graph, feeds, outputs) => runs.push({ graph, feeds, outputs });
  return { finder, runs };
}
const nums = (t: Tensor | undefined) => Array.from(t!.data as ArrayLike<number | bigint>, Number);
const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'no error';
  } catch (e) {
    return isSegkitError(e) ? e.code : `internal: ${(e as Error).message}`;
  }
};

describe.skipIf(!present)('SAM 3 concept layouts (real architecture)', () => {
  it('usls: CLIP ids padded with <|endoftext|>, text alone as one ignored box, exemplars as normalised cx,cy,w,h', async () => {
    const { finder, runs } = await open('sam3-usls');
    expect(finder.layout).toBe('sam3-usls');
    const r = await finder.find(image, { text: 'a red cup', threshold: 0 });
    const text = runs.find((x) => x.graph === 'text')!;
    expect(nums(text.feeds.input_ids).slice(0, 6)).toEqual([49406, 320, 736, 1937, 49407, 49407]);
    expect(nums(text.feeds.attention_mask).slice(0, 6)).toEqual([1, 1, 1, 1, 1, 0]);
    const dec = runs.find((x) => x.graph === 'decoder')!;
    expect(dec.feeds.text_mask).toBe(text.outputs.text_mask); // the encoder's own mask, passed through
    expect(nums(dec.feeds.input_boxes)).toEqual([0, 0, 0, 0]);
    expect(nums(dec.feeds.input_boxes_labels)).toEqual([-10]);
    expect(r.decoderCalls).toBe(1);
    expect(r.instances.length).toBeGreaterThan(0);
    for (const i of r.instances) expect([i.mask.width, i.mask.height]).toEqual([400, 300]);
    runs.length = 0;
    await finder.find(image, {
      text: 'red',
      positiveExemplars: [[20, 20, 80, 60]],
      negativeExemplars: [[260, 30, 90, 60]],
    });
    const d2 = runs.find((x) => x.graph === 'decoder')!;
    expect(d2.feeds.input_boxes!.dims).toEqual([1, 2, 4]);
    const boxes = nums(d2.feeds.input_boxes);
    [60 / 400, 50 / 300, 80 / 400, 60 / 300, 305 / 400, 60 / 300, 90 / 400, 60 / 300].forEach((v, k) => {
      expect(boxes[k]).toBeCloseTo(v, 6);
    });
    expect(nums(d2.feeds.input_boxes_labels)).toEqual([1, 0]);
    // A prompt longer than 32 tokens is cut and still ends with <|endoftext|>.
    const long = finder.backend.tokens(Array.from({ length: 40 }, (_, i) => `word${i}`).join(' '));
    expect(Number(long.ids[0])).toBe(49406);
    expect(Number(long.ids[31])).toBe(49407);
    expect(Array.from(long.mask, Number).every((m) => m === 1)).toBe(true);
    // Exemplars alone: the text "visual", as the reference does.
    runs.length = 0;
    await finder.find(image, { positiveExemplars: [[150, 40, 70, 70]] });
    expect(nums(runs.find((x) => x.graph === 'text')!.feeds.input_ids).slice(0, 3)).toEqual([
      49406, 7195, 49407,
    ]);
    expect(finder.stats.encoderRuns).toBe(1);
  });

  it('sam3-text: text only; exemplars refused with E_PROMPT_UNSUPPORTED before any encoder runs', async () => {
    const { finder, runs } = await open('sam3-text');
    expect(finder.layout).toBe('sam3-text');
    expect(await codeOf(finder.find(image, { text: 'red', positiveExemplars: [[20, 20, 80, 60]] }))).toBe(
      'E_PROMPT_UNSUPPORTED',
    );
    await finder.find(image, { text: 'red', negativeExemplars: [[20, 20, 80, 60]] }).catch((e: Error) => {
      expect(e.message).toMatch(/sam3-usls, sam3-samexporter/);
    });
    expect(runs).toEqual([]);
    const r = await finder.find(image, { text: 'a red cup' });
    const dec = runs.find((x) => x.graph === 'decoder')!;
    expect(nums(dec.feeds.attention_mask).slice(0, 6)).toEqual([1, 1, 1, 1, 1, 0]);
    expect(nums(runs.find((x) => x.graph === 'text')!.feeds.input_ids).slice(0, 6)).toEqual([
      49406, 320, 736, 1937, 49407, 49407,
    ]);
    expect(r.instances.every((i) => i.score > 0.3)).toBe(true);
  });

  it('samexporter: ids padded with 0, True = padding, one decoder call per exemplar merged by NMS, 1008-pixel boxes rescaled', async () => {
    const { finder, runs } = await open('sam3-samexporter');
    expect(finder.layout).toBe('sam3-samexporter');
    const one = await finder.find(image, { text: 'a red cup' });
    const text = runs.find((x) => x.graph === 'text')!;
    expect(nums(text.feeds.tokens).slice(0, 6)).toEqual([49406, 320, 736, 1937, 49407, 0]);
    expect(nums(text.outputs.text_attention_mask).slice(0, 6)).toEqual([0, 0, 0, 0, 0, 1]);
    const dec = runs.find((x) => x.graph === 'decoder')!;
    expect(nums(dec.feeds.box_masks)).toEqual([1]); // no box
    expect(nums(dec.feeds.original_height)).toEqual([300]);
    expect(one.decoderCalls).toBe(1);
    expect(one.merged).toBeUndefined();
    // The graph's boxes are in 1008×1008 pixels: SegKit's are those scaled by (W/1008, H/1008).
    const raw = nums(dec.outputs.boxes);
    const scores = nums(dec.outputs.scores);
    const best = scores.indexOf(Math.max(...scores));
    const [x0, y0, x1, y1] = raw.slice(best * 4, best * 4 + 4);
    const b = one.instances[0]!.bbox;
    expect(b[0]).toBeCloseTo(Math.max(0, (x0! * 400) / 1008), 3);
    expect(b[1]).toBeCloseTo(Math.max(0, (y0! * 300) / 1008), 3);
    expect(b[0] + b[2]).toBeCloseTo(Math.min(400, (x1! * 400) / 1008), 3);
    expect(b[1] + b[3]).toBeCloseTo(Math.min(300, (y1! * 300) / 1008), 3);
    runs.length = 0;
    const two = await finder.find(image, {
      text: 'red',
      positiveExemplars: [[20, 20, 80, 60]],
      negativeExemplars: [[260, 30, 90, 60]],
    });
    const calls = runs.filter((x) => x.graph === 'decoder');
    expect(calls.length).toBe(2);
    expect(two.decoderCalls).toBe(2);
    expect(two.merged).toEqual({ by: 'nms', iou: 0.5 });
    expect(calls.map((c) => [nums(c.feeds.box_labels)[0], nums(c.feeds.box_masks)[0]])).toEqual([
      [1, 0],
      [0, 0],
    ]);
    const coords = nums(calls[0]!.feeds.box_coords);
    [0.15, 50 / 300, 0.2, 0.2].forEach((v, k) => {
      expect(coords[k]).toBeCloseTo(v, 6);
    });
  });

  it('refuses a folder whose graphs do not match one layout, naming what they declare', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sam3-mixed-'));
    cpSync(model('sam3-usls'), dir, { recursive: true });
    copyFileSync(model('sam3-samexporter/sam3_decoder.onnx'), join(dir, 'geo-encoder-mask-decoder.onnx'));
    const e = await Sam3Finder.create({ model: dir, diskCacheDir: false }).catch((x: Error) => x);
    expect(isSegkitError(e) && e.code).toBe('E_MODEL_UNSUPPORTED');
    expect((e as Error).message).toMatch(
      /vision graph does not match the sam3-samexporter layout.*declares inputs images float32/,
    );
    copyFileSync(
      join(repoRoot, 'fixtures/models/sam2-pair-fixture/decoder.onnx'),
      join(dir, 'geo-encoder-mask-decoder.onnx'),
    );
    const e2 = await Sam3Finder.create({ model: dir, diskCacheDir: false }).catch((x: Error) => x);
    expect((e2 as Error).message).toMatch(/not a SAM 3 layout .*declares inputs .*point_coords/);
    const e3 = await Sam3Finder.create({ model: model('sam-hf'), diskCacheDir: false }).catch(
      (x: Error) => x,
    );
    expect(isSegkitError(e3) && e3.code).toBe('E_MODEL_UNSUPPORTED');
  });

  it('encodes each image once: later prompts, and another process on the same disk cache, run only text and decoder', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'sam3-disk-'));
    const dir = mkdtempSync(join(tmpdir(), 'sam3-copy-'));
    cpSync(model('sam3-usls'), dir, { recursive: true });
    const a = await Sam3Finder.create({ model: dir, diskCacheDir: cacheDir });
    const first = await a.find(image, { text: 'red', threshold: 0 });
    await a.find(image, { text: 'blue' });
    await a.find(image, { text: 'red' });
    expect(a.stats).toMatchObject({ encoderRuns: 1, textRuns: 2, decoderRuns: 3 });
    const b = await Sam3Finder.create({ model: dir, diskCacheDir: cacheDir }); // a new process's finder
    const again = await b.find(image, { text: 'red', threshold: 0 });
    expect(b.stats.encoderRuns).toBe(0);
    expect(again.instances.map((i) => i.score)).toEqual(first.instances.map((i) => i.score));
    // A replaced encoder file is a new encoding: the cache never serves the old one.
    const encoder = join(dir, 'vision-encoder.onnx');
    writeFileSync(encoder, readFileSync(encoder));
    utimesSync(join(dir, 'vision-encoder.onnx'), new Date(), new Date(Date.now() + 5000));
    const c = await Sam3Finder.create({ model: dir, diskCacheDir: cacheDir });
    await c.find(image, { text: 'red' });
    expect(c.stats.encoderRuns).toBe(1);
  });

  it('the tracker answers clicks, boxes and multimask through the Segmenter at 1008 px with 288² masks', async () => {
    const seg = await Segmenter.create({ model: model('sam3-tracker') });
    expect(seg.backend).toBe('sam3-tracker');
    expect(seg.decoders.map((d) => d.layout)).toEqual(['sam3-tracker']);
    const emb = (await seg.embedding(image))!;
    expect(emb.frameSize).toEqual([1008, 1008]);
    expect(emb.tensors['image_embeddings.0']!.dims.slice(2)).toEqual([288, 288]);
    const r = await seg.segment(image, { prompt: { point: [300, 80] }, multimask: true });
    expect(r.length).toBe(3);
    const bx = await seg.segment(image, {
      prompt: { box: [20, 20, 80, 60], points: [{ point: [50, 50], label: 1 }] },
    });
    expect([bx.mask.width, bx.mask.height]).toEqual([400, 300]);
    expect(seg.stats.encoderRuns).toBe(1);
  });
});

describe('SAM 3 fixture (a colour rule in the usls layout)', () => {
  const fixture = fixtureModel('sam3-fixture');
  const match = (found: { mask: Mask }[]) =>
    Object.fromEntries(
      Object.entries(truth).map(([name, m]) => [name, Math.max(0, ...found.map((f) => iou(f.mask, m)))]),
    );

  it('text "red" finds every red shape (and its darker look-alike), each with IoU ≥ 0.9, and nothing else', async () => {
    const found = await findAll(image, { text: 'red', findModel: fixture });
    expect(found.length).toBe(3);
    const m = match(found);
    expect(m.red1).toBeGreaterThan(0.9);
    expect(m.red2).toBeGreaterThan(0.9);
    expect(m.darkRed).toBeGreaterThan(0.9);
    expect(m.blue).toBeLessThan(0.1);
    expect(m.green).toBeLessThan(0.1);
    for (const f of found) expect(f.score).toBeGreaterThan(0.9);
  });

  it('a negative exemplar on the look-alike removes it; exemplars alone find shapes like them', async () => {
    const neg = await findAll(image, {
      text: 'red',
      negativeExemplars: [[280, 40, 40, 40]],
      findModel: fixture,
    });
    const m = match(neg);
    expect(neg.length).toBe(2);
    expect(m.darkRed).toBeLessThan(0.1);
    expect(Math.min(m.red1!, m.red2!)).toBeGreaterThan(0.9);
    const ex = await findAll(image, { positiveExemplars: [[80, 190, 40, 40]], findModel: fixture });
    expect(ex.length).toBe(1);
    expect(match(ex).blue).toBeGreaterThan(0.9);
    expect(await findAll(image, { text: 'purple', findModel: fixture })).toEqual([]);
    expect(await codeOf(findAll(image, { negativeExemplars: [[80, 190, 40, 40]], findModel: fixture }))).toBe(
      'E_FIND_ALL_NEEDS_PROMPT',
    );
    expect(
      await codeOf(
        findAll(image, { text: 'red', positiveExemplars: [[380, 280, 40, 40]], findModel: fixture }),
      ),
    ).toBe('E_PROMPT_OUT_OF_BOUNDS');
  });

  it('maxInstances and threshold bound what comes back; boxes are the model’s, in image pixels', async () => {
    const two = await findAll(image, { text: 'red', findModel: fixture, maxInstances: 2 });
    expect(two.length).toBe(2);
    expect(await findAll(image, { text: 'red', findModel: fixture, threshold: 0.9999 })).toEqual([]);
    const [blue] = await findAll(image, { text: 'blue', findModel: fixture });
    blue!.bbox.forEach((v, k) => {
      expect(Math.abs(v - [60, 170, 90, 90][k]!)).toBeLessThanOrEqual(2);
    });
  });
});
