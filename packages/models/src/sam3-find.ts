// Concept segmentation with SAM 3: text and/or ± exemplar boxes → every matching instance. One Sam3Finder per model
// keeps each image's encoding (float16, in memory and on disk, under a byte cap), so every later prompt on the same
// image, in any process, costs only the text encoder (once per prompt) and the decoder.
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Box,
  FindAllNeedsPromptError,
  fromFloat16,
  type ImageInput,
  ModelUnsupportedError,
  PromptUnsupportedError,
  type RawImage,
  toFloat16,
  toRawImage,
} from '@segkit/core';
import { type Exemplar, Sam3Backend, type Sam3ImageFeatures } from './backend/sam3.js';
import { EXEMPLAR_LAYOUTS, type Sam3Layout, sam3FilesIn } from './backend/sam3-contract.js';
import { cacheRoot } from './cache-dir.js';
import { EmbeddingCache, imageKey } from './embedding-cache.js';
import { resolveModelRef } from './model-ref.js';
import { checkExemplar } from './prompt.js';
import { finalInstances, nmsInstances, queryInstances, type Sam3Instance } from './sam3-post.js';
import { requireModel } from './store.js';

/** A prompt for {@link Sam3Finder.find}: text and/or exemplar boxes ([x, y, w, h] image pixels). */
export interface ConceptPrompt {
  text?: string;
  positiveExemplars?: Box[];
  negativeExemplars?: Box[];
  /** Keep instances scoring above this (default 0.3, as the reference processor). */
  threshold?: number;
  /** At most this many instances, best first (default 200: every query the model has). */
  maxInstances?: number;
  /** Mask-IoU NMS threshold; off by default (SAM 3 avoids duplicates), always on to merge samexporter's calls. */
  nms?: number;
}

/** What a concept search found, and how. */
export interface ConceptResult {
  instances: Sam3Instance[];
  /** The model and its layout. */
  model: string;
  layout: Sam3Layout;
  /** Decoder calls made (samexporter: one per exemplar box). */
  decoderCalls: number;
  /** How several calls' instances were merged: `nms` at this IoU (samexporter with several exemplars), else none. */
  merged?: { by: 'nms'; iou: number };
}

/** Options for {@link Sam3Finder.create}. */
export interface Sam3FinderOptions {
  /** A preset (`sam3`, `sam3-text`, `sam3-anylabeling`), an imported name or a folder. */
  model: string;
  /** Byte budget of the in-memory encoding cache (default 1 GiB). */
  cacheBytes?: number;
  /** Where encodings are kept on disk (default `<SEGKIT_CACHE_DIR>/embeddings`); `false` turns it off. */
  diskCacheDir?: string | false;
  /** Cap on the disk layer (default 4 GiB; the least recently used go first). */
  diskCacheBytes?: number;
}

/** One image's encoding as float16 bits: half the memory of float32, and what the disk cache stores. */
interface HalfEncoding {
  tensors: Record<string, { data: Uint16Array; dims: readonly number[] }>;
  originalSize: [number, number];
  bytes: number;
}

const codec = {
  encode(e: HalfEncoding): Buffer {
    const names = Object.keys(e.tensors);
    const header = {
      originalSize: e.originalSize,
      tensors: names.map((n) => ({ name: n, dims: e.tensors[n]!.dims })),
    };
    const parts = names.map((n) => {
      const d = e.tensors[n]!.data;
      return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
    });
    return Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), ...parts]);
  },
  decode(buf: Buffer): HalfEncoding {
    const nl = buf.indexOf(10);
    const header = JSON.parse(buf.subarray(0, nl).toString('utf8')) as {
      originalSize: [number, number];
      tensors: { name: string; dims: number[] }[];
    };
    let off = nl + 1;
    const tensors: HalfEncoding['tensors'] = {};
    for (const t of header.tensors) {
      const n = t.dims.reduce((a, b) => a * b, 1);
      if (off + n * 2 > buf.length) throw new Error('truncated SAM 3 encoding file');
      const data = new Uint16Array(n);
      Buffer.from(data.buffer).set(buf.subarray(off, off + n * 2));
      off += n * 2;
      tensors[t.name] = { data, dims: t.dims };
    }
    return { tensors, originalSize: header.originalSize, bytes: off - nl - 1 };
  },
};

