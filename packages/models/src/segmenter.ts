import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Box, bbox, type ImageInput, area as maskArea, type RawImage, toRawImage } from '@segkit/core';
import { decodeEmbedding, encodeEmbedding } from './backend/embedding-codec.js';
import { grabCutSegment } from './backend/opencv.js';
import { loadPromptable } from './backend/promptable.js';
import type { DecoderFile, PromptableBackend, SamEmbedding } from './backend/promptable-types.js';
import type { PromptSupport } from './backend/sam-decoders.js';
import { cacheRoot } from './cache-dir.js';
import { EmbeddingCache, imageKey } from './embedding-cache.js';
import { type GeneratedMask, type GenerateMasksOptions, generateFromEmbedding } from './generate-masks.js';
import { resolveModelRef } from './model-ref.js';
import { logitsToMask } from './postprocess.js';
import { normalizePrompt } from './prompt.js';
import { modelStatus, requireModel } from './store.js';
import type { Dtype, Prompt, SegmentResult } from './types.js';

/** Default cap of the on-disk encoder-output cache. */
export const DEFAULT_DISK_CACHE_BYTES = 2 * 2 ** 30;

/** The model SegKit uses when none is named. */
export const DEFAULT_SEGMENT_MODEL = 'sam';

/** Whether the default segmentation model is downloaded; when it is not, an unnamed model falls back to `classic`. */
export const defaultSegmentModelReady = () => modelStatus(resolveModelRef(DEFAULT_SEGMENT_MODEL)) === 'ready';

/** Options for {@link Segmenter.create}. */
export interface SegmenterOptions {
  /** Preset, hub repo id, model directory, imported name, or `classic`. Default: `sam`, else `classic`. */
  model?: string;
  /** Weight variant for a repo or a folder in the transformers.js layout (presets pick their own). */
  dtype?: Dtype;
  /** A hub repo id (`org/name`), instead of `model`; with `revision`. */
  repo?: string;
  revision?: string;
  /** An encoder + decoder pair's file names inside the model folder (default `encoder.onnx`, `decoder.onnx`). */
  encoderFile?: string;
  decoderFile?: string;
  /** Byte budget of the in-memory embedding cache (default 512 MB). */
  cacheBytes?: number;
  /**
   * Where encoder outputs are kept on disk across processes, keyed by image content, model folder, its encoder file
   * and dtype: default `<SEGKIT_CACHE_DIR>/embeddings`; `false` turns the disk layer off.
   */
  diskCacheDir?: string | false;
  /** Cap on the disk layer's total size; least recently used entries go first (default 2 GiB). */
  diskCacheBytes?: number;
  /** Receives one-line notices, such as the fallback to `classic`. */
  onNotice?: (message: string) => void;
  /** Largest image accepted, in pixels (default 100 MP). */
  maxPixels?: number;
}

/** Options for one `segment` call. */
export interface SegmentOptions {
  prompt?: Prompt;
  /** Return all three candidates, best first, instead of the best one. */
  multimask?: boolean;
}

/** Counters for tests and benchmarks. */
export interface SegmenterStats {
  encoderRuns: number;
  cacheHits: number;
  /** Milliseconds inside the decoder's and the encoder's `session.run`. */
  decoderRunMs: number;
  encoderRunMs: number;
  /** Bytes of encoder outputs held in memory. */
  cacheBytes: number;
}

/**
 * Promptable segmentation on one model, with an image-embedding cache: each image is encoded once (keyed by a
 * hash of its pixels) and every later prompt on it only runs the light decoder.
 *
 * @example
 * const seg = await Segmenter.create({ model: 'sam' });
 * const { mask, score, bbox } = await seg.segment('photo.jpg', { prompt: { point: [320, 240] } });
 */
export class Segmenter {
  private readonly cache: EmbeddingCache<SamEmbedding>;

  private constructor(
    /** The model in use: a name, or `classic`. */
    readonly modelName: string,
    private readonly sam: PromptableBackend | undefined,
    private readonly opts: SegmenterOptions,
    cacheKey: string,
  ) {
    const root = opts.diskCacheDir === undefined ? join(cacheRoot(), 'embeddings') : opts.diskCacheDir;
    const disk =
      root && cacheKey !== 'classic'
        ? {
            dir: join(root, cacheKey),
            root,
            budgetBytes: opts.diskCacheBytes ?? DEFAULT_DISK_CACHE_BYTES,
            codec: { encode: encodeEmbedding, decode: decodeEmbedding },
          }
        : undefined;
    this.cache = new EmbeddingCache<SamEmbedding>(opts.cacheBytes ?? 512 * 2 ** 20, disk);
  }

