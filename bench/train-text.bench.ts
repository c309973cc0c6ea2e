// Decoder training speed: forward + backward of the full-size CLIPSeg rd64-refined decoder (1.13 M parameters,
// random weights with the real shapes) per image at batch 16, with trained and with frozen reduces; and the feature
// cache's size per image. The reference: PyTorch takes 145-154 ms per image on this machine class.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadImage, seededRandom } from '@segkit/core';
import {
  ClipSegFeatures,
  type DecoderGeometry,
  decoderBackward,
  decoderForward,
  initMatmul,
  segLoss,
} from '../packages/models/src/index.js';
import type { BenchResult } from './harness.js';

/** The rd64-refined decoder's geometry and freshly initialised weights in the ONNX layouts. */
export function fullSizeDecoder(seed = 1): { g: DecoderGeometry; params: Map<string, Float32Array> } {
  const g: DecoderGeometry = {
    depth: 3,
    reduceDim: 64,
    heads: 4,
    width: 768,
    condDim: 512,
    grid: 22,
    conditionalLayer: 0,
    complex: true,
    eps: 1e-5,
  };
  const r = seededRandom(seed);
  const p = new Map<string, Float32Array>();
  const rand = (n: number, s: number) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * s);
  const lin = (name: string, i: number, o: number) => {
    p.set(`${name}.weight`, rand(i * o, 1 / Math.sqrt(i)));
    p.set(`${name}.bias`, rand(o, 0.01));
  };
  for (let l = 0; l < 3; l++) lin(`decoder.reduces.${l}`, 768, 64);
  for (const f of ['film_mul', 'film_add']) lin(`decoder.${f}`, 512, 64); // [out, in] or [in, out]: same size
  for (let l = 0; l < 3; l++) {
    for (const q of ['q_proj', 'k_proj', 'v_proj', 'out_proj'])
      lin(`decoder.layers.${l}.self_attn.${q}`, 64, 64);
    lin(`decoder.layers.${l}.mlp.fc1`, 64, 2048);
    lin(`decoder.layers.${l}.mlp.fc2`, 2048, 64);
    for (const n of ['layer_norm1', 'layer_norm2']) {
      p.set(
        `decoder.layers.${l}.${n}.weight`,
        Float32Array.from({ length: 64 }, () => 1),
      );
      p.set(`decoder.layers.${l}.${n}.bias`, new Float32Array(64));
    }
  }
  p.set('decoder.transposed_convolution.0.weight', rand(64 * 64 * 9, 1 / 24));
  p.set('decoder.transposed_convolution.0.bias', rand(64, 0.01));
  p.set('decoder.transposed_convolution.2.weight', rand(64 * 32 * 16, 1 / 8));
  p.set('decoder.transposed_convolution.2.bias', rand(32, 0.01));
  p.set('decoder.transposed_convolution.4.weight', rand(32 * 16, 1 / 6));
  p.set('decoder.transposed_convolution.4.bias', rand(1, 0.01));
  return { g, params: p };
}

export async function runTrainTextBench(
  batch = 16,
  runs = 3,
): Promise<{ results: BenchResult[]; notes: string[] }> {
  await initMatmul();
  const { g, params } = fullSizeDecoder();
  const count = [...params.values()].reduce((s, a) => s + a.length, 0);
  const r = seededRandom(2);
  const t = g.grid * g.grid + 1;
  const target = Uint8Array.from({ length: batch * 352 * 352 }, (_, i) => (i % 352 < 100 ? 1 : 0));
  const results: BenchResult[] = [];
  for (const reduced of [false, true]) {
    const dim = reduced ? g.reduceDim : g.width;
    const hidden = Array.from({ length: 3 }, () =>
      Float32Array.from({ length: batch * t * dim }, () => r() * 2 - 1),
    );
    const cond = Float32Array.from({ length: batch * g.condDim }, () => r() * 2 - 1);
    const times: number[] = [];
    for (let k = 0; k < runs; k++) {
      const t0 = performance.now();
      const { logits, tape } = decoderForward(params, g, { hidden, cond, batch, reduced }, { keep: true });
      decoderBackward(params, g, tape, segLoss(logits, target, batch).grad);
      times.push((performance.now() - t0) / batch);
    }
    times.sort((a, b) => a - b);
    results.push({
      name: `decoder fwd+bwd per image, batch ${batch}${reduced ? ', frozen reduces' : ''}`,
      median: times[times.length >> 1]!,
      min: times[0]!,
      max: times.at(-1)!,
      runs,
    });
  }
  // Backbone feature extraction on the real-architecture export (a tiny ViT: the full ViT-B/16 cannot be downloaded
  // here, so its time is not measured).
  const realArch = new URL('../../shared/real-arch/clipseg', import.meta.url).pathname;
  if (existsSync(join(realArch, 'onnx/model.onnx'))) {
    const features = await ClipSegFeatures.load(realArch);
    const image = await loadImage(new URL('../examples/coffee.png', import.meta.url).pathname);
    await features.image(image);
    const times: number[] = [];
    for (let k = 0; k < 5; k++) {
      const t0 = performance.now();
      await features.image(image);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    results.push({
      name: 'backbone features per 352² image (tiny real-arch ViT)',
      median: times[2]!,
      min: times[0]!,
      max: times[4]!,
      runs: 5,
    });
  }
  const full = 3 * t * g.width;
  const red = 3 * t * g.reduceDim;
  const notes = [
    `full-size rd64 decoder: ${(count / 1e6).toFixed(2)} M parameters`,
    `feature cache per 352² image: full ${((full * 4) / 1e6).toFixed(2)} MB fp32 / ${((full * 2) / 1e6).toFixed(2)} MB fp16; after the reduces ${((red * 4) / 1e3).toFixed(0)} KB / ${((red * 2) / 1e3).toFixed(0)} KB`,
  ];
  return { results, notes };
}

export const trainTextTargets: Record<string, number> = {
  'decoder fwd+bwd per image, batch 16': 460,
};
