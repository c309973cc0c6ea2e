// SAM as an encoder + decoder pair of plain ONNX files: Meta's official decoder layout (samexporter) and the
// standalone SAM 2 pair (samexporter, SharpAI), through their fixtures, from a local folder and from the hub mirror.
import { cpSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iou, union } from '@segkit/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Graph } from '../../../scripts/fixtures/onnx-graph.js';
import { pullModel, resolveModelRef, Segmenter } from '../src/index.js';
import { fixtureModel, type HubServer, publish, startHub } from './helpers/hub-server.js';
import { BLUE, GREEN, RED, scene, shapesImage } from './helpers/shapes.js';

const { image, truth } = scene();
const YELLOW: [number, number, number] = [220, 200, 40];
const layouts = [
  ['sam-official', 'sam-official-fixture'],
  ['sam2-pair', 'sam2-pair-fixture'],
] as const;

let hub: HubServer;
beforeAll(async () => {
  hub = await startHub();
  publish(hub, fixtureModel('sam2-pair-fixture'), 'SharpAI/sam2-hiera-tiny-onnx');
  publish(hub, fixtureModel('sam-official-fixture'), 'someone/sam-vit-fixture');
});
afterAll(() => hub.close());
beforeEach(() => {
  process.env.SEGKIT_CACHE_DIR = mkdtempSync(join(tmpdir(), 'segkit-cache-'));
  process.env.SEGKIT_HUB_URL = hub.url;
  delete process.env.SEGKIT_OFFLINE;
});

/** Opens a layout's fixture from the repository folder, or pulled from the hub mirror into the cache. */
async function open(layout: (typeof layouts)[number][0], from: 'folder' | 'hub'): Promise<Segmenter> {
  if (from === 'folder')
    return Segmenter.create({ model: fixtureModel(layouts.find((l) => l[0] === layout)![1]) });
  if (layout === 'sam2-pair') {
    await pullModel(resolveModelRef('sam2-pair-tiny')); // config.json names encoder.onnx and decoder.onnx
    return Segmenter.create({ model: 'sam2-pair-tiny' });
  }
  const names = { encoderFile: 'sam_vit_fixture.encoder.onnx', decoderFile: 'sam_vit_fixture.decoder.onnx' };
  await pullModel(resolveModelRef('someone/sam-vit-fixture'), names); // no config.json, as samexporter writes none
  return Segmenter.create({ model: 'someone/sam-vit-fixture', ...names });
}

describe.each(layouts)('the %s layout', (layout) => {
  describe.each(['folder', 'hub'] as const)('from a %s', (from) => {
    it('click, negative click, box and multimask work, and repeat prompts reuse the encoder output', async () => {
      const seg = await open(layout, from);
      expect(seg.backend).toBe(layout === 'sam2-pair' ? 'sam2' : 'sam');
      expect(seg.accepts).toEqual({ points: true, box: true, boxWithPoints: true });
      const click = await seg.segment(image, { prompt: { point: [300, 80] } });
      expect(iou(click.mask, truth.blue!)).toBeGreaterThanOrEqual(0.9);
      const twins = await seg.segment(image, { prompt: { point: [90, 95] } });
      expect(iou(twins.mask, union(truth.redA!, truth.redB!))).toBeGreaterThanOrEqual(0.9);
      const one = await seg.segment(image, {
        prompt: {
          points: [
            { point: [90, 95], label: 1 },
            { point: [300, 210], label: 0 },
          ],
        },
      });
      expect(iou(one.mask, truth.redA!)).toBeGreaterThanOrEqual(0.9);
      const boxed = await seg.segment(image, { prompt: { box: [30, 40, 120, 110] } });
      expect(iou(boxed.mask, truth.redA!)).toBeGreaterThanOrEqual(0.9);
      const three = await seg.segment(image, { prompt: { point: [300, 80] }, multimask: true });
      expect(three).toHaveLength(3);
      expect(three.map((r) => r.score)).toEqual([...three.map((r) => r.score)].sort((a, b) => b - a));
      expect(seg.stats.encoderRuns).toBe(1);
    });
  });

  it('automatic masks, refineBox and pointToBox run on the pair too', async () => {
    const seg = await open(layout, 'folder');
    const found = await seg.generateMasks(image, { pointsPerSide: 8 });
    // The fixture groups same-coloured shapes, so the two red rectangles come as one region.
    for (const shape of [truth.blue!, union(truth.redA!, truth.redB!)])
      expect(Math.max(...found.map((m) => iou(m.mask, shape)))).toBeGreaterThanOrEqual(0.9);
    const { box } = await seg.refineBox(image, [20, 30, 150, 130]);
    // redA's own box [40, 50, 100, 90], to the pixel or two that 256×256 low-resolution logits allow.
    for (const [i, v] of [40, 50, 100, 90].entries()) expect(Math.abs(box[i]! - v)).toBeLessThanOrEqual(2);
    expect((await seg.pointToBox(image, [300, 80])).box).toEqual(
      (await seg.segment(image, { prompt: { point: [300, 80] } })).bbox,
    );
    expect(seg.stats.encoderRuns).toBe(1);
  });

  it('a click at each corner of a non-square 640×360 image lands where clicked', async () => {
    const s = 40;
    const corners = [
      [0, 0, RED],
      [640 - s, 0, GREEN],
      [0, 360 - s, BLUE],
      [640 - s, 360 - s, YELLOW],
    ] as const;
    const { image: wide, truth: t } = shapesImage(
      640,
      360,
      corners.map(([x, y, colour], i) => ({ name: String(i), box: [x, y, s, s], colour })),
    );
    const seg = await open(layout, 'folder');
    for (const [i, [x, y]] of corners.entries()) {
      const click: [number, number] = [x === 0 ? 0 : 639, y === 0 ? 0 : 359];
      const r = await seg.segment(wide, { prompt: { point: click } });
      expect(iou(r.mask, t[String(i)]!), `corner ${click}`).toBeGreaterThanOrEqual(0.8);
    }
  });
});

