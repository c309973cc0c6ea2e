// The only module that imports the inference runtime (transformers.js on onnxruntime-node).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import {
  AutoProcessor,
  AutoTokenizer,
  CLIPSegForImageSegmentation,
  CLIPTextModelWithProjection,
  CLIPVisionModelWithProjection,
  DetrForSegmentation,
  env,
  RawImage as HfImage,
  Sam2Model,
  SamModel,
  Tensor,
} from '@huggingface/transformers';
import { ModelCorruptError, ModelMissingError, ModelUnsupportedError, type RawImage } from '@segkit/core';
import { DTYPE_SUFFIX } from '../presets.js';
import type { Dtype } from '../types.js';
import type { DecoderFile } from './promptable.js';
import {
  type DecoderSession,
  decoderGraph,
  openBoxDecoder,
  type PromptSupport,
  pickDecoder,
  promptSupport,
  runSamDecoder,
  type SamDecoderGraph,
} from './sam-decoders.js';

// SegKit downloads models itself; transformers.js only ever reads local directories.
env.allowRemoteModels = false;
env.allowLocalModels = true;

/** Tensors that stand for one encoded image, plus the geometry needed to map prompts and masks. */
export interface SamEmbedding {
  tensors: Record<string, Tensor>;
  /** [height, width] of the original image. */
  originalSize: [number, number];
  /** [height, width] of the image after the processor's resize (before padding). */
  reshapedSize: [number, number];
  /** [height, width] of the frame the low-res masks cover (the padded input). */
  frameSize: [number, number];
  bytes: number;
}

/** The raw decoder output for one prompt. */
export interface SamDecoded {
  /** Predicted IoU per candidate. */
  scores: Float32Array;
  /** Candidate mask logits, [candidates, lowH, lowW] in the frame. */
  logits: Float32Array;
  candidates: number;
  lowSize: [number, number];
}

/** Prompt geometry in original-image pixels, ready for the decoder. */
export interface DecoderPrompt {
  points: [number, number][];
  labels: number[];
  /** [x0, y0, x1, y1] */
  box?: [number, number, number, number];
}

type SamLike = SamModel | Sam2Model;

/** A loaded SAM-family model. */
export class SamBackend {
  /** Milliseconds spent inside the decoder's `session.run` (for overhead benchmarks). */
  decoderRunMs = 0;
  /** Milliseconds spent inside the encoder's `session.run`. */
  encoderRunMs = 0;

  private constructor(
    readonly family: 'sam' | 'sam2',
    private readonly model: SamLike,
    private readonly processor: Awaited<ReturnType<typeof AutoProcessor.from_pretrained>>,
    /** SAM 1: every decoder graph of the model (the main one, and a box decoder when the folder has one). */
    private readonly graphs: SamDecoderGraph[],
    /** The model's name, for messages. */
    private readonly label: string,
    /** The model folder. */
    private readonly dir: string,
    /** The encoder graph and the pre-processing config: what determines an image's encoding. */
    readonly encoding: { files: string[]; settings: string },
  ) {}

  /** The decoder graph files (the main one, and the box decoder when the folder has one). */
  get decoders(): DecoderFile[] {
    return this.graphs.map((g) => ({
      path: join(this.dir, g.file),
      layout: this.family,
      points: this.family === 'sam2' || g.points,
      boxes: this.family === 'sam2' || g.boxes,
    }));
  }

  /** Three candidates per prompt, as every transformers.js SAM export returns. */
  readonly candidates = 3;

  /** The prompt parts this model's decoder graphs take (SAM 2's take everything). */
  get accepts(): PromptSupport {
    return this.family === 'sam2'
      ? { points: true, box: true, boxWithPoints: true }
      : promptSupport(this.graphs);
  }

