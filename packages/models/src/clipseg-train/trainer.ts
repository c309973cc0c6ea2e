// Decoder-only training of a CLIPSeg model: the frozen backbone's features come from the feature cache (or one
// backbone pass per image), the decoder trains in TypeScript, and the result is written back into a copy of the
// model folder that `segkit text --model DIR` loads like any CLIPSeg.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadImage, type RawImage, writeFileAtomic } from '@segkit/core';
import { ClipSegFeatures } from '../backend/clipseg-features.js';
import { resizeBilinear } from '../postprocess.js';
import { type DecoderGeometry, decoderBackward, decoderForward, decoderGeometry } from './decoder.js';
import { type CacheDtype, contentHash, FeatureCache } from './feature-cache.js';
import { linear, type Params } from './layers.js';
import { type AdamW, type LossOptions, type LossValue, segLoss } from './loss.js';
import { initMatmul } from './matmul.js';
import { withWeights } from './onnx-graph.js';

export interface DecoderTrainingOptions {
  cacheDir: string;
  cacheDtype?: CacheDtype;
  /** Keep the reduces frozen and cache their outputs (12× smaller cache, fewer products per step). */
  freezeReduces?: boolean;
}

/** One training example: an image's features, a conditional embedding and the target at the model's size. */
export interface Example {
  hidden: Float32Array[];
  cond: Float32Array;
  target: Uint8Array;
}

export class DecoderTraining {
  readonly params: Params;
  readonly geometry: DecoderGeometry;
  readonly size = 352;
  /** Hash of the base model (config and weights): part of every cache key. */
  readonly fingerprint: string;
  readonly cache: FeatureCache;

  private constructor(
    readonly modelDir: string,
    readonly features: ClipSegFeatures,
    readonly opts: DecoderTrainingOptions,
    modelBytes: Buffer,
  ) {
    this.params = new Map([...features.graph.params].map(([k, v]) => [k, Float32Array.from(v.data)]));
    this.geometry = decoderGeometry(features.config, this.size);
    this.fingerprint = createHash('sha256')
      .update(readFileSync(join(modelDir, 'config.json')))
      .update(modelBytes)
      .digest('hex')
      .slice(0, 16);
    this.cache = new FeatureCache(opts.cacheDir, opts.cacheDtype ?? 'fp32');
  }

  static async open(modelDir: string, opts: DecoderTrainingOptions): Promise<DecoderTraining> {
    await initMatmul();
    const features = await ClipSegFeatures.load(modelDir);
    return new DecoderTraining(modelDir, features, opts, readFileSync(join(modelDir, 'onnx', 'model.onnx')));
  }

  /** The parameters that train: all of the decoder's, less the reduces when they are frozen. */
  get trainable(): string[] {
    return [...this.params.keys()].filter(
      (k) => !(this.opts.freezeReduces && k.startsWith('decoder.reduces.')),
    );
  }

  get parameterCount(): number {
    return this.trainable.reduce((s, k) => s + this.params.get(k)!.length, 0);
  }

  /** An image's decoder inputs: from the cache, or from one backbone pass (then cached). */
  async imageFeatures(path: string): Promise<Float32Array[]> {
    const hash = contentHash(readFileSync(path));
    const kind = this.opts.freezeReduces ? 'reduced' : 'full';
    const key = this.cache.key(hash, this.fingerprint, this.size, kind);
    const hit = this.cache.get(key);
    if (hit) return hit;
    const image: RawImage = await loadImage(path);
    let hidden = await this.features.image(image);
    if (this.opts.freezeReduces) {
      const t = this.geometry.grid ** 2 + 1;
      hidden = hidden.map((h, l) => linear(this.params, `decoder.reduces.${l}`, h, t, this.geometry.width));
    }
    await this.cache.put(key, hidden);
    // Read back what was stored, so a fp16 cache trains on the same values on the first and later runs.
    return this.cache.dtype === 'fp16' ? this.cache.get(key)! : hidden;
  }

  /** Conditional embeddings, one per text. */
  async textEmbeddings(texts: string[]): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    if (!texts.length) return out;
    const all = await this.features.texts(texts);
    const d = this.geometry.condDim;
    for (const [i, t] of texts.entries()) out.set(t, all.slice(i * d, (i + 1) * d));
    return out;
  }

  private stack(examples: { hidden: Float32Array[]; cond: Float32Array }[]) {
    const hidden = examples[0]!.hidden.map((_, l) => {
      const len = examples[0]!.hidden[l]!.length;
      const out = new Float32Array(examples.length * len);
      for (const [b, e] of examples.entries()) out.set(e.hidden[l]!, b * len);
      return out;
    });
    const d = this.geometry.condDim;
    const cond = new Float32Array(examples.length * d);
    for (const [b, e] of examples.entries()) cond.set(e.cond, b * d);
    return { hidden, cond, batch: examples.length, reduced: this.opts.freezeReduces === true };
  }

  /** One optimiser step on a batch; returns the loss. */
  step(batch: Example[], optimizer: AdamW, loss: LossOptions = {}): LossValue {
    const input = this.stack(batch);
    const { logits, tape } = decoderForward(this.params, this.geometry, input, { keep: true });
    const n = this.size * this.size;
    const target = new Uint8Array(batch.length * n);
    for (const [b, e] of batch.entries()) target.set(e.target, b * n);
    const value = segLoss(logits, target, batch.length, loss);
    const grads = decoderBackward(this.params, this.geometry, tape, value.grad);
    if (this.opts.freezeReduces)
      for (const k of [...grads.keys()]) if (k.startsWith('decoder.reduces.')) grads.delete(k);
    optimizer.update(this.params, grads);
    return value;
  }

  /**
   * The probability map of one label at the image's size, as `segkit text` computes it: sigmoid of each prompt's
   * logits, the maximum over the label's prompts, bilinear resize.
   */
  probability(hidden: Float32Array[], conds: Float32Array[], width: number, height: number): Float32Array {
    const { logits, side } = decoderForward(
      this.params,
      this.geometry,
      this.stack(conds.map((cond) => ({ hidden, cond }))),
    );
    const n = side * side;
    const combined = new Float32Array(n);
    for (let k = 0; k < conds.length; k++)
      for (let i = 0; i < n; i++)
        combined[i] = Math.max(combined[i]!, 1 / (1 + Math.exp(-logits[k * n + i]!)));
    return resizeBilinear(combined, side, side, width, height);
  }

  /**
   * Writes the model folder: the base model's config, tokenizer and preprocessor files, and onnx/model.onnx with the
   * current decoder weights written into its initializers (every other byte as the base model had it).
   */
  async writeModel(dir: string): Promise<void> {
    mkdirSync(join(dir, 'onnx'), { recursive: true });
    for (const f of readdirSync(this.modelDir))
      if (statSync(join(this.modelDir, f)).isFile() && f !== 'manifest.json')
        copyFileSync(join(this.modelDir, f), join(dir, f));
    await writeFileAtomic(join(dir, 'onnx', 'model.onnx'), withWeights(this.features.graph, this.params));
  }
}
