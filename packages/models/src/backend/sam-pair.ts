// SAM as a plain encoder + decoder pair of ONNX files, run with onnxruntime-node directly: Meta's official SAM decoder
// (segment-anything's SamOnnxModel, as X-AnyLabeling, CVAT and samexporter use it) with an exported image encoder, and
// the standalone SAM 2 pair (samexporter, SharpAI/sam2-hiera-*-onnx). The layout is recognised from the graphs'
// input and output names; ranks and dtypes are checked before anything runs.
import { Tensor } from '@huggingface/transformers';
import { ModelUnsupportedError, PromptUnsupportedError, type RawImage, resizeImage } from '@segkit/core';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { promptToFrame, toFrame } from '../prompt-frame.js';
import { sessionOptions } from './onnx-open.js';
import type { DecoderFile, DecoderPrompt, SamDecoded, SamEmbedding } from './promptable-types.js';
import { externalDataOf, type PromptSupport } from './sam-decoders.js';
import type { PairFiles } from './sam-pair-files.js';

export type PairLayout = 'sam-official' | 'sam2-pair';

interface Meta {
  name: string;
  type: string;
  shape: readonly (number | string)[];
}
type Session = Omit<InferenceSession, 'inputMetadata' | 'outputMetadata'> & {
  inputMetadata: readonly Meta[];
  outputMetadata: readonly Meta[];
};

/** Inputs each layout's decoder must declare, with their rank ("?" for optional ones). */
const DECODER_INPUTS: Record<PairLayout, Record<string, number>> = {
  'sam-official': {
    image_embeddings: 4,
    point_coords: 3,
    point_labels: 2,
    mask_input: 4,
    has_mask_input: 1,
    orig_im_size: 1,
  },
  'sam2-pair': {
    image_embed: 4,
    high_res_feats_0: 4,
    high_res_feats_1: 4,
    point_coords: 3,
    point_labels: 2,
    mask_input: 4,
    has_mask_input: 1,
  },
};
const SAM2_ENCODER_OUTPUTS = ['high_res_feats_0', 'high_res_feats_1', 'image_embed'];
/** ImageNet mean/std: SAM 2's transforms (0–1 scale) and Meta's SAM pixel_mean/std (0–255 scale). */
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];
const SIDE = 1024;

const describeIo = (s: Session) =>
  `inputs ${s.inputMetadata.map((m) => `${m.name} ${m.type}[${m.shape.join(',')}]`).join(', ')}; outputs ${s.outputNames.join(', ')}`;

/** Recognises the layout from the decoder's input names, or refuses naming what the graphs declare. */
export function recognise(encoder: Session, decoder: Session, label: string): PairLayout {
  const names = new Set(decoder.inputNames);
  const layout: PairLayout | undefined =
    names.has('image_embed') && names.has('high_res_feats_0')
      ? 'sam2-pair'
      : names.has('image_embeddings') && names.has('point_coords')
        ? 'sam-official'
        : undefined;
  if (!layout)
    throw new ModelUnsupportedError(
      `${label}: the decoder matches no SAM layout SegKit knows (transformers.js, Meta's official decoder, the SAM 2 pair); its ${describeIo(decoder)}`,
    );
  const problems: string[] = [];
  const check = (s: Session, what: string, name: string, rank: number) => {
    const m = s.inputMetadata.find((x) => x.name === name) ?? s.outputMetadata.find((x) => x.name === name);
    if (!m) problems.push(`${what} lacks ${name}`);
    else if (m.type !== 'float32' || m.shape.length !== rank)
      problems.push(`${what} ${name} is ${m.type}[${m.shape.join(',')}], expected float32 of rank ${rank}`);
  };
  for (const [name, rank] of Object.entries(DECODER_INPUTS[layout]))
    check(decoder, 'the decoder', name, rank);
  check(decoder, 'the decoder', 'masks', 4);
  check(decoder, 'the decoder', 'iou_predictions', 2);
  if (layout === 'sam2-pair') for (const n of SAM2_ENCODER_OUTPUTS) check(encoder, 'the encoder', n, 4);
  const input = encoder.inputMetadata[0];
  if (
    encoder.inputMetadata.length !== 1 ||
    !input ||
    input.type !== 'float32' ||
    ![3, 4].includes(input.shape.length)
  )
    problems.push(
      `the encoder must take one float32 image ([H,W,3] or [1,3,1024,1024]); it has ${describeIo(encoder)}`,
    );
  if (problems.length)
    throw new ModelUnsupportedError(`${label} looks like ${layout} but ${problems.join('; ')}`);
  return layout;
}

/** A loaded pair: pre-processing, encoder and decoder, with the same interface as the transformers.js backend. */
export class SamPairBackend {
  decoderRunMs = 0;
  encoderRunMs = 0;
  readonly family: 'sam' | 'sam2';

