// SAM, SAM 2 and the SAM 3 tracker in the transformers.js layout (config.json + onnx/), run through transformers.js.
import { join, resolve } from 'node:path';
import {
  AutoProcessor,
  type RawImage as HfImage,
  Sam2Model,
  Sam3TrackerModel,
  SamModel,
  Tensor,
} from '@huggingface/transformers';
import type { RawImage } from '@segkit/core';
import { DTYPE_SUFFIX } from '../presets.js';
import { promptToFrame, toFrame } from '../prompt-frame.js';
import type { Dtype } from '../types.js';
import type { DecoderFile, DecoderPrompt, SamDecoded, SamEmbedding } from './promptable-types.js';
import { loadError, readModelConfig, timeRuns, toHfImage } from './runtime.js';
import {
  type DecoderSession,
  decoderGraph,
  externalDataOf,
  openBoxDecoder,
  type PromptSupport,
  pickDecoder,
  promptSupport,
  runSamDecoder,
  type SamDecoderGraph,
} from './sam-decoders.js';

type SamLike = SamModel | Sam2Model | Sam3TrackerModel;
type Family = 'sam' | 'sam2' | 'sam3-tracker';

/** config.json `model_type` → family and transformers.js class. */
const FAMILIES = {
  sam: { family: 'sam', Cls: SamModel },
  sam2: { family: 'sam2', Cls: Sam2Model },
  sam3_tracker: { family: 'sam3-tracker', Cls: Sam3TrackerModel },
} as const;

/** A loaded SAM-family model. */
export class SamBackend {
  /** Milliseconds spent inside the decoder's `session.run` (for overhead benchmarks). */
  decoderRunMs = 0;
  /** Milliseconds spent inside the encoder's `session.run`. */
  encoderRunMs = 0;

  private constructor(
    readonly family: Family,
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
      externalData: externalDataOf(join(this.dir, g.file)),
      layout: this.family === 'sam' ? 'sam' : this.family === 'sam2' ? 'sam2' : 'sam3-tracker',
      points: this.family !== 'sam' || g.points,
      boxes: this.family !== 'sam' || g.boxes,
    }));
  }

  /** Three candidates per prompt, as every transformers.js SAM export returns. */
  readonly candidates = 3;

  /** The prompt parts this model's decoder graphs take (SAM 2's and the SAM 3 tracker's take everything). */
  get accepts(): PromptSupport {
    return this.family === 'sam'
      ? promptSupport(this.graphs)
      : { points: true, box: true, boxWithPoints: true };
  }

  /** Loads a SAM, SAM 2 or SAM 3 tracker model from a hub-layout directory; `label` names it in messages. */
  static async load(dir: string, dtype: Dtype, label = dir): Promise<SamBackend> {
    const modelType = readModelConfig(
      dir,
      ['sam', 'sam2', 'sam3_tracker'] as const,
      'promptable segmentation needs sam, sam2 or sam3_tracker',
    ).model_type;
    // An absolute path is not a valid hub id, so transformers.js reads the files from it as they are.
    const id = resolve(dir);
    const { family, Cls } = FAMILIES[modelType];
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
    const boxes = family === 'sam' ? await openBoxDecoder(dir, DTYPE_SUFFIX[dtype]) : undefined;
    if (boxes) graphs.push(boxes);
    const backend = new SamBackend(family, model, processor, graphs, label, id, {
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
      frameSize: this.family === 'sam' ? [ph, pw] : inputs.reshaped_input_sizes[0]!,
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
    const coords = Float32Array.from(points.flatMap((p) => toFrame(p, emb.originalSize, emb.reshapedSize)));
    const feeds: Record<string, Tensor> = {
      ...emb.tensors,
      input_points: new Tensor('float32', coords, [1, points.length, 1, 2]),
      input_labels: new Tensor('int64', BigInt64Array.from(points.map(() => 1n)), [1, points.length, 1]),
    };
    return decodedOf(await this.model(feeds));
  }

  /** Throws E_PROMPT_UNSUPPORTED, before any encoder run, when no decoder graph takes the whole prompt. */
  checkPrompt(prompt: DecoderPrompt): void {
    if (this.family === 'sam')
      pickDecoder(this.graphs, { box: Boolean(prompt.box), points: prompt.points.length > 0 }, this.label);
  }

  /** Runs the prompt encoder and mask decoder against a cached embedding. */
  async decode(emb: SamEmbedding, prompt: DecoderPrompt): Promise<SamDecoded> {
    const { points: pts, labels, box } = promptToFrame(prompt, emb.originalSize, emb.reshapedSize);
    const feeds: Record<string, Tensor> = { ...emb.tensors };
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
    const { prompts: _, ...decoded } = decodedOf(await this.model(feeds));
    return decoded;
  }
}

/** transformers.js's SAM outputs (`iou_scores` [B,P,C], `pred_masks` [B,P,C,h,w]) as candidates per prompt. */
function decodedOf(out: unknown): SamDecoded & { prompts: number } {
  const { iou_scores, pred_masks } = out as { iou_scores: Tensor; pred_masks: Tensor };
  const dims = pred_masks.dims;
  return {
    scores: iou_scores.data as Float32Array,
    logits: pred_masks.data as Float32Array,
    candidates: dims[2]!,
    lowSize: [dims[3]!, dims[4]!],
    prompts: dims[1]!,
  };
}
