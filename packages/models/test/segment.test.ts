import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iou, loadImage, readMask, union } from '@segkit/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { Segmenter } from '../src/index.js';
import { fixtureModel, repoRoot } from './helpers/hub-server.js';
import { scene } from './helpers/shapes.js';

const { image, truth } = scene();

beforeEach(() => {
  process.env.SEGKIT_CACHE_DIR = mkdtempSync(join(tmpdir(), 'segkit-cache-'));
});

describe.each(['sam-fixture', 'sam2-fixture'])('fixture %s through transformers.js', (name) => {
  const open = () => Segmenter.create({ model: fixtureModel(name) });

  it('loads with the right family', async () => {
    expect((await open()).backend).toBe(name.startsWith('sam2') ? 'sam2' : 'sam');
  });

  it('a point on a shape returns that shape (IoU ≥ 0.9) when its colour is unique', async () => {
    const r = await (await open()).segment(image, { prompt: { point: [300, 80] } });
    expect(iou(r.mask, truth.blue!)).toBeGreaterThanOrEqual(0.9);
    expect(r.mask).toMatchObject({ width: 400, height: 300 });
    expect(r.area).toBeGreaterThan(0);
  });

  it('a box returns the shape inside it (IoU ≥ 0.9)', async () => {
    const r = await (await open()).segment(image, { prompt: { box: [30, 40, 120, 110] } });
    expect(iou(r.mask, truth.redA!)).toBeGreaterThanOrEqual(0.9);
  });

  it('a negative point removes a second shape of the same colour', async () => {
    const seg = await open();
    const both = await seg.segment(image, { prompt: { point: [90, 95] } });
    expect(iou(both.mask, union(truth.redA!, truth.redB!))).toBeGreaterThanOrEqual(0.9);
    const one = await seg.segment(image, {
      prompt: {
        points: [
          { point: [90, 95], label: 1 },
          { point: [295, 210], label: 0 },
        ],
      },
    });
    expect(iou(one.mask, truth.redA!)).toBeGreaterThanOrEqual(0.9);
  });

  it('multimask returns three candidates sorted by score', async () => {
    const rs = await (await open()).segment(image, { prompt: { point: [300, 80] }, multimask: true });
    expect(rs).toHaveLength(3);
    expect(rs.map((r) => r.score)).toEqual([...rs.map((r) => r.score)].sort((a, b) => b - a));
  });

  it('encodes an image once and reuses the embedding for later and concurrent prompts', async () => {
    const seg = await open();
    await Promise.all([
      seg.segment(image, { prompt: { point: [90, 95] } }),
      seg.segment(image, { prompt: { point: [300, 80] } }),
    ]);
    await seg.segment(image, { prompt: { box: [30, 40, 120, 110] } });
    expect(seg.stats.encoderRuns).toBe(1);
    await seg.segment({ ...image, data: image.data.map((v) => 255 - v) }, { prompt: { point: [5, 5] } });
    expect(seg.stats.encoderRuns).toBe(2);
  });

  it('preload warms the cache', async () => {
    const seg = await open();
    await seg.preload(image);
    await seg.segment(image, { prompt: { point: [300, 80] } });
    expect(seg.stats).toMatchObject({ encoderRuns: 1, cacheHits: 1 });
  });
});

