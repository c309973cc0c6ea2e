// The foundation of decoder training: SegKit's CLIPSeg decoder in TypeScript reproduces the ONNX graph's logits on
// the real-architecture export, and its hand-written backward pass agrees with finite differences.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AutoProcessor,
  AutoTokenizer,
  RawImage as HfImage,
  type Tensor as HfTensor,
} from '@huggingface/transformers';
import { loadImage, seededRandom } from '@segkit/core';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { ClipSegFeatures } from '../src/backend/clipseg-features.js';
import { decoderBackward, decoderForward, decoderGeometry } from '../src/clipseg-train/decoder.js';
import type { Params } from '../src/clipseg-train/layers.js';
import { segLoss } from '../src/clipseg-train/loss.js';
import { initMatmul } from '../src/clipseg-train/matmul.js';

const repoRoot = new URL('../../../', import.meta.url).pathname;
const dir = join(repoRoot, '../shared/real-arch/clipseg');
const present = existsSync(join(dir, 'onnx/model.onnx'));
if (!present) console.warn(`CLIPSeg decoder parity skipped: ${dir} is absent`);

/** The graph's own logits for one image and several texts, with transformers.js's tokenizer and processor. */
async function graphLogits(imagePath: string, texts: string[]): Promise<Float32Array> {
  const tok = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
  const proc = await AutoProcessor.from_pretrained(dir, { local_files_only: true });
  const t = (tok as unknown as (t: string[], o: object) => Record<string, HfTensor>)(texts, {
    padding: true,
  });
  const image = await loadImage(imagePath);
  const hf = new HfImage(new Uint8ClampedArray(image.data), image.width, image.height, image.channels);
  const { pixel_values } = await (proc as unknown as (i: HfImage) => Promise<Record<string, HfTensor>>)(hf);
  const session = await InferenceSession.create(readFileSync(join(dir, 'onnx/model.onnx')));
  const feeds = {
    input_ids: new Tensor('int64', t.input_ids!.data as BigInt64Array, t.input_ids!.dims),
    attention_mask: new Tensor('int64', t.attention_mask!.data as BigInt64Array, t.attention_mask!.dims),
    pixel_values: new Tensor('float32', pixel_values!.data as Float32Array, pixel_values!.dims),
  };
  return (await session.run(feeds)).logits!.data as Float32Array;
}

describe.skipIf(!present)('CLIPSeg decoder in TypeScript (real-architecture export)', () => {
  let features: ClipSegFeatures;
  let params: Params;
  beforeAll(async () => {
    await initMatmul();
    features = await ClipSegFeatures.load(dir);
    params = new Map([...features.graph.params].map(([k, v]) => [k, v.data]));
  });

  it('finds every decoder weight in the graph, the anonymous MatMul ones by their consumer', () => {
    const names = [...features.graph.params.keys()];
    // 3 reduces, FiLM, 3 layers (q, k, v, out, 2 LayerNorms, fc1, fc2), and the refined head's 3 convolutions.
    expect(names).toHaveLength(3 * 2 + 4 + 3 * 16 + 6);
    expect(features.graph.params.get('decoder.reduces.0.weight')).toMatchObject({
      initializer: expect.stringMatching(/^onnx::MatMul_\d+$/),
      dims: [32, 16],
    });
    expect(features.graph.params.get('decoder.layers.2.mlp.fc1.weight')!.dims).toEqual([16, 32]);
    expect(features.graph.hiddenStates).toEqual(
      [3, 2, 1].map((l) => `/vision_model/encoder/layers.${l}/Add_1_output_0`),
    );
    expect(features.graph.conditional).toBe('/text_projection/MatMul_output_0');
    const total = [...features.graph.params.values()].reduce((s, p) => s + p.data.length, 0);
    expect(total).toBeGreaterThan(10_000);
  });

  for (const texts of [['segment red'], ['segment red', 'a photo of a cup', 'crack']])
    it(`reproduces the graph's logits within 1e-4 for one image and ${texts.length} prompt(s)`, async () => {
      const image = join(repoRoot, 'examples/coffee.png');
      const expected = await graphLogits(image, texts);
      const hidden = await features.image(await loadImage(image));
      const cond = await features.texts(texts);
      const b = texts.length;
      const stacked = hidden.map((h) => {
        const o = new Float32Array(b * h.length);
        for (let i = 0; i < b; i++) o.set(h, i * h.length);
        return o;
      });
      const g = decoderGeometry(features.config);
      const { logits, side } = decoderForward(params, g, { hidden: stacked, cond, batch: b });
      expect(side).toBe(352);
      expect(logits.length).toBe(expected.length);
      let max = 0;
      for (let i = 0; i < logits.length; i++) max = Math.max(max, Math.abs(logits[i]! - expected[i]!));
      expect(max).toBeLessThanOrEqual(1e-4);
      // The prompts give different maps: the conditional path is live.
      if (b === 3) expect(Math.abs(logits[0]! - logits[352 * 352]!)).toBeGreaterThan(1e-6);
    });

  it('the backward pass agrees with central differences for every parameter tensor (weighted BCE + Dice)', () => {
    // A small 4×4 patch grid keeps it quick; the decoder is the same at every size.
    const g = { ...decoderGeometry(features.config), grid: 4 };
    const r = seededRandom(3);
    const b = 2;
    const t = g.grid * g.grid + 1;
    const hidden = Array.from({ length: g.depth }, () =>
      Float32Array.from({ length: b * t * g.width }, () => r() * 2 - 1),
    );
    const cond = Float32Array.from({ length: b * g.condDim }, () => r() * 2 - 1);
    const p: Params = new Map([...params].map(([k, v]) => [k, Float32Array.from(v)]));
    const input = { hidden, cond, batch: b };
    const first = decoderForward(p, g, input, { keep: true });
    const target = Uint8Array.from({ length: first.logits.length }, (_, i) => (i % 64 < 20 ? 1 : 0));
    const lossAt = () => segLoss(decoderForward(p, g, input).logits, target, b).loss;
    const { grad } = segLoss(first.logits, target, b);
    const grads = decoderBackward(p, g, first.tape, grad);
    expect([...grads.keys()].sort()).toEqual([...p.keys()].sort());
    let checked = 0;
    for (const [name, w] of p) {
      const gw = grads.get(name)!;
      // The entry with the largest gradient, and three others.
      let top = 0;
      for (let i = 1; i < w.length; i++) if (Math.abs(gw[i]!) > Math.abs(gw[top]!)) top = i;
      for (const i of [top, ...[0, 1, 2].map(() => Math.floor(r() * w.length))]) {
        const h = 1e-3;
        const keep = w[i]!;
        w[i] = keep + h;
        const up = lossAt();
        w[i] = keep - h;
        const down = lossAt();
        w[i] = keep;
        const numeric = (up - down) / (2 * h);
        expect(Math.abs(numeric - gw[i]!), `${name}[${i}]: ${numeric} vs ${gw[i]}`).toBeLessThanOrEqual(
          3e-6 + 0.02 * Math.abs(numeric),
        );
        checked++;
      }
    }
    expect(checked).toBe(4 * p.size);
  });
});