  /** Loads a SAM or SAM 2 model from a hub-layout directory; `label` names it in messages. */
  static async load(dir: string, dtype: Dtype, label = dir): Promise<SamBackend> {
    const modelType = readModelConfig(
      dir,
      ['sam', 'sam2'] as const,
      'promptable segmentation needs sam or sam2',
    ).model_type;
    // An absolute path is not a valid hub id, so transformers.js reads the files from it as they are.
    const id = resolve(dir);
    const Cls = modelType === 'sam2' ? Sam2Model : SamModel;
    let model: SamLike;
    let processor: Awaited<ReturnType<typeof AutoProcessor.from_pretrained>>;
    try {
      model = (await Cls.from_pretrained(id, { dtype, device: 'cpu', local_files_only: true })) as SamLike;
      processor = await AutoProcessor.from_pretrained(id, { local_files_only: true });
    } catch (e) {
      throw loadError(e, dir);
    }
    const sessions = (
      model as unknown as {
        sessions: Record<string, { inputNames: string[]; run: (...a: unknown[]) => Promise<unknown> }>;
      }
    ).sessions;
    const main = sessions.prompt_encoder_mask_decoder! as unknown as DecoderSession;
    const graphs = [decoderGraph(`onnx/prompt_encoder_mask_decoder${DTYPE_SUFFIX[dtype]}.onnx`, main)];
    const boxes = modelType === 'sam' ? await openBoxDecoder(dir, DTYPE_SUFFIX[dtype]) : undefined;
    if (boxes) graphs.push(boxes);
    const backend = new SamBackend(modelType, model, processor, graphs, label, id, {
      files: [
        join(id, 'onnx', `vision_encoder${DTYPE_SUFFIX[dtype]}.onnx`),
        join(id, 'preprocessor_config.json'),
      ],
      settings: dtype,
    });
    timeRuns(sessions.model!, (ms) => {
      backend.encoderRunMs += ms;
    });
    for (const g of graphs)
      timeRuns(g.session as unknown as { run: (...a: unknown[]) => Promise<unknown> }, (ms) => {
        backend.decoderRunMs += ms;
      });
    return backend;
  }

  /** Pre-processes an image (resize, normalise, pad) without running the encoder. */
  async preprocess(image: RawImage) {
    const hf = toHfImage(image);
    return (await (this.processor as unknown as (i: HfImage) => Promise<Record<string, unknown>>)(hf)) as {
      pixel_values: Tensor;
      original_sizes: [number, number][];
      reshaped_input_sizes: [number, number][];
    };
  }

  /** Runs pre-processing and the image encoder. */
  async encode(image: RawImage): Promise<SamEmbedding> {
    const inputs = await this.preprocess(image);
    const tensors = (await this.model.get_image_embeddings({ pixel_values: inputs.pixel_values })) as Record<
      string,
      Tensor
    >;
    const bytes = Object.values(tensors).reduce((s, t) => s + (t.data as Float32Array).byteLength, 0);
    const [ph, pw] = inputs.pixel_values.dims.slice(2) as [number, number];
    return {
      tensors,
      originalSize: inputs.original_sizes[0]!,
      reshapedSize: inputs.reshaped_input_sizes[0]!,
      frameSize: this.family === 'sam2' ? inputs.reshaped_input_sizes[0]! : [ph, pw],
      bytes,
    };
  }

  /**
   * Runs the decoder for `points.length` one-click prompts in a single call (point batch P): logits come back as
   * [P, candidates, lowH, lowW] and scores as [P, candidates].
   */
  async decodeBatch(
    emb: SamEmbedding,
    points: [number, number][],
  ): Promise<SamDecoded & { prompts: number }> {
    if (this.family === 'sam' && !this.graphs[0]!.points)
      pickDecoder(this.graphs.slice(0, 1), { box: false, points: true }, this.label);
    const [oh, ow] = emb.originalSize;
    const [rh, rw] = emb.reshapedSize;
    const coords = Float32Array.from(points.flatMap(([x, y]) => [(x * rw) / ow, (y * rh) / oh]));
    const feeds: Record<string, Tensor> = {
      ...emb.tensors,
      input_points: new Tensor('float32', coords, [1, points.length, 1, 2]),
      input_labels: new Tensor('int64', BigInt64Array.from(points.map(() => 1n)), [1, points.length, 1]),
    };
    const out = (await this.model(feeds)) as { iou_scores: Tensor; pred_masks: Tensor };
    const dims = out.pred_masks.dims;
    return {
      scores: out.iou_scores.data as Float32Array,
      logits: out.pred_masks.data as Float32Array,
      candidates: dims[2]!,
      lowSize: [dims[3]!, dims[4]!],
      prompts: dims[1]!,
    };
  }

