// The browser decoder's feeds and post-processing (`@segkit/models/browser`) against the server's own path: on every
// SAM layout's fixture, the same decoder graph fed by buildDecoderFeeds gives exactly the masks Segmenter.segment gives,
// and with the float16 embedding the browser downloads, masks that differ by at most a few boundary pixels.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromFloat16, iou, toFloat16 } from '@segkit/core';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type BrowserPrompt,
  buildDecoderFeeds,
  candidateMasks,
  readDecoderOutputs,
} from '../packages/models/src/browser.js';
import { Segmenter } from '../packages/models/src/index.js';
import { fixtureModel } from '../packages/models/test/helpers/hub-server.js';
import { scene } from '../packages/models/test/helpers/shapes.js';

beforeEach(() => {
  process.env.SEGKIT_CACHE_DIR = mkdtempSync(join(tmpdir(), 'segkit-cache-'));
});

const PROMPTS: { name: string; prompt: BrowserPrompt; segment: Parameters<Segmenter['segment']>[1] }[] = [
  {
    name: 'a click',
    prompt: { points: [[60, 40]], labels: [1] },
    segment: { prompt: { points: [{ point: [60, 40], label: 1 }] } },
  },
  {
    name: 'two clicks, one negative',
    prompt: {
      points: [
        [60, 40],
        [150, 50],
      ],
      labels: [1, 0],
    },
    segment: {
      prompt: {
        points: [
          { point: [60, 40], label: 1 },
          { point: [150, 50], label: 0 },
        ],
      },
    },
  },
  {
    name: 'a box',
    prompt: { points: [], labels: [], box: [20, 10, 110, 80] },
    segment: { prompt: { box: [20, 10, 90, 70] } },
  },
];

describe('browser decoder feeds = the server path', () => {
  for (const fixture of ['sam-fixture', 'sam2-fixture', 'sam-official-fixture', 'sam2-pair-fixture'])
    it(`${fixture}: every prompt its graphs take gives the segment route's masks`, async () => {
      const seg = await Segmenter.create({ model: fixtureModel(fixture), diskCacheDir: false });
      const { image } = scene();
      const emb = (await seg.embedding(image))!;
      const tensors = Object.fromEntries(
        Object.entries(emb.tensors).map(([k, t]) => [k, { data: t.data as Float32Array, dims: t.dims }]),
      );
      const plain = {
        tensors,
        originalSize: emb.originalSize,
        reshapedSize: emb.reshapedSize,
        frameSize: emb.frameSize,
      };
      const graphs = await Promise.all(
        seg.decoders.map(async (d) => ({ ...d, session: await InferenceSession.create(d.path) })),
      );
      let ran = 0;
      for (const p of PROMPTS) {
        const graph = graphs.find((g) => (!p.prompt.points.length || g.points) && (!p.prompt.box || g.boxes));
        if (!graph) continue;
        const run = async (t: typeof plain) => {
          const feeds = buildDecoderFeeds(graph.layout, graph.session.inputNames, t, p.prompt);
          const ort = Object.fromEntries(
            Object.entries(feeds).map(([k, f]) => [k, new Tensor(f.type, f.data, f.dims)]),
          );
          const out = await graph.session.run(ort);
          return candidateMasks(readDecoderOutputs(out as never), t, true);
        };
        const server = await seg.segment(image, { ...p.segment, multimask: true });
        const browser = await run(plain);
        expect(browser.map((c) => c.score)).toEqual(server.map((r) => r.score));
        for (const [k, c] of browser.entries()) expect(c.mask.data).toEqual(server[k]!.mask.data);
        // What the browser really gets: the embedding through float16.
        const half = {
          ...plain,
          tensors: Object.fromEntries(
            Object.entries(tensors).map(([k, t]) => [
              k,
              { data: fromFloat16(toFloat16(t.data)), dims: t.dims },
            ]),
          ),
        };
        const viaHalf = await run(half);
        for (const [k, c] of viaHalf.entries()) expect(iou(c.mask, server[k]!.mask)).toBeGreaterThan(0.99);
        ran++;
      }
      expect(ran).toBeGreaterThanOrEqual(2);
    });
});
