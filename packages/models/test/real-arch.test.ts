// The real-architecture SAM exports of ../shared/real-arch (tiny configs, random weights, the public repos' layouts
// and I/O contracts) through the same code paths as the real models. Their masks mean nothing; their contracts are
// real, so these tests check shapes, prompt routing, caching and refusals, never mask quality. Skipped, saying so,
// when the folder is absent.
import { cpSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSegkitError } from '@segkit/core';
import { InferenceSession } from 'onnxruntime-node';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { classify, embedMasks, embedText, Segmenter, segmentPanoptic, segmentText } from '../src/index.js';
import { repoRoot } from './helpers/hub-server.js';
import { scene } from './helpers/shapes.js';

const realArch = join(repoRoot, '../shared/real-arch');
const present = existsSync(join(realArch, 'sam-hf'));
if (!present) console.warn(`real-architecture SAM tests skipped: ${realArch} is absent`);
const model = (name: string) => join(realArch, name);
const { image, truth } = scene();
const point = { point: [300, 80] as [number, number] };
const box: [number, number, number, number] = [30, 40, 120, 110];
const negative = {
  points: [
    { point: [300, 80] as [number, number], label: 1 as const },
    { point: [90, 95] as [number, number], label: 0 as const },
  ],
};

beforeEach(() => {
  process.env.SEGKIT_CACHE_DIR = mkdtempSync(join(tmpdir(), 'segkit-cache-'));
});

/** Runs a prompt; a refusal must be a coded SegKit error, never an internal one. */
async function attempt(seg: Segmenter, prompt: object, multimask = false) {
  try {
    const r = multimask
      ? await seg.segment(image, { prompt: prompt as never, multimask: true })
      : [await seg.segment(image, { prompt: prompt as never })];
    return { ok: true as const, results: r };
  } catch (e) {
    if (!isSegkitError(e)) throw e;
    return { ok: false as const, code: e.code, message: e.message };
  }
}