  /**
   * The prompt parts this model takes: SAM 2 and `classic` take points, boxes and both together; a SAM 1 folder in the
   * transformers.js layout takes what its decoder graphs declare (SlimSAM: a point graph and a box graph).
   */
  get accepts(): PromptSupport {
    return this.sam?.accepts ?? { points: true, box: true, boxWithPoints: true };
  }

  /** The decoder graph files of a SAM model (none for `classic`), for the browser app's own decoder. */
  get decoders(): DecoderFile[] {
    return this.sam?.decoders ?? [];
  }

  /** How many candidates `multimask` gives: 3 for SAM models, 1 for `classic`. */
  get candidates(): number {
    return this.sam?.candidates ?? 1;
  }

  /** Which backend runs: `sam`, `sam2`, `sam3-tracker` or `classic`. */
  get backend(): 'sam' | 'sam2' | 'sam3-tracker' | 'classic' {
    return this.sam?.family ?? 'classic';
  }

  /**
   * Opens a model. A model named explicitly must be available (`E_MODEL_MISSING` / `E_MODEL_CORRUPT` otherwise);
   * with no model named, SegKit uses `sam` when it is downloaded and the offline `classic` backend otherwise,
   * with a notice saying how to get SAM.
   */
  static async create(opts: SegmenterOptions = {}): Promise<Segmenter> {
    const requested = opts.repo ? `${opts.repo}${opts.revision ? `@${opts.revision}` : ''}` : opts.model;
    if (requested === 'classic') return new Segmenter('classic', undefined, opts, 'classic');
    if (requested === undefined) {
      if (!defaultSegmentModelReady()) {
        opts.onNotice?.(
          `SAM is not downloaded, so this uses the offline classic backend (GrabCut). For SAM quality run \`segkit models pull ${DEFAULT_SEGMENT_MODEL}\`.`,
        );
        return new Segmenter('classic', undefined, opts, 'classic');
      }
    }
    const model = resolveModelRef(
      requested ?? DEFAULT_SEGMENT_MODEL,
      opts.dtype ? { dtype: opts.dtype } : {},
    );
    const dir = requireModel(model);
    const names = {
      ...(opts.encoderFile ? { encoderFile: opts.encoderFile } : {}),
      ...(opts.decoderFile ? { decoderFile: opts.decoderFile } : {}),
    };
    const backend = await loadPromptable(dir, model.dtype, model.name, names);
    // The backend names what determines its encodings; a replaced file (another size or time) or changed setting
    // gets a new key, so stale embeddings are never reused, whatever the layout.
    const stamp = backend.encoding.files
      .map((f) => (existsSync(f) ? `${f}:${statSync(f).size}:${statSync(f).mtimeMs}` : `${f}:-`))
      .join(',');
    const cacheKey = createHash('sha256')
      .update(`${dir}|${model.revision ?? ''}|${model.dtype}|${stamp}|${backend.encoding.settings}`)
      .digest('hex')
      .slice(0, 16);
    return new Segmenter(model.name, backend, opts, cacheKey);
  }

  /** Counters: encoder runs, cache hits, time inside `session.run`. */
  get stats(): SegmenterStats {
    return {
      encoderRuns: this.cache.computeCount,
      cacheHits: this.cache.hits,
      decoderRunMs: this.sam?.decoderRunMs ?? 0,
      encoderRunMs: this.sam?.encoderRunMs ?? 0,
      cacheBytes: this.cache.bytesUsed,
    };
  }

  private async image(input: ImageInput | RawImage): Promise<RawImage> {
    return toRawImage(input, this.opts.maxPixels !== undefined ? { maxPixels: this.opts.maxPixels } : {});
  }

  private embeddingOf(image: RawImage): Promise<SamEmbedding> {
    return this.cache.get(imageKey(image), () => this.sam!.encode(image));
  }

  /**
   * The encoder output for an image (computed once, then from the cache): its tensors with their shapes, and the
   * resize/pad geometry that maps image pixels to the model's frame. For a decoder running elsewhere (the browser).
   * `undefined` for `classic`.
   */
  async embedding(input: ImageInput | RawImage): Promise<SamEmbedding | undefined> {
    return this.sam ? this.embeddingOf(await this.image(input)) : undefined;
  }

  /** Encodes an image ahead of time so the first prompt on it is fast. A no-op for `classic`. */
  async preload(input: ImageInput | RawImage): Promise<void> {
    if (this.sam) await this.embeddingOf(await this.image(input));
  }