describe('embedding cache limits and disk layer', () => {
  it('evicts the least recently used embedding when over the byte budget', async () => {
    const seg = await Segmenter.create({
      model: fixtureModel('sam-fixture'),
      cacheBytes: 12 * 2 ** 20, // one 8 MiB embedding fits
      diskCacheDir: false, // the in-memory layer alone
    });
    const other = { ...image, data: image.data.map((v) => 255 - v) };
    await seg.preload(image);
    await seg.preload(other);
    await seg.preload(image);
    expect(seg.stats.encoderRuns).toBe(3);
  });

  it('reuses embeddings from the disk cache in a new segmenter', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segkit-emb-'));
    const a = await Segmenter.create({ model: fixtureModel('sam2-fixture'), diskCacheDir: dir });
    const first = await a.segment(image, { prompt: { point: [300, 80] } });
    const b = await Segmenter.create({ model: fixtureModel('sam2-fixture'), diskCacheDir: dir });
    const again = await b.segment(image, { prompt: { point: [300, 80] } });
    expect(b.stats.encoderRuns).toBe(0);
    expect(iou(first.mask, again.mask)).toBe(1);
  });

  it('a replaced encoder file, or changed pre-processing, is encoded again, in every layout', async () => {
    // A copy of the official-SAM pair and of the transformers.js SAM, each with a disk cache that has the image.
    for (const [fixture, encoderPath] of [
      ['sam-official-fixture', 'sam_vit_fixture.encoder.onnx'],
      ['sam-fixture', 'onnx/vision_encoder.onnx'],
    ] as const) {
      const model = mkdtempSync(join(tmpdir(), 'segkit-model-'));
      cpSync(fixtureModel(fixture), model, { recursive: true });
      const cache = mkdtempSync(join(tmpdir(), 'segkit-emb-'));
      const a = await Segmenter.create({ model, diskCacheDir: cache });
      await a.preload(image);
      expect(a.stats.encoderRuns).toBe(1);
      const same = await Segmenter.create({ model, diskCacheDir: cache });
      await same.preload(image);
      expect(same.stats.encoderRuns, fixture).toBe(0); // the disk cache serves it
      // The encoder file replaced (here: rewritten with a later time), as a new export in the same folder would be.
      const file = join(model, encoderPath);
      writeFileSync(file, readFileSync(file));
      utimesSync(file, new Date(), new Date(Date.now() + 5000));
      const replaced = await Segmenter.create({ model, diskCacheDir: cache });
      await replaced.preload(image);
      expect(replaced.stats.encoderRuns, fixture).toBe(1);
    }
    // The pair's segkit.json pre-processing is part of the identity too.
    const model = mkdtempSync(join(tmpdir(), 'segkit-model-'));
    cpSync(fixtureModel('sam-official-fixture'), model, { recursive: true });
    const cache = mkdtempSync(join(tmpdir(), 'segkit-emb-'));
    await (await Segmenter.create({ model, diskCacheDir: cache })).preload(image);
    writeFileSync(join(model, 'segkit.json'), JSON.stringify({ resize: 'square' }));
    const reconfigured = await Segmenter.create({ model, diskCacheDir: cache });
    await reconfigured.preload(image);
    expect(reconfigured.stats.encoderRuns).toBe(1);
  });

  it('keeps the disk cache under its byte cap, dropping the least recently used entry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segkit-emb-'));
    const opts = { model: fixtureModel('sam-fixture'), diskCacheDir: dir, diskCacheBytes: 12 * 2 ** 20 };
    const other = { ...image, data: image.data.map((v) => 255 - v) };
    const a = await Segmenter.create(opts);
    await a.preload(image);
    await a.preload(other); // over the cap: the first image's file goes
    const files = readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.bin'));
    expect(files).toHaveLength(1);
    const b = await Segmenter.create(opts);
    await b.preload(other);
    expect(b.stats.encoderRuns).toBe(0);
    await b.preload(image);
    expect(b.stats.encoderRuns).toBe(1);
  });
});

describe('assists', () => {
  it('refineBox tightens a loose box to the object', async () => {
    const seg = await Segmenter.create({ model: fixtureModel('sam-fixture') });
    const { box } = await seg.refineBox(image, [20, 30, 150, 130]);
    const [x, y, w, h] = box;
    expect(Math.abs(x - 40)).toBeLessThanOrEqual(3);
    expect(Math.abs(y - 50)).toBeLessThanOrEqual(3);
    expect(Math.abs(w - 100)).toBeLessThanOrEqual(4);
    expect(Math.abs(h - 90)).toBeLessThanOrEqual(4);
  });

  it('pointToBox turns one click into a box and a mask', async () => {
    const seg = await Segmenter.create({ model: fixtureModel('sam2-fixture') });
    const { box, mask } = await seg.pointToBox(image, [300, 80]);
    expect(iou(mask, truth.blue!)).toBeGreaterThanOrEqual(0.9);
    expect(box[0]).toBeGreaterThanOrEqual(246);
    expect(box[0]).toBeLessThanOrEqual(254);
  });
});

describe('classic backend (OpenCV GrabCut, no download)', () => {
  it('a box on a synthetic shape gives IoU ≥ 0.9', async () => {
    const seg = await Segmenter.create({ model: 'classic' });
    const r = await seg.segment(image, { prompt: { box: [30, 40, 120, 110] } });
    expect(iou(r.mask, truth.redA!)).toBeGreaterThanOrEqual(0.9);
    expect(r.score).toBeGreaterThan(0.5);
  });

  it('a point selects only the clicked shape, not its look-alike', async () => {
    const seg = await Segmenter.create({ model: 'classic' });
    const r = await seg.segment(image, { prompt: { point: [90, 95] } });
    expect(iou(r.mask, truth.redA!)).toBeGreaterThanOrEqual(0.9);
  });

  it('returns a plausible cup mask for a box around the cup in coffee.png', async () => {
    const photo = await loadImage(join(repoRoot, 'examples/coffee.png'));
    const hand = await readMask(join(repoRoot, 'examples/coffee-cup.mask.png'));
    const seg = await Segmenter.create({ model: 'classic' });
    const r = await seg.segment(photo, { prompt: { box: [165, 12, 255, 300] } });
    const [x, y, w, h] = r.bbox;
    expect(x >= 165 && y >= 12 && x + w <= 420 && y + h <= 312).toBe(true); // inside the box
    expect(iou(r.mask, hand)).toBeGreaterThan(0.5); // the rim and the coffee at least; the red body blends with the saucer
  });

  it('is the default when SAM is not downloaded, with a notice saying how to get SAM', async () => {
    const notices: string[] = [];
    const seg = await Segmenter.create({ onNotice: (m) => notices.push(m) });
    expect(seg.backend).toBe('classic');
    expect(notices).toEqual([expect.stringContaining('segkit models pull sam')]);
  });
});