describe('finding and checking the files of a pair', () => {
  it('--encoder-file/--decoder-file pick other names; missing files name the expected and present ones', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'segkit-pair-')), 'renamed');
    cpSync(fixtureModel('sam2-pair-fixture'), dir, { recursive: true });
    rmSync(join(dir, 'config.json'));
    renameSync(join(dir, 'encoder.onnx'), join(dir, 'image-encoder.onnx'));
    renameSync(join(dir, 'decoder.onnx'), join(dir, 'mask-decoder.onnx'));
    const named = await Segmenter.create({
      model: dir,
      encoderFile: 'image-encoder.onnx',
      decoderFile: 'mask-decoder.onnx',
    });
    expect(
      iou((await named.segment(image, { prompt: { point: [300, 80] } })).mask, truth.blue!),
    ).toBeGreaterThan(0.9);
    // Unnamed, the one *encoder*.onnx and *decoder*.onnx are found too.
    expect((await Segmenter.create({ model: dir })).backend).toBe('sam2');
    await expect(Segmenter.create({ model: dir, encoderFile: 'encoder.onnx' })).rejects.toMatchObject({
      code: 'E_MODEL_MISSING',
      message: expect.stringMatching(/lacks encoder\.onnx: .*it has image-encoder\.onnx, mask-decoder\.onnx/),
    });
    const ghost = resolveModelRef('someone/sam-vit-fixture');
    await expect(pullModel(ghost)).rejects.toMatchObject({ code: 'E_DOWNLOAD_FAILED' });
  });

  it('segkit.json overrides how the encoder is fed; a bad value or a refused input is a coded error', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'segkit-pair-')), 'settings');
    cpSync(fixtureModel('sam2-pair-fixture'), dir, { recursive: true });
    writeFileSync(join(dir, 'segkit.json'), '{"resize": "longest-side"}');
    const padded = await Segmenter.create({ model: dir, diskCacheDir: false });
    expect(
      iou((await padded.segment(image, { prompt: { point: [300, 80] } })).mask, truth.blue!),
    ).toBeGreaterThan(0.9);
    writeFileSync(join(dir, 'segkit.json'), '{"resize": "fit"}');
    await expect(Segmenter.create({ model: dir })).rejects.toMatchObject({
      code: 'E_JSON_INVALID',
      message: expect.stringMatching(/resize must be "longest-side" or "square"/),
    });
    writeFileSync(join(dir, 'segkit.json'), '{"encoder_input": "hwc"}');
    const wrong = await Segmenter.create({ model: dir, diskCacheDir: false });
    await expect(wrong.segment(image, { prompt: { point: [300, 80] } })).rejects.toMatchObject({
      code: 'E_MODEL_UNSUPPORTED',
      message: expect.stringMatching(
        /encoder refused a 1024×1024×3 input .*check encoder_input and resize in segkit.json/,
      ),
    });
  });

  it('a graph with the right names but a wrong rank or dtype is refused with a coded error, not a crash', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'segkit-pair-')), 'bad');
    mkdirSync(dir);
    cpSync(join(fixtureModel('sam2-pair-fixture'), 'encoder.onnx'), join(dir, 'encoder.onnx'));
    // point_labels as int64 of rank 3: the names match the SAM 2 pair, the contract does not.
    const g = new Graph('bad_decoder');
    const e = g.input('image_embed', 'float', [1, 256, 64, 64]);
    g.input('high_res_feats_0', 'float', [1, 32, 256, 256]);
    g.input('high_res_feats_1', 'float', [1, 64, 128, 128]);
    g.input('point_coords', 'float', ['n', 'p', 2]);
    g.input('point_labels', 'int64', ['n', 'p', 1]);
    g.input('mask_input', 'float', ['n', 1, 256, 256]);
    g.input('has_mask_input', 'float', ['n']);
    g.output('masks', 'float', [1, 256, 64, 64], g.op('Identity', [e]));
    g.output('iou_predictions', 'float', [1, 256, 64, 64], g.op('Identity', [e]));
    writeFileSync(join(dir, 'decoder.onnx'), g.toBytes());
    await expect(Segmenter.create({ model: dir })).rejects.toMatchObject({
      code: 'E_MODEL_UNSUPPORTED',
      message: expect.stringMatching(
        /looks like sam2-pair but the decoder point_labels is int64\[n,p,1\], expected float32 of rank 2/,
      ),
    });
    // A decoder whose names match no layout lists what it has.
    const h = new Graph('unknown');
    h.output('y', 'float', [1], h.op('Identity', [h.input('x', 'float', [1])]));
    writeFileSync(join(dir, 'decoder.onnx'), h.toBytes());
    await expect(Segmenter.create({ model: dir })).rejects.toMatchObject({
      code: 'E_MODEL_UNSUPPORTED',
      message: expect.stringMatching(/matches no SAM layout .*inputs x float32\[1\]; outputs y/),
    });
  });
});