  private constructor(
    readonly layout: PairLayout,
    private readonly encoder: Session,
    private readonly decoder: Session,
    private readonly label: string,
    private readonly settings: PairFiles['settings'] = {},
    private readonly decoderPath = '',
    encoderPath = '',
  ) {
    this.family = layout === 'sam2-pair' ? 'sam2' : 'sam';
    // The encoder file and segkit.json's pre-processing determine an image's encoding (the cache key).
    this.encoding = { files: [encoderPath], settings: JSON.stringify(settings) };
  }

  readonly encoding: { files: string[]; settings: string };

  /** Opens the two files and recognises their layout (E_MODEL_UNSUPPORTED with what was found otherwise). */
  static async load(files: PairFiles, label: string): Promise<SamPairBackend> {
    const open = async (path: string) => {
      try {
        return (await InferenceSession.create(path, sessionOptions())) as unknown as Session;
      } catch (e) {
        throw new ModelUnsupportedError(
          `${path} cannot be loaded by onnxruntime: ${(e as Error).message.split('\n')[0]}`,
        );
      }
    };
    const encoder = await open(files.encoder);
    const decoder = await open(files.decoder);
    return new SamPairBackend(
      recognise(encoder, decoder, label),
      encoder,
      decoder,
      label,
      files.settings,
      files.decoder,
      files.encoder,
    );
  }

  get decoders(): DecoderFile[] {
    return [
      {
        path: this.decoderPath,
        layout: this.layout,
        points: true,
        boxes: true,
        externalData: externalDataOf(this.decoderPath),
      },
    ];
  }

  /** Points, boxes and both together: both layouts embed box corners as points labelled 2 and 3. */
  get accepts(): PromptSupport {
    return { points: true, box: true, boxWithPoints: true };
  }

  /** 3 for a multimask decoder, 1 for a `return_single_mask` export (Meta's web demo, samexporter's default). */
  get candidates(): number {
    const dims = this.decoder.outputMetadata.find((m) => m.name === 'iou_predictions')!.shape;
    return typeof dims[1] === 'number' ? dims[1] : 3;
  }

  checkPrompt(_prompt: DecoderPrompt): void {}