  /**
   * Segments what the prompt points at. Coordinates are original-image pixels; no prompt means the image centre.
   * Returns the best mask, or with `multimask` all candidates sorted by score (three for SAM models, one for
   * `classic`: see {@link Segmenter.candidates}).
   */
  segment(input: ImageInput | RawImage, opts: SegmentOptions & { multimask: true }): Promise<SegmentResult[]>;
  segment(
    input: ImageInput | RawImage,
    opts?: SegmentOptions & { multimask?: false },
  ): Promise<SegmentResult>;
  async segment(
    input: ImageInput | RawImage,
    opts: SegmentOptions = {},
  ): Promise<SegmentResult | SegmentResult[]> {
    const image = await this.image(input);
    const prompt = normalizePrompt(opts.prompt, image.width, image.height);
    let results: SegmentResult[];
    if (!this.sam) {
      const { mask, score } = await grabCutSegment(image, prompt);
      results = [result(mask, score, 'stability')];
    } else {
      this.sam.checkPrompt(prompt);
      const emb = await this.embeddingOf(image);
      const out = await this.sam.decode(emb, prompt);
      const [lh, lw] = out.lowSize;
      const order = Array.from({ length: out.candidates }, (_, k) => k).sort(
        (a, b) => out.scores[b]! - out.scores[a]!,
      );
      const wanted = opts.multimask ? order : order.slice(0, 1);
      results = wanted.map((k) =>
        result(
          logitsToMask(
            out.logits,
            k * lh * lw,
            out.lowSize,
            emb.frameSize,
            emb.reshapedSize,
            emb.originalSize,
          ),
          out.scores[k]!,
          'predicted-iou',
        ),
      );
    }
    return opts.multimask ? results : results[0]!;
  }

  /**
   * Segments everything in the image with a grid of point prompts (SAM and SAM 2 only), batched against the one
   * cached embedding; see {@link generateFromEmbedding} for the filters.
   */
  async generateMasks(
    input: ImageInput | RawImage,
    opts: GenerateMasksOptions = {},
  ): Promise<GeneratedMask[]> {
    const image = await this.image(input);
    return generateFromEmbedding(this.sam, this.sam ? await this.embeddingOf(image) : undefined, image, opts);
  }

  /** Tightens a loose box: the bbox of the mask the box prompts. Returns the input box when nothing is found. */
  async refineBox(
    input: ImageInput | RawImage,
    box: Box,
  ): Promise<{ box: Box; mask: SegmentResult['mask']; score: number }> {
    const r = await this.segment(input, { prompt: { box } });
    return { box: r.area > 0 ? r.bbox : box, mask: r.mask, score: r.score };
  }

  /** One click to a box: segments at the point and returns the mask's bbox with the mask. */
  async pointToBox(
    input: ImageInput | RawImage,
    point: [number, number],
  ): Promise<{ box: Box; mask: SegmentResult['mask']; score: number }> {
    const r = await this.segment(input, { prompt: { point } });
    return { box: r.bbox, mask: r.mask, score: r.score };
  }
}

function result(
  mask: SegmentResult['mask'],
  score: number,
  scoreKind: SegmentResult['scoreKind'],
): SegmentResult {
  return { mask, score, scoreKind, bbox: bbox(mask), area: maskArea(mask) };
}

const shared = new Map<string, Promise<Segmenter>>();

/**
 * One-call promptable segmentation; reuses one {@link Segmenter} (and its embedding cache) per model.
 * @example const { mask } = await segment('photo.jpg', { prompt: { box: [40, 30, 200, 180] }, model: 'sam' });
 */
export async function segment(
  image: ImageInput | RawImage,
  opts: SegmentOptions & { model?: string; multimask: true },
): Promise<SegmentResult[]>;
export async function segment(
  image: ImageInput | RawImage,
  opts?: SegmentOptions & { model?: string; multimask?: false },
): Promise<SegmentResult>;
export async function segment(image: ImageInput | RawImage, opts: SegmentOptions & { model?: string } = {}) {
  const key = opts.model ?? '';
  let seg = shared.get(key);
  if (!seg) {
    seg = Segmenter.create(opts.model !== undefined ? { model: opts.model } : {});
    shared.set(key, seg);
    seg.catch(() => shared.delete(key));
  }
  const s = await seg;
  return opts.multimask
    ? s.segment(image, { ...opts, multimask: true })
    : s.segment(image, { ...opts, multimask: false });
}