describe.skipIf(!present)('real-architecture SAM exports (../shared/real-arch)', () => {
  it('sam-hf (SlimSAM main layout): clicks work with 3 candidates at the image size; a box is refused, coded', async () => {
    const seg = await Segmenter.create({ model: model('sam-hf') });
    expect(seg.accepts).toEqual({ points: true, box: false, boxWithPoints: false });
    for (const prompt of [point, negative]) {
      const r = await attempt(seg, prompt, true);
      expect(r.ok).toBe(true);
      if (r.ok) {
        expect(r.results).toHaveLength(3);
        for (const m of r.results) expect(m.mask).toMatchObject({ width: 400, height: 300 });
        expect(r.results[0]!.score).toBeGreaterThanOrEqual(r.results[2]!.score);
      }
    }
    expect(seg.stats.encoderRuns).toBe(1); // the second prompt reused the cached embedding
    for (const prompt of [{ box }, { box, points: negative.points }])
      expect(await attempt(seg, prompt)).toMatchObject({ ok: false, code: 'E_PROMPT_UNSUPPORTED' });
    expect(seg.stats.encoderRuns).toBe(1); // refused before any encoder run
  });

  it('sam-hf-boxes (the `boxes` revision): the box reaches input_boxes; clicks are refused, coded', async () => {
    const feeds: Record<string, { dims: readonly number[]; data: unknown }>[] = [];
    const proto = (
      InferenceSession as unknown as { prototype: { run: (...a: unknown[]) => Promise<unknown> } }
    ).prototype;
    const run = proto.run;
    vi.spyOn(proto, 'run').mockImplementation(function (this: unknown, ...args: unknown[]) {
      const f = args[0] as (typeof feeds)[number];
      if ('image_embeddings' in f) feeds.push(f);
      return run.apply(this, args);
    });
    const seg = await Segmenter.create({ model: model('sam-hf-boxes') });
    expect(seg.accepts).toEqual({ points: false, box: true, boxWithPoints: false });
    const r = await attempt(seg, { box }, true);
    expect(r.ok).toBe(true);
    const last = feeds.at(-1)!;
    expect(Object.keys(last).sort()).toEqual([
      'image_embeddings',
      'image_positional_embeddings',
      'input_boxes',
    ]);
    const s = 1024 / 400; // 400×300 → 1024×768, the same frame as points
    expect(Array.from(last.input_boxes!.data as Float32Array)).toEqual(
      [30 * s, 40 * s, 150 * s, 150 * s].map(Math.fround),
    );
    vi.restoreAllMocks();
    if (r.ok) expect(r.results.map((m) => m.mask.width)).toEqual([400, 400, 400]);
    for (const prompt of [point, negative, { box, points: negative.points }])
      expect(await attempt(seg, prompt)).toMatchObject({ ok: false, code: 'E_PROMPT_UNSUPPORTED' });
  });

  it('the `sam` preset layout on real graphs (sam-hf + the boxes decoder in boxes/onnx/) takes clicks and boxes', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'segkit-real-')), 'slimsam');
    cpSync(model('sam-hf'), dir, { recursive: true });
    mkdirSync(join(dir, 'boxes/onnx'), { recursive: true });
    const decoder = 'onnx/prompt_encoder_mask_decoder.onnx';
    cpSync(join(model('sam-hf-boxes'), decoder), join(dir, 'boxes', decoder));
    const seg = await Segmenter.create({ model: dir });
    expect(seg.accepts).toEqual({ points: true, box: true, boxWithPoints: false });
    expect(await attempt(seg, point)).toMatchObject({ ok: true });
    expect(await attempt(seg, { box })).toMatchObject({ ok: true });
    expect(await attempt(seg, { box, points: negative.points })).toMatchObject({
      ok: false,
      code: 'E_PROMPT_UNSUPPORTED',
    });
    expect(seg.stats.encoderRuns).toBe(1); // both decoders share the one encoder output
  });

  it('sam2-hf (onnx-community SAM 2.1 layout): points, negatives, a box and box + points all work', async () => {
    const seg = await Segmenter.create({ model: model('sam2-hf') });
    expect(seg.backend).toBe('sam2');
    for (const prompt of [point, negative, { box }, { box, points: negative.points }]) {
      const r = await attempt(seg, prompt, true);
      expect(r.ok, JSON.stringify(prompt)).toBe(true);
      if (r.ok) expect(r.results).toHaveLength(3);
    }
    expect(seg.stats.encoderRuns).toBe(1);
  });

  it('clipseg, clip and detr-panoptic load and run through segmentText, embedMasks/embedText/classify and segmentPanoptic', async () => {
    const [red] = await segmentText(image, ['segment red', 'a zebra'], { model: model('clipseg') });
    expect(red!.probability).toHaveLength(400 * 300);
    expect(red!.mask).toMatchObject({ width: 400, height: 300 });
    const clip = { model: model('clip') };
    const [v] = await embedMasks(image, [truth.blue!], clip);
    expect(v).toHaveLength(16);
    expect(Math.hypot(...v!)).toBeCloseTo(1, 5);
    expect((await embedText(['a red cup'], clip))[0]).toHaveLength(16);
    const classes = await classify(image, truth.blue!, ['red', 'blue'], clip);
    expect(classes.ranked.map((c) => c.label).sort()).toEqual(['blue', 'red']);
    // Random weights: no query scores high, so the result may be empty, but it must be a list, not a crash.
    expect(Array.isArray(await segmentPanoptic(image, { model: model('detr-panoptic'), threshold: 0 }))).toBe(
      true,
    );
  });

  it('sam-official (samexporter: input_image encoder, single-mask official decoder) and sam2-pair run every prompt', async () => {
    const official = await Segmenter.create({ model: model('sam-official') });
    expect(official.backend).toBe('sam');
    expect(official.candidates).toBe(1); // return_single_mask, as Meta's web demo exports it
    const pair = await Segmenter.create({ model: model('sam2-pair') });
    expect(pair.backend).toBe('sam2');
    expect(pair.candidates).toBe(3);
    for (const seg of [official, pair]) {
      for (const prompt of [point, negative, { box }, { box, points: negative.points }]) {
        const r = await attempt(seg, prompt, true);
        expect(r.ok, JSON.stringify(prompt)).toBe(true);
        if (r.ok) {
          expect(r.results).toHaveLength(seg.candidates);
          for (const m of r.results) expect(m.mask).toMatchObject({ width: 400, height: 300 });
        }
      }
      expect(seg.stats.encoderRuns).toBe(1);
    }
  });
});
