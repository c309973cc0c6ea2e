// Decoder training speed: forward + backward of the full-size CLIPSeg rd64-refined decoder (1.13 M parameters,
// random weights with the real shapes) per image at batch 16, with trained and with frozen reduces; and the feature
// cache's size per image. The reference: PyTorch takes 145-154 ms per image on this machine class.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadImage, seededRandom } from '@segkit/core';
import {
  ClipSegFeatures,
  DecoderPool,
  defaultThreads,
  initMatmul,
  segLoss,
} from '../packages/models/src/index.js';
import { RD64, randomDecoder } from '../packages/models/test/helpers/random-decoder.js';
import type { BenchResult } from './harness.js';

export async function runTrainTextBench(
  batch = 16,
  runs = 3,
): Promise<{ results: BenchResult[]; notes: string[] }> {
  await initMatmul();
  const g = RD64;
  const params = randomDecoder(g);
  const count = [...params.values()].reduce((s, a) => s + a.length, 0);
  const r = seededRandom(2);
  const t = g.grid * g.grid + 1;
  const target = Uint8Array.from({ length: batch * 352 * 352 }, (_, i) => (i % 352 < 100 ? 1 : 0));
  const results: BenchResult[] = [];
  const threads = defaultThreads();
  const configs: { reduced: boolean; threads: number }[] = [
    { reduced: false, threads },
    { reduced: true, threads },
    ...(threads > 1 ? [{ reduced: false, threads: 1 }] : []),
  ];
  for (const { reduced, threads: k } of configs) {
    const dim = reduced ? g.reduceDim : g.width;
    const hidden = Array.from({ length: 3 }, () =>
      Float32Array.from({ length: batch * t * dim }, () => r() * 2 - 1),
    );
    const cond = Float32Array.from({ length: batch * g.condDim }, () => r() * 2 - 1);
    const pool = DecoderPool.start(k);
    // A first step outside the timing: the workers load their WebAssembly backends.
    const step = async () => {
      // As the trainer does: each shard's inputs stacked into arrays of its own (a worker's move to it).
      const shards = Array.from({ length: k }, (_, i) => {
        const [b0, b1] = [Math.round((i * batch) / k), Math.round(((i + 1) * batch) / k)];
        return {
          hidden: hidden.map((h) => h.slice(b0 * t * dim, b1 * t * dim)),
          cond: cond.slice(b0 * g.condDim, b1 * g.condDim),
          batch: b1 - b0,
          reduced,
        };
      });
      await pool.step(params, g, shards, (logits) => segLoss(logits, target, batch));
    };
    await step();
    const times: number[] = [];
    for (let run = 0; run < runs; run++) {
      const t0 = performance.now();
      await step();
      times.push((performance.now() - t0) / batch);
    }
    await pool.close();
    times.sort((a, b) => a - b);
    results.push({
      name: `decoder fwd+bwd per image, batch ${batch}${reduced ? ', frozen reduces' : ''}${k === 1 && threads > 1 ? ', 1 thread' : ''}`,
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
    `full-size rd64 decoder: ${(count / 1e6).toFixed(2)} M parameters; ${threads} threads share each batch (every core, at most 4)`,
    `feature cache per 352² image: full ${((full * 4) / 1e6).toFixed(2)} MB fp32 / ${((full * 2) / 1e6).toFixed(2)} MB fp16; after the reduces ${((red * 4) / 1e3).toFixed(0)} KB / ${((red * 2) / 1e3).toFixed(0)} KB`,
  ];
  return { results, notes };
}

export const trainTextTargets: Record<string, number> = {
  'decoder fwd+bwd per image, batch 16': 460,
};