  /**
   * The encoder input, by these rules (each overridable in `segkit.json`): a rank-3 input is samexporter's [H,W,3]
   * RGB 0–255 with the longest side 1024 (the graph normalises and pads); a rank-4 input is [1,3,1024,1024],
   * ImageNet-normalised, stretched to the square for SAM 2 (its own transforms) and resized by the longest side with
   * zero padding right and below for SAM 1 (Meta's ResizeLongestSide).
   */
  async preprocess(
    image: RawImage,
  ): Promise<{ feed: OrtTensor; reshaped: [number, number]; frame: [number, number] }> {
    const rank = this.encoder.inputMetadata[0]!.shape.length;
    const input = this.settings.encoder_input ?? (rank === 3 ? 'hwc' : 'nchw');
    const square =
      (this.settings.resize ?? (this.layout === 'sam2-pair' ? 'square' : 'longest-side')) === 'square';
    const s = SIDE / Math.max(image.width, image.height);
    const [w, h] = square ? [SIDE, SIDE] : [Math.round(image.width * s), Math.round(image.height * s)];
    const small = await resizeImage(image, w, h);
    const frame: [number, number] = [SIDE, SIDE];
    if (input === 'hwc')
      return {
        feed: new OrtTensor('float32', Float32Array.from(small.data), [h, w, 3]),
        reshaped: [h, w],
        frame,
      };
    const normalize = this.settings.normalize ?? true;
    const data = new Float32Array(3 * SIDE * SIDE); // zero padding right and below
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const v = small.data[(y * w + x) * 3 + c]!;
          data[c * SIDE * SIDE + y * SIDE + x] = normalize ? (v / 255 - MEAN[c]!) / STD[c]! : v;
        }
    return { feed: new OrtTensor('float32', data, [1, 3, SIDE, SIDE]), reshaped: [h, w], frame };
  }

  async encode(image: RawImage): Promise<SamEmbedding> {
    const { feed, reshaped, frame } = await this.preprocess(image);
    const t0 = performance.now();
    let out: Awaited<ReturnType<Session['run']>>;
    try {
      out = await this.encoder.run({ [this.encoder.inputNames[0]!]: feed });
    } catch (e) {
      throw new ModelUnsupportedError(
        `${this.label}'s encoder refused a ${feed.dims.join('×')} input (${(e as Error).message.split('\n')[0]}); check encoder_input and resize in segkit.json`,
      );
    }
    this.encoderRunMs += performance.now() - t0;
    const names = this.layout === 'sam2-pair' ? SAM2_ENCODER_OUTPUTS : [this.encoder.outputNames[0]!];
    const tensors: Record<string, Tensor> = {};
    for (const n of names) {
      const t = out[n]!;
      tensors[this.layout === 'sam2-pair' ? n : 'image_embeddings'] = new Tensor(
        'float32',
        t.data as Float32Array,
        t.dims as number[],
      );
    }
    const bytes = Object.values(tensors).reduce((s, t) => s + (t.data as Float32Array).byteLength, 0);
    return {
      tensors,
      originalSize: [image.height, image.width],
      reshapedSize: reshaped,
      frameSize: frame,
      bytes,
    };
  }

  /** One prompt: points (and a box as corners 2/3, or a padding point −1 without one) in the model's frame. */
  async decode(emb: SamEmbedding, prompt: DecoderPrompt): Promise<SamDecoded> {
    const { points: coords, labels, box } = promptToFrame(prompt, emb.originalSize, emb.reshapedSize);
    if (box) {
      coords.push(...box);
      labels.push(2, 3);
    } else {
      coords.push(0, 0);
      labels.push(-1);
    }
    const out = await this.run(emb, [coords], [labels]);
    return { scores: out.scores, logits: out.logits, candidates: out.candidates, lowSize: out.lowSize };
  }

  /** A batch of one-click prompts on one embedding (automatic mask generation). */
  async decodeBatch(
    emb: SamEmbedding,
    points: [number, number][],
  ): Promise<SamDecoded & { prompts: number }> {
    if (this.layout === 'sam-official') {
      // Meta's decoder takes one prompt per run.
      const parts = await Promise.all(points.map((p) => this.decode(emb, { points: [p], labels: [1] })));
      const first = parts[0]!;
      const concat = (k: 'scores' | 'logits') => {
        const out = new Float32Array(parts.reduce((s, p) => s + p[k].length, 0));
        let o = 0;
        for (const p of parts) {
          out.set(p[k], o);
          o += p[k].length;
        }
        return out;
      };
      return { ...first, scores: concat('scores'), logits: concat('logits'), prompts: parts.length };
    }
    const coords = points.map((p) => [...toFrame(p, emb.originalSize, emb.reshapedSize), 0, 0]);
    const labels = points.map(() => [1, -1]);
    const out = await this.run(emb, coords, labels);
    return { ...out, prompts: points.length };
  }

  /** Runs the decoder on B prompts of N points each, returning low-resolution logits and scores. */
  private async run(emb: SamEmbedding, coords: number[][], labels: number[][]) {
    const b = coords.length;
    const n = labels[0]!.length;
    const feeds: Record<string, OrtTensor> = {};
    for (const name of this.decoder.inputNames) {
      const t = emb.tensors[name];
      if (t) feeds[name] = new OrtTensor('float32', t.data as Float32Array, t.dims);
    }
    feeds.point_coords = new OrtTensor('float32', Float32Array.from(coords.flat()), [b, n, 2]);
    feeds.point_labels = new OrtTensor('float32', Float32Array.from(labels.flat()), [b, n]);
    feeds.mask_input = new OrtTensor('float32', new Float32Array(b * 256 * 256), [b, 1, 256, 256]);
    feeds.has_mask_input = new OrtTensor('float32', new Float32Array(b), [b]);
    if (this.decoder.inputNames.includes('orig_im_size'))
      feeds.orig_im_size = new OrtTensor('float32', Float32Array.from(emb.originalSize), [2]);
    const t0 = performance.now();
    let out: Awaited<ReturnType<Session['run']>>;
    try {
      out = await this.decoder.run(feeds);
    } catch (e) {
      throw new ModelUnsupportedError(
        `${this.label}'s decoder refused SegKit's prompt tensors: ${(e as Error).message.split('\n')[0]}`,
      );
    }
    this.decoderRunMs += performance.now() - t0;
    // Low-resolution logits over the model's frame: `low_res_masks` when the graph has it, else `masks`.
    const low = out.low_res_masks ?? out.masks!;
    const dims = low.dims as number[];
    if (!out.low_res_masks && (dims[2] !== 256 || dims[3] !== 256) && (dims[2] !== SIDE || dims[3] !== SIDE))
      throw new PromptUnsupportedError(
        `${this.label}'s decoder returns masks of ${dims.slice(2).join('×')} with no low_res_masks output; SegKit needs 256×256 or 1024×1024 logits over the model's frame`,
      );
    return {
      scores: out.iou_predictions!.data as Float32Array,
      logits: low.data as Float32Array,
      candidates: dims[1]!,
      lowSize: [dims[2]!, dims[3]!] as [number, number],
    };
  }
}