  /** Throws E_PROMPT_UNSUPPORTED, before any encoder run, when no decoder graph takes the whole prompt. */
  checkPrompt(prompt: DecoderPrompt): void {
    if (this.family === 'sam')
      pickDecoder(this.graphs, { box: Boolean(prompt.box), points: prompt.points.length > 0 }, this.label);
  }

  /** Runs the prompt encoder and mask decoder against a cached embedding. */
  async decode(emb: SamEmbedding, prompt: DecoderPrompt): Promise<SamDecoded> {
    const [oh, ow] = emb.originalSize;
    const [rh, rw] = emb.reshapedSize;
    const sx = rw / ow;
    const sy = rh / oh;
    const pts: number[] = [];
    const labels: number[] = [];
    prompt.points.forEach(([x, y], i) => {
      pts.push(x * sx, y * sy);
      labels.push(prompt.labels[i]!);
    });
    const feeds: Record<string, Tensor> = { ...emb.tensors };
    const box: [number, number, number, number] | undefined = prompt.box && [
      prompt.box[0] * sx,
      prompt.box[1] * sy,
      prompt.box[2] * sx,
      prompt.box[3] * sy,
    ];
    if (this.family === 'sam') {
      // SAM 1: the graph whose declared inputs take the whole prompt, with the box in the points' frame.
      const graph = pickDecoder(this.graphs, { box: Boolean(box), points: labels.length > 0 }, this.label);
      const out = await runSamDecoder(graph, emb.tensors, { points: pts, labels, ...(box ? { box } : {}) });
      return {
        scores: out.scores,
        logits: out.logits,
        candidates: out.dims[2]!,
        lowSize: [out.dims[3]!, out.dims[4]!],
      };
    }
    if (box) feeds.input_boxes = new Tensor('float32', Float32Array.from(box), [1, 1, 4]);
    if (labels.length) {
      feeds.input_points = new Tensor('float32', Float32Array.from(pts), [1, 1, labels.length, 2]);
      feeds.input_labels = new Tensor('int64', BigInt64Array.from(labels.map(BigInt)), [1, 1, labels.length]);
    }
    const out = (await this.model(feeds)) as { iou_scores: Tensor; pred_masks: Tensor };
    const dims = out.pred_masks.dims;
    return {
      scores: out.iou_scores.data as Float32Array,
      logits: out.pred_masks.data as Float32Array,
      candidates: dims[2]!,
      lowSize: [dims[3]!, dims[4]!],
    };
  }
}

/** Wraps a SegKit image as a transformers.js image, sharing its pixels. */
export function toHfImage(image: RawImage): HfImage {
  return new HfImage(
    new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length),
    image.width,
    image.height,
    image.channels,
  );
}

interface ModelConfig {
  model_type?: string;
  id2label?: Record<string, string>;
}

/**
 * Reads a model directory's config.json and checks that its `model_type` is one of `accepted`
 * (`E_MODEL_CORRUPT` when it cannot be read, `E_MODEL_UNSUPPORTED` naming `purpose` otherwise).
 */
export function readModelConfig<T extends string>(
  dir: string,
  accepted: readonly T[],
  purpose: string,
): ModelConfig & { model_type: T } {
  let config: ModelConfig;
  try {
    config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as ModelConfig;
  } catch (e) {
    throw new ModelCorruptError(`${dir}/config.json cannot be read: ${(e as Error).message}`);
  }
  if (config.model_type === undefined)
    throw new ModelUnsupportedError(
      `${dir}/config.json has no model_type, so it is not a model in the transformers.js layout; ${purpose}`,
    );
  if (!accepted.includes(config.model_type as T))
    throw new ModelUnsupportedError(`${dir} is a ${JSON.stringify(config.model_type)} model; ${purpose}`);
  return config as ModelConfig & { model_type: T };
}

function timeRuns(session: { run: (...a: unknown[]) => Promise<unknown> }, add: (ms: number) => void) {
  const run = session.run.bind(session);
  session.run = async (...args: unknown[]) => {
    const t0 = performance.now();
    try {
      return await run(...args);
    } finally {
      add(performance.now() - t0);
    }
  };
}