describe('bad input', () => {
  it('a prompt outside the image is E_PROMPT_OUT_OF_BOUNDS', async () => {
    const seg = await Segmenter.create({ model: fixtureModel('sam-fixture') });
    await expect(seg.segment(image, { prompt: { point: [400, 10] } })).rejects.toMatchObject({
      code: 'E_PROMPT_OUT_OF_BOUNDS',
    });
    await expect(seg.segment(image, { prompt: { box: [300, 200, 150, 50] } })).rejects.toMatchObject({
      code: 'E_PROMPT_OUT_OF_BOUNDS',
    });
  });

  it('an empty point list, a bad label or a negative-only prompt is E_PROMPT_INVALID', async () => {
    const seg = await Segmenter.create({ model: 'classic' });
    await expect(seg.segment(image, { prompt: { points: [] } })).rejects.toMatchObject({
      code: 'E_PROMPT_INVALID',
    });
    await expect(
      seg.segment(image, { prompt: { points: [{ point: [5, 5], label: 2 as 1 }] } }),
    ).rejects.toMatchObject({ code: 'E_PROMPT_INVALID' });
    await expect(
      seg.segment(image, { prompt: { points: [{ point: [5, 5], label: 0 }] } }),
    ).rejects.toMatchObject({ code: 'E_PROMPT_INVALID' });
  });

  it('a corrupt image, an unsupported format and an image over the pixel limit are refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segkit-bad-'));
    const png = join(repoRoot, 'examples/coffee.png');
    const { readFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'cut.png'), readFileSync(png).subarray(0, 5000));
    writeFileSync(join(dir, 'doc.pdf'), '%PDF-1.4 nothing to see');
    const seg = await Segmenter.create({ model: 'classic' });
    await expect(seg.segment(join(dir, 'cut.png'))).rejects.toMatchObject({ code: 'E_IMAGE_DECODE' });
    await expect(seg.segment(join(dir, 'doc.pdf'))).rejects.toMatchObject({ code: 'E_IMAGE_UNSUPPORTED' });
    const small = await Segmenter.create({ model: 'classic', maxPixels: 100_000 });
    await expect(small.segment(png)).rejects.toMatchObject({ code: 'E_IMAGE_TOO_LARGE' });
  });

  it('an unknown model name is E_MODEL_UNKNOWN; a named preset that is not downloaded is E_MODEL_MISSING', async () => {
    await expect(Segmenter.create({ model: 'sam-xxl' })).rejects.toMatchObject({ code: 'E_MODEL_UNKNOWN' });
    await expect(Segmenter.create({ model: 'sam2-tiny' })).rejects.toMatchObject({
      code: 'E_MODEL_MISSING',
      message: expect.stringContaining('segkit models pull sam2-tiny'),
    });
  });

  it('a cached model whose ONNX is garbage is E_MODEL_CORRUPT', async () => {
    const { cpSync } = await import('node:fs');
    const dir = join(mkdtempSync(join(tmpdir(), 'segkit-corrupt-')), 'm');
    cpSync(fixtureModel('sam-fixture'), dir, { recursive: true });
    writeFileSync(join(dir, 'onnx/vision_encoder.onnx'), Buffer.alloc(575, 7));
    await expect(Segmenter.create({ model: dir })).rejects.toMatchObject({ code: 'E_MODEL_CORRUPT' });
    expect(existsSync(dir) && readdirSync(dir).length > 0).toBe(true);
  });

  it('a model of the wrong family is E_MODEL_UNSUPPORTED', async () => {
    const { cpSync } = await import('node:fs');
    const dir = join(mkdtempSync(join(tmpdir(), 'segkit-wrong-')), 'm');
    cpSync(fixtureModel('sam-fixture'), dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), '{"model_type":"bert"}');
    await expect(Segmenter.create({ model: dir })).rejects.toMatchObject({ code: 'E_MODEL_UNSUPPORTED' });
  });
});