/** Whether a model reference is a SAM 3 concept model (a folder holding one of the layouts' file sets). */
export function isConceptModel(ref: string): boolean {
  try {
    const dir = resolveModelRef(ref).dir;
    return existsSync(dir) && sam3FilesIn(dir) !== undefined;
  } catch {
    return false;
  }
}

function exemplar(box: Box, image: RawImage, positive: boolean): Exemplar {
  const [x, y, w, h] = checkExemplar(box, image.width, image.height);
  const W = image.width;
  const H = image.height;
  return { box: [(x + w / 2) / W, (y + h / 2) / H, w / W, h / H], positive };
}

/** SAM 3 concept segmentation on one model, with its encoding cache. */
export class Sam3Finder {
  private readonly cache: EmbeddingCache<HalfEncoding>;
  /** The float32 features of the image prompted last: repeated prompts on one image skip the float16 decode. */
  private last: { key: string; features: Sam3ImageFeatures } | undefined;

  private constructor(
    readonly modelName: string,
    readonly backend: Sam3Backend,
    opts: Sam3FinderOptions,
    cacheKey: string,
  ) {
    const root = opts.diskCacheDir === undefined ? join(cacheRoot(), 'embeddings') : opts.diskCacheDir;
    this.cache = new EmbeddingCache<HalfEncoding>(
      opts.cacheBytes ?? 2 ** 30,
      root
        ? { dir: join(root, cacheKey), root, budgetBytes: opts.diskCacheBytes ?? 4 * 2 ** 30, codec }
        : undefined,
    );
  }

  /** Opens a SAM 3 concept model (E_MODEL_MISSING / E_MODEL_UNSUPPORTED when it is not one). */
  static async create(opts: Sam3FinderOptions): Promise<Sam3Finder> {
    const model = resolveModelRef(opts.model);
    const dir = requireModel(model);
    const files = sam3FilesIn(dir);
    if (!files)
      throw new ModelUnsupportedError(
        `${model.name} is not a SAM 3 concept model: its folder has none of the SAM 3 layouts' graph files (usls: vision-encoder.onnx, text-encoder.onnx, geo-encoder-mask-decoder.onnx; sam3-text: vision_encoder.onnx, text_encoder.onnx, decoder.onnx; samexporter: sam3_image_encoder.onnx, sam3_language_encoder.onnx, sam3_decoder.onnx)`,
      );
    const backend = await Sam3Backend.load(dir, files, model.name);
    const stamp = backend.encoding.files
      .map((f) => (existsSync(f) ? `${f}:${statSync(f).size}:${statSync(f).mtimeMs}` : `${f}:-`))
      .join(',');
    const key = createHash('sha256')
      .update(`sam3|${dir}|${stamp}|${backend.encoding.settings}`)
      .digest('hex')
      .slice(0, 16);
    return new Sam3Finder(model.name, backend, opts, key);
  }

  get layout(): Sam3Layout {
    return this.backend.layout;
  }

  /** Counters for tests and benchmarks. */
  get stats() {
    const b = this.backend;
    return {
      encoderRuns: this.cache.computeCount,
      cacheHits: this.cache.hits,
      textRuns: b.textRuns,
      decoderRuns: b.decoderRuns,
      encoderRunMs: b.encoderRunMs,
      textRunMs: b.textRunMs,
      decoderRunMs: b.decoderRunMs,
      cacheBytes: this.cache.bytesUsed,
    };
  }

  /** Refuses, before any encoder run, a prompt this layout cannot take. */
  check(prompt: ConceptPrompt): void {
    const text = prompt.text?.trim();
    const pos = prompt.positiveExemplars ?? [];
    const neg = prompt.negativeExemplars ?? [];
    if (!text && !pos.length)
      throw new FindAllNeedsPromptError(
        neg.length
          ? 'find-all requires a text prompt or exemplar boxes (negative exemplars alone describe nothing to find)'
          : 'find-all requires a text prompt or exemplar boxes',
      );
    if ((pos.length || neg.length) && this.backend.contract.exemplars === 'none')
      throw new PromptUnsupportedError(
        `${this.modelName} (${this.layout}) takes text only, no exemplar boxes; SAM 3 layouts that take exemplars: ${EXEMPLAR_LAYOUTS.join(', ')} (presets sam3, sam3-anylabeling)`,
      );
  }