export function loadError(e: unknown, dir: string): Error {
  const msg = e instanceof Error ? e.message : String(e);
  if (/could not locate file|ENOENT|no such file|not found locally/i.test(msg)) {
    const file = /"([^"]+\.onnx)"/.exec(msg)?.[1];
    const onnx = join(dir, 'onnx');
    const has = existsSync(onnx) ? readdirSync(onnx).filter((f) => f.endsWith('.onnx')) : [];
    return new ModelMissingError(
      file
        ? `${dir} lacks ${relative(dir, file)} (the weights of the dtype asked for); its onnx/ has ${has.join(', ') || 'nothing'}`
        : `${dir} is missing a model file: ${msg.split('\n')[0]}`,
    );
  }
  return new ModelCorruptError(`${dir} cannot be loaded (${msg.split('\n')[0]}); pull or import it again`);
}

/** Serialises an embedding for the on-disk cache: a JSON header line, then the raw float32 data. */
export function encodeEmbedding(e: SamEmbedding): Buffer {
  const names = Object.keys(e.tensors);
  const header = {
    tensors: names.map((n) => ({ name: n, dims: e.tensors[n]!.dims })),
    originalSize: e.originalSize,
    reshapedSize: e.reshapedSize,
    frameSize: e.frameSize,
  };
  const parts = names.map((n) => {
    const d = e.tensors[n]!.data as Float32Array;
    return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  });
  return Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), ...parts]);
}

/** Inverse of {@link encodeEmbedding}. */
export function decodeEmbedding(buf: Buffer): SamEmbedding {
  const nl = buf.indexOf(10);
  const header = JSON.parse(buf.subarray(0, nl).toString('utf8')) as {
    tensors: { name: string; dims: number[] }[];
    originalSize: [number, number];
    reshapedSize: [number, number];
    frameSize: [number, number];
  };
  let off = nl + 1;
  const tensors: Record<string, Tensor> = {};
  for (const t of header.tensors) {
    const n = t.dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    Buffer.from(data.buffer).set(buf.subarray(off, off + n * 4));
    if (off + n * 4 > buf.length) throw new Error('truncated embedding file');
    off += n * 4;
    tensors[t.name] = new Tensor('float32', data, t.dims);
  }
  const bytes = Object.values(tensors).reduce((s, t) => s + (t.data as Float32Array).byteLength, 0);
  return {
    tensors,
    originalSize: header.originalSize,
    reshapedSize: header.reshapedSize,
    frameSize: header.frameSize,
    bytes,
  };
}

/** A loaded CLIPSeg model (text-prompted segmentation). */
export class ClipSegBackend {
  private constructor(
    private readonly model: CLIPSegForImageSegmentation,
    private readonly tokenizer: Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>,
    private readonly processor: Awaited<ReturnType<typeof AutoProcessor.from_pretrained>>,
  ) {}

  static async load(dir: string, dtype: Dtype): Promise<ClipSegBackend> {
    readModelConfig(dir, ['clipseg'], 'text prompts need clipseg');
    const id = resolve(dir);
    try {
      const model = (await CLIPSegForImageSegmentation.from_pretrained(id, {
        dtype,
        device: 'cpu',
        local_files_only: true,
      })) as CLIPSegForImageSegmentation;
      const tokenizer = await AutoTokenizer.from_pretrained(id, { local_files_only: true });
      const processor = await AutoProcessor.from_pretrained(id, { local_files_only: true });
      return new ClipSegBackend(model, tokenizer, processor);
    } catch (e) {
      throw loadError(e, dir);
    }
  }

  /** Per-text probability maps (sigmoid of the logits) at the model's output size. */
  async predict(image: RawImage, texts: string[]): Promise<{ probs: Float32Array; size: [number, number] }> {
    const hf = toHfImage(image);
    const textInputs = (this.tokenizer as unknown as (t: string[], o: object) => Record<string, Tensor>)(
      texts,
      { padding: true, truncation: true },
    );
    const imageInputs = await (this.processor as unknown as (i: HfImage) => Promise<Record<string, Tensor>>)(
      hf,
    );
    const { logits } = (await this.model({ ...textInputs, ...imageInputs })) as { logits: Tensor };
    const dims = logits.dims;
    const data = logits.data as Float32Array;
    const probs = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) probs[i] = 1 / (1 + Math.exp(-data[i]!));
    return { probs, size: [dims[dims.length - 2]!, dims[dims.length - 1]!] };
  }
}

