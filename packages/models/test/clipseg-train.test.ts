// Decoder training's plumbing on the real-architecture CLIPSeg: trained weights written back into a copy of
// model.onnx that `segkit text` loads, and the feature cache that spares the backbone on a second run.
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecoderTraining, onnxModel, segmentText } from '../src/index.js';

const repoRoot = new URL('../../../', import.meta.url).pathname;
const dir = join(repoRoot, '../shared/real-arch/clipseg');
const present = existsSync(join(dir, 'onnx/model.onnx'));
const image = join(repoRoot, 'examples/coffee.png');
const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));

describe.skipIf(!present)('CLIPSeg decoder training plumbing (real-architecture export)', () => {
  let trainer: DecoderTraining;
  beforeAll(async () => {
    trainer = await DecoderTraining.open(dir, { cacheDir: tmp('segkit-fc-') });
  });
  afterAll(() => trainer.close());

  it('unchanged weights written back give identical `segkit text` output; a changed weight changes it', async () => {
    const same = tmp('segkit-wb-same-');
    await trainer.writeModel(same);
    expect(readdirSync(join(same, 'onnx'))).toEqual(['model.onnx']);
    for (const f of ['config.json', 'tokenizer.json', 'preprocessor_config.json'])
      expect(existsSync(join(same, f))).toBe(true);
    const original = await segmentText(image, ['segment red', 'a cup'], { model: dir });
    const rewritten = await segmentText(image, ['segment red', 'a cup'], { model: same });
    for (const [k, seg] of original.entries()) expect(rewritten[k]!.probability).toEqual(seg.probability);

    const bias = trainer.params.get('decoder.transposed_convolution.4.bias')!;
    const keep = bias[0]!;
    bias[0] = keep + 2;
    const changed = tmp('segkit-wb-changed-');
    await trainer.writeModel(changed);
    bias[0] = keep;
    const after = await segmentText(image, ['segment red'], { model: changed });
    // +2 on the output bias moves every probability up.
    const p0 = original[0]!.probability;
    const p1 = after[0]!.probability;
    let up = 0;
    for (let i = 0; i < p0.length; i += 97) if (p1[i]! > p0[i]! + 0.05) up++;
    expect(up).toBe(Math.ceil(p0.length / 97));
  });

  it('writes an 8-bit copy (--dtype q8) whose MatMul weights are int8 and whose output stays close to fp32', async () => {
    const out = tmp('segkit-q8-');
    await trainer.writeModel(out, { q8: true });
    expect(readdirSync(join(out, 'onnx')).sort()).toEqual(['model.onnx', 'model_quantized.onnx']);
    const base = onnxModel(readFileSync(join(out, 'onnx/model.onnx')));
    const q = onnxModel(readFileSync(join(out, 'onnx/model_quantized.onnx')));
    const weights = new Set((base.graph!.initializer ?? []).map((t) => t.name));
    const matmuls = (base.graph!.node ?? []).filter(
      (n) => n.opType === 'MatMul' && weights.has(n.input![1]!),
    );
    expect(matmuls.length).toBeGreaterThan(20);
    const ops = (q.graph!.node ?? []).map((n) => n.opType);
    expect(ops.filter((o) => o === 'MatMulInteger')).toHaveLength(matmuls.length);
    const qWeights = new Set((q.graph!.initializer ?? []).map((t) => t.name));
    expect((q.graph!.node ?? []).some((n) => n.opType === 'MatMul' && qWeights.has(n.input![1]!))).toBe(
      false,
    );
    expect(statSync(join(out, 'onnx/model_quantized.onnx')).size).toBeLessThan(
      statSync(join(out, 'onnx/model.onnx')).size,
    );
    const prompts = ['segment red', 'a cup'];
    const fp32 = await segmentText(image, prompts, { model: out });
    const q8 = await segmentText(image, prompts, { model: out, dtype: 'q8' });
    for (const [k, seg] of fp32.entries()) {
      const a = seg.probability;
      const b = q8[k]!.probability;
      let sum = 0;
      let max = 0;
      for (let i = 0; i < a.length; i++) {
        sum += Math.abs(a[i]! - b[i]!);
        max = Math.max(max, Math.abs(a[i]! - b[i]!));
      }
      // Quantized, so not identical; but within a few thousandths on average (measured: 4e-5, at most 5e-4).
      expect(max).toBeGreaterThan(0);
      expect(sum / a.length).toBeLessThan(5e-3);
    }
  });

  it('caches features by image content and backbone: a second run, or a model tuned here, makes no backbone pass; fp16 halves the file', async () => {
    const cacheDir = tmp('segkit-fc-2-');
    const first = await DecoderTraining.open(dir, { cacheDir });
    const a = await first.imageFeatures(image);
    expect(first.features.imagePasses).toBe(1);
    const second = await DecoderTraining.open(dir, { cacheDir });
    const b = await second.imageFeatures(image);
    expect(second.features.imagePasses).toBe(0);
    expect(second.cache.hits).toBe(1);
    expect(b).toEqual(a);
    const full = first.cache.size().bytes;
    const half = await DecoderTraining.open(dir, { cacheDir: tmp('segkit-fc-3-'), cacheDtype: 'fp16' });
    const h = await half.imageFeatures(image);
    expect(half.cache.size().bytes).toBeLessThan(full * 0.51);
    let max = 0;
    for (const [l, v] of h.entries())
      for (let i = 0; i < v.length; i++)
        max = Math.max(max, Math.abs(v[i]! - a[l]![i]!) / (1 + Math.abs(a[l]![i]!)));
    expect(max).toBeLessThan(2e-3);
    // Frozen reduces cache the reduce outputs: reduce_dim (16) instead of the vision width (32) per token here.
    const reducedCache = tmp('segkit-fc-4-');
    const reduced = await DecoderTraining.open(dir, { cacheDir: reducedCache, freezeReduces: true });
    const r = await reduced.imageFeatures(image);
    expect(r[0]!.length).toBe(a[0]!.length / 2);
    expect(reduced.trainable.some((k) => k.startsWith('decoder.reduces.'))).toBe(false);

    // A model fine-tuned here keeps its base's backbone: its full features are the base's cache entries.
    first.params.get('decoder.reduces.0.bias')![0]! += 1;
    const tuned = tmp('segkit-fc-tuned-');
    await first.writeModel(tuned);
    const onTuned = await DecoderTraining.open(tuned, { cacheDir });
    expect(await onTuned.imageFeatures(image)).toEqual(a);
    expect(onTuned.features.imagePasses).toBe(0);
    // With frozen reduces the cache holds their outputs, which the changed reduce changes: a pass of its own.
    const tunedReduced = await DecoderTraining.open(tuned, { cacheDir: reducedCache, freezeReduces: true });
    const tr = await tunedReduced.imageFeatures(image);
    expect(tunedReduced.features.imagePasses).toBe(1);
    expect(tr[0]).not.toEqual(r[0]);
    for (const t of [first, second, half, reduced, onTuned, tunedReduced]) await t.close();
  });
});