  /**
   * The image's encoder outputs, through the float16 cache. The decoder always sees the float16-rounded values, so a
   * prompt gives the same instances whether the encoding was just computed or read back from disk.
   */
  private async features(image: RawImage): Promise<Sam3ImageFeatures> {
    const key = imageKey(image);
    const half = await this.cache.get(key, async () => {
      const f = await this.backend.encodeImage(image);
      const tensors: HalfEncoding['tensors'] = {};
      let bytes = 0;
      for (const [n, t] of Object.entries(f.tensors)) {
        tensors[n] = { data: toFloat16(t.data), dims: t.dims };
        bytes += t.data.length * 2;
      }
      return { tensors, originalSize: f.originalSize, bytes };
    });
    if (this.last?.key === key) return this.last.features;
    const tensors: Sam3ImageFeatures['tensors'] = {};
    for (const [n, t] of Object.entries(half.tensors))
      tensors[n] = { data: fromFloat16(t.data), dims: t.dims };
    this.last = { key, features: { tensors, originalSize: half.originalSize } };
    return this.last.features;
  }

  /** Encodes an image ahead of time (the app preloads the next image). */
  async preload(input: ImageInput | RawImage): Promise<void> {
    await this.features(await toRawImage(input));
  }

  /** Every instance of the concept the prompt describes. */
  async find(input: ImageInput | RawImage, prompt: ConceptPrompt): Promise<ConceptResult> {
    this.check(prompt);
    const image = await toRawImage(input);
    const exemplars = [
      ...(prompt.positiveExemplars ?? []).map((b) => exemplar(b, image, true)),
      ...(prompt.negativeExemplars ?? []).map((b) => exemplar(b, image, false)),
    ];
    const text = prompt.text?.trim() || 'visual'; // exemplars alone: the reference's placeholder text
    const [features, textFeeds] = await Promise.all([this.features(image), this.backend.encodeText(text)]);
    const post = { threshold: prompt.threshold ?? 0.3, maxInstances: prompt.maxInstances ?? 200 };
    const size: [number, number] = [image.height, image.width];
    const base = { model: this.modelName, layout: this.layout };
    if (this.backend.contract.exemplars === 'one-per-call') {
      // samexporter takes one box per call: one call per exemplar (or one without), merged by mask-IoU NMS.
      const calls = exemplars.length ? exemplars.map((e) => [e]) : [[]];
      const found: Sam3Instance[] = [];
      for (const call of calls) {
        const raw = await this.backend.decode(features, textFeeds, call);
        if (raw.kind === 'final') found.push(...finalInstances(raw, size, post));
      }
      const iou = prompt.nms ?? 0.5;
      const merged = calls.length > 1 || prompt.nms !== undefined;
      const instances = (merged ? nmsInstances(found, iou) : found).slice(0, post.maxInstances);
      return {
        ...base,
        instances,
        decoderCalls: calls.length,
        ...(calls.length > 1 ? { merged: { by: 'nms' as const, iou } } : {}),
      };
    }
    const raw = await this.backend.decode(features, textFeeds, exemplars);
    if (raw.kind !== 'queries') throw new Error('unexpected decoder output');
    const all = queryInstances(raw, size, post);
    return {
      ...base,
      instances: prompt.nms !== undefined ? nmsInstances(all, prompt.nms) : all,
      decoderCalls: 1,
    };
  }
}

const shared = new Map<string, Promise<Sam3Finder>>();

/** One {@link Sam3Finder} per model reference, shared by every caller in the process (and its encoding cache). */
export function sharedFinder(model: string): Promise<Sam3Finder> {
  let f = shared.get(model);
  if (!f) {
    f = Sam3Finder.create({ model });
    shared.set(model, f);
    f.catch(() => shared.delete(model));
  }
  return f;
}

/**
 * Finds every instance of a concept with a SAM 3 model.
 * @example const { instances } = await findConcept('street.jpg', { model: 'sam3', text: 'car' });
 */
export async function findConcept(
  image: ImageInput | RawImage,
  opts: ConceptPrompt & { model: string },
): Promise<ConceptResult> {
  return (await sharedFinder(opts.model)).find(image, opts);
}