/** A loaded DETR panoptic model. */
export class DetrBackend {
  private constructor(
    private readonly model: DetrForSegmentation,
    private readonly processor: Awaited<ReturnType<typeof AutoProcessor.from_pretrained>>,
    readonly id2label: Record<string, string>,
  ) {}

  static async load(dir: string, dtype: Dtype): Promise<DetrBackend> {
    const id2label = readModelConfig(dir, ['detr'], 'panoptic segmentation needs detr').id2label ?? {};
    const id = resolve(dir);
    try {
      const model = (await DetrForSegmentation.from_pretrained(id, {
        dtype,
        device: 'cpu',
        local_files_only: true,
      })) as DetrForSegmentation;
      const processor = await AutoProcessor.from_pretrained(id, { local_files_only: true });
      return new DetrBackend(model, processor, id2label);
    } catch (e) {
      throw loadError(e, dir);
    }
  }

  /**
   * Runs the model and transformers.js's panoptic post-processing at the original image size.
   * `fuse` lists label ids whose instances merge into one segment (stuff classes).
   */
  async predict(
    image: RawImage,
    threshold: number,
    fuse: Set<number>,
  ): Promise<{ segmentation: Int32Array; segments: { id: number; label_id: number; score: number }[] }> {
    const hf = toHfImage(image);
    const inputs = await (this.processor as unknown as (i: HfImage) => Promise<Record<string, Tensor>>)(hf);
    const outputs = await this.model(inputs);
    const post = (
      this.processor as unknown as {
        image_processor: {
          post_process_panoptic_segmentation: (
            ...a: unknown[]
          ) => { segmentation: Tensor; segments_info: { id: number; label_id: number; score: number }[] }[];
        };
      }
    ).image_processor.post_process_panoptic_segmentation(outputs, threshold, 0.5, 0.8, fuse, [
      [image.height, image.width],
    ]);
    return { segmentation: post[0]!.segmentation.data as Int32Array, segments: post[0]!.segments_info };
  }
}

/** A loaded CLIP model (both towers). */
export class ClipBackend {
  private constructor(
    private readonly text: CLIPTextModelWithProjection,
    private readonly vision: CLIPVisionModelWithProjection,
    private readonly tokenizer: Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>,
    private readonly processor: Awaited<ReturnType<typeof AutoProcessor.from_pretrained>>,
  ) {}

  static async load(dir: string, dtype: Dtype): Promise<ClipBackend> {
    readModelConfig(dir, ['clip'], 'embeddings need clip');
    const id = resolve(dir);
    try {
      const opts = { dtype, device: 'cpu' as const, local_files_only: true };
      const text = (await CLIPTextModelWithProjection.from_pretrained(
        id,
        opts,
      )) as CLIPTextModelWithProjection;
      const vision = (await CLIPVisionModelWithProjection.from_pretrained(
        id,
        opts,
      )) as CLIPVisionModelWithProjection;
      const tokenizer = await AutoTokenizer.from_pretrained(id, { local_files_only: true });
      const processor = await AutoProcessor.from_pretrained(id, { local_files_only: true });
      return new ClipBackend(text, vision, tokenizer, processor);
    } catch (e) {
      throw loadError(e, dir);
    }
  }

  /** Raw (not yet normalised) image embeddings, one row per image. */
  async embedImages(images: RawImage[]): Promise<Float32Array[]> {
    const hf = images.map((im) => toHfImage(im));
    const inputs = await (this.processor as unknown as (i: HfImage[]) => Promise<Record<string, Tensor>>)(hf);
    const { image_embeds } = (await this.vision(inputs)) as { image_embeds: Tensor };
    return rows(image_embeds);
  }

  /** Raw text embeddings, one row per text. */
  async embedTexts(texts: string[]): Promise<Float32Array[]> {
    const inputs = (this.tokenizer as unknown as (t: string[], o: object) => Record<string, Tensor>)(texts, {
      padding: true,
      truncation: true,
    });
    const { text_embeds } = (await this.text(inputs)) as { text_embeds: Tensor };
    return rows(text_embeds);
  }
}

function rows(t: Tensor): Float32Array[] {
  const [n, d] = t.dims as [number, number];
  const data = t.data as Float32Array;
  return Array.from({ length: n }, (_, i) => data.slice(i * d, (i + 1) * d));
}
