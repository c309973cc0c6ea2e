// Decoder-only training of a CLIPSeg model: the frozen backbone's features come from the feature cache (or one
// backbone pass per image), the decoder trains in TypeScript, and the result is written back into a copy of the
// model folder that `segkit text --model DIR` loads like any CLIPSeg.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadImage, type RawImage, writeFileAtomic } from '@segkit/core';
import { ClipSegFeatures } from '../backend/clipseg-features.js';
import { resizeBilinear } from '../postprocess.js';
import { type DecoderGeometry, decoderGeometry } from './decoder.js';
import { type CacheDtype, contentHash, FeatureCache } from './feature-cache.js';
import { linear, type Params } from './layers.js';
import { type AdamW, type LossOptions, type LossValue, segLoss } from './loss.js';
import { initMatmul } from './matmul.js';
import { onnxModel, withWeights } from './onnx-graph.js';
import { DecoderPool, defaultThreads } from './parallel.js';
import { quantizeMatMuls } from './quantize.js';

export interface DecoderTrainingOptions {
  cacheDir: string;
  cacheDtype?: CacheDtype;
  /** Keep the reduces frozen and cache their outputs (12× smaller cache, fewer products per step). */
  freezeReduces?: boolean;
  /** Threads that share each batch (default: every core, at most 4). */
  threads?: number;
  /** Compute on worker threads only, leaving this thread's event loop free (the server). */
  offload?: boolean;
}

/** One training example: an image's features, a conditional embedding and the target at the model's size. */
export interface Example {
  hidden: Float32Array[];
  cond: Float32Array;
  target: Uint8Array;
}

/** One (image, label) of {@link DecoderTraining.probabilities}: the image's features, the label's prompts' embeddings. */
export interface ProbabilityItem {
  hidden: Float32Array[];
  conds: Float32Array[];
  width: number;
  height: number;
}

export class DecoderTraining {
  readonly params: Params;
  readonly geometry: DecoderGeometry;
  readonly size = 352;
  /** Hash of what decides the cached features (the backbone; with frozen reduces, theirs too): in every key. */
  readonly fingerprint: string;
  readonly cache: FeatureCache;
  /** The threads each batch is shared among. */
  readonly pool: DecoderPool;

  private constructor(
    readonly modelDir: string,
    readonly features: ClipSegFeatures,
    readonly opts: DecoderTrainingOptions,
  ) {
    this.params = new Map([...features.graph.params].map(([k, v]) => [k, Float32Array.from(v.data)]));
    this.geometry = decoderGeometry(features.config, this.size);
    // Backbone features depend on the backbone alone, so a model fine-tuned here reuses its base's cache; the
    // frozen reduces' outputs depend on the reduces' weights too.
    const key = createHash('sha256').update(features.backboneHash);
    if (opts.freezeReduces)
      for (let l = 0; l < this.geometry.depth; l++)
        for (const k of ['weight', 'bias']) key.update(this.params.get(`decoder.reduces.${l}.${k}`)!);
    this.fingerprint = key.digest('hex').slice(0, 16);
    this.cache = new FeatureCache(opts.cacheDir, opts.cacheDtype ?? 'fp32');
    this.pool = DecoderPool.start(opts.threads ?? defaultThreads(), { offload: opts.offload === true });
  }

  static async open(modelDir: string, opts: DecoderTrainingOptions): Promise<DecoderTraining> {
    await initMatmul();
    const features = await ClipSegFeatures.load(modelDir);
    return new DecoderTraining(modelDir, features, opts);
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

  /** The samples cut into one contiguous, stacked shard per thread of the pool (fewer for a small batch). */
  private shards(samples: { hidden: Float32Array[]; cond: Float32Array }[]) {
    const k = Math.min(this.pool.threads, samples.length);
    return Array.from({ length: k }, (_, i) =>
      this.stack(
        samples.slice(Math.round((i * samples.length) / k), Math.round(((i + 1) * samples.length) / k)),
      ),
    );
  }

  /** One optimiser step on a batch, shared among the pool's threads in contiguous shards; returns the loss. */
  async step(batch: Example[], optimizer: AdamW, loss: LossOptions = {}): Promise<LossValue> {
    const shards = this.shards(batch);
    const n = this.size * this.size;
    const target = new Uint8Array(batch.length * n);
    for (const [b, e] of batch.entries()) target.set(e.target, b * n);
    const { value, grads } = await this.pool.step(this.params, this.geometry, shards, (logits) =>
      segLoss(logits, target, batch.length, loss),
    );
    if (this.opts.freezeReduces)
      for (const name of [...grads.keys()]) if (name.startsWith('decoder.reduces.')) grads.delete(name);
    optimizer.update(this.params, grads);
    return value;
  }

  /**
   * Probability maps of several (image, label) items, as `segkit text` computes them: the sigmoid of each prompt's
   * logits, the maximum over the label's prompts, resized to the image. All items' (image, prompt) samples form one
   * batch shared among the pool's threads.
   */
  async probabilities(items: ProbabilityItem[]): Promise<Float32Array[]> {
    const samples = items.flatMap((it) => it.conds.map((cond) => ({ hidden: it.hidden, cond })));
    if (!samples.length) return items.map((it) => new Float32Array(it.width * it.height));
    const logits = await this.pool.infer(this.params, this.geometry, this.shards(samples));
    const n = logits.length / samples.length;
    const side = Math.round(Math.sqrt(n));
    let s = 0;
    return items.map((it) => {
      const combined = new Float32Array(n);
      for (let j = 0; j < it.conds.length; j++, s++)
        for (let i = 0; i < n; i++)
          combined[i] = Math.max(combined[i]!, 1 / (1 + Math.exp(-logits[s * n + i]!)));
      return resizeBilinear(combined, side, side, it.width, it.height);
    });
  }

  /**
   * Writes the model folder: the base model's config, tokenizer and preprocessor files, and onnx/model.onnx with the
   * current decoder weights written into its initializers (every other byte as the base model had it). With `q8`,
   * also onnx/model_quantized.onnx, its 8-bit copy (what `--dtype q8` loads).
   */
  async writeModel(dir: string, opts: { q8?: boolean } = {}): Promise<void> {
    mkdirSync(join(dir, 'onnx'), { recursive: true });
    for (const f of readdirSync(this.modelDir))
      if (statSync(join(this.modelDir, f)).isFile() && f !== 'manifest.json')
        copyFileSync(join(this.modelDir, f), join(dir, f));
    const bytes = withWeights(this.features.graph, this.params);
    await writeFileAtomic(join(dir, 'onnx', 'model.onnx'), bytes);
    if (opts.q8)
      await writeFileAtomic(
        join(dir, 'onnx', 'model_quantized.onnx'),
        quantizeMatMuls(onnxModel(bytes)).bytes,
      );
  }

  /** Stops the worker threads. */
  close(): Promise<void> {
    return this.pool.close();
  }
}
