// SAM 3's concept model in any of its public ONNX layouts, on onnxruntime-node: the image encoder once per image, the
// text encoder once per prompt (cached), the decoder per call. Pre-processing is in ../sam3-preprocess.ts and
// post-processing in ../sam3-post.ts, so this file only opens graphs and builds feeds.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLIPTokenizer, type Tensor as HfTensor } from '@huggingface/transformers';
import { ModelCorruptError, type RawImage } from '@segkit/core';
import { type InferenceSession, Tensor } from 'onnxruntime-node';
import { SAM3_SIDE, sam3PixelValues, sam3Uint8Planes } from '../sam3-preprocess.js';
import { openGraph } from './onnx-open.js';
import { type Declared, recogniseSam3, type Sam3Contract, type Sam3Layout } from './sam3-contract.js';

type Session = InferenceSession & {
  inputMetadata: readonly { name: string; type: string; shape: readonly (number | string)[] }[];
};
export type Feeds = Record<string, Tensor>;

/** One image's encoder outputs that the decoder takes, as float32 [1, C, h, w] arrays. */
export interface Sam3ImageFeatures {
  tensors: Record<string, { data: Float32Array; dims: readonly number[] }>;
  /** [height, width] of the original image. */
  originalSize: [number, number];
}

/** An exemplar box, normalised cx, cy, w, h (0–1 of the image), positive or negative. */
export interface Exemplar {
  box: [number, number, number, number];
  positive: boolean;
}

/** The decoder's raw answer: per-query logits (usls, sam3-text) or its own post-processed instances (samexporter). */
export type Sam3Raw =
  | {
      kind: 'queries';
      /** [Q, 288, 288] mask logits. */
      masks: Float32Array;
      /** [Q, 4] normalised x0, y0, x1, y1. */
      boxes: Float32Array;
      /** [Q] class logits. */
      logits: Float32Array;
      presence?: number;
      maskSize: [number, number];
    }
  | {
      kind: 'final';
      /** [N, 4] x0, y0, x1, y1 in 1008×1008 pixels. */
      boxes: Float32Array;
      scores: Float32Array;
      /** [N, H, W] 0/1 at the original size. */
      masks: Uint8Array;
    };

/** Every graph run, for tests that inspect feeds and for the reference comparison. */
export type RunObserver = (graph: 'vision' | 'text' | 'decoder', feeds: Feeds, outputs: Feeds) => void;

/**
 * CLIP's tokenizer from a folder's tokenizer.json, with tokenizer_config.json when there is one (usls's release
 * ships tokenizer.json alone): 32 tokens, padded with `<|endoftext|>`.
 */
function clipTokenizer(dir: string): unknown {
  const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as object;
  const configFile = join(dir, 'tokenizer_config.json');
  const config = existsSync(configFile) ? (JSON.parse(readFileSync(configFile, 'utf8')) as object) : {};
  return new CLIPTokenizer(json, {
    bos_token: '<|startoftext|>',
    eos_token: '<|endoftext|>',
    pad_token: '<|endoftext|>',
    unk_token: '<|endoftext|>',
    ...config,
    model_max_length: 32,
  });
}

const declared = (s: Session): Declared => ({ inputs: [...s.inputMetadata], outputs: [...s.outputNames] });

/** A loaded SAM 3 concept model. */
export class Sam3Backend {
  encoderRunMs = 0;
  textRunMs = 0;
  decoderRunMs = 0;
  decoderRuns = 0;
  textRuns = 0;
  observer: RunObserver | undefined;
  private readonly texts = new Map<string, Promise<Feeds>>();

  private constructor(
    readonly contract: Sam3Contract,
    private readonly vision: Session,
    private readonly text: Session,
    private readonly decoder: Session,
    private readonly tokenizer: (t: string[], o: object) => { input_ids: HfTensor; attention_mask: HfTensor },
    readonly label: string,
    /** What determines an image's encoding (the embedding cache's identity). */
    readonly encoding: { files: string[]; settings: string },
  ) {}

  get layout(): Sam3Layout {
    return this.contract.layout;
  }

  /** Opens the three graphs and the tokenizer of a folder whose files match `contract`'s names. */
  static async load(dir: string, files: Sam3Contract, label: string): Promise<Sam3Backend> {
    const [vision, text, decoder] = await Promise.all([
      openGraph(join(dir, files.files.vision)),
      openGraph(join(dir, files.files.text)),
      openGraph(join(dir, files.files.decoder)),
    ]);
    const contract = recogniseSam3(label, {
      vision: declared(vision),
      text: declared(text),
      decoder: declared(decoder),
    });
    let tokenizer: unknown;
    try {
      tokenizer = clipTokenizer(join(dir, contract.tokenizer));
    } catch (e) {
      throw new ModelCorruptError(
        `${label} has no usable tokenizer in ${join(dir, contract.tokenizer)} (${(e as Error).message.split('\n')[0]})`,
      );
    }
    const visionFile = join(dir, contract.files.vision);
    return new Sam3Backend(contract, vision, text, decoder, tokenizer as Sam3Backend['tokenizer'], label, {
      files: [visionFile, ...(existsSync(`${visionFile}.data`) ? [`${visionFile}.data`] : [])],
      settings: `${contract.layout}|${SAM3_SIDE}|triangle|0.5`,
    });
  }

  private async run(graph: 'vision' | 'text' | 'decoder', feeds: Feeds): Promise<Feeds> {
    const session = graph === 'vision' ? this.vision : graph === 'text' ? this.text : this.decoder;
    const t0 = performance.now();
    const out = (await session.run(feeds)) as Feeds;
    const ms = performance.now() - t0;
    if (graph === 'vision') this.encoderRunMs += ms;
    else if (graph === 'text') this.textRunMs += ms;
    else {
      this.decoderRunMs += ms;
      this.decoderRuns++;
    }
    this.observer?.(graph, feeds, out);
    return out;
  }

  /** The 32 token ids and the attention mask (1 = token) of a prompt, padded as the layout expects. */
  tokens(text: string): { ids: BigInt64Array; mask: BigInt64Array } {
    const out = this.tokenizer([text], { padding: 'max_length', max_length: 32, truncation: true });
    const ids = BigInt64Array.from(out.input_ids.data as BigInt64Array);
    const mask = BigInt64Array.from(out.attention_mask.data as BigInt64Array);
    if (ids.length !== 32) throw new ModelCorruptError(`${this.label}'s tokenizer did not give 32 tokens`);
    // A prompt over 30 tokens is cut to fit; like CLIP's reference tokenizer, it still ends with <|endoftext|>.
    if (mask[31] === 1n) ids[31] = this.eos();
    if (this.contract.padWith === 'zero') for (let i = 0; i < 32; i++) if (mask[i] === 0n) ids[i] = 0n;
    return { ids, mask };
  }

  private eosId: bigint | undefined;
  /** `<|endoftext|>`'s id: the token after `<|startoftext|>` in an empty prompt. */
  private eos(): bigint {
    this.eosId ??= BigInt(
      (
        this.tokenizer([''], { padding: 'max_length', max_length: 32, truncation: true }).input_ids
          .data as BigInt64Array
      )[1]!,
    );
    return this.eosId;
  }

  /** The text encoder's outputs for a prompt, under the names the decoder takes them by (computed once per text). */
  encodeText(text: string): Promise<Feeds> {
    let hit = this.texts.get(text);
    if (hit) {
      this.texts.delete(text); // most recently used last
      this.texts.set(text, hit);
      return hit;
    }
    hit = this.runText(text);
    this.texts.set(text, hit);
    hit.catch(() => this.texts.delete(text));
    while (this.texts.size > 64) this.texts.delete(this.texts.keys().next().value!);
    return hit;
  }

  private async runText(text: string): Promise<Feeds> {
    const { ids, mask } = this.tokens(text);
    this.textRuns++;
    if (this.layout === 'sam3-samexporter') {
      const out = await this.run('text', { tokens: new Tensor('int64', ids, [1, 32]) });
      return { language_mask: out.text_attention_mask!, language_features: out.text_memory! };
    }
    const feeds = {
      input_ids: new Tensor('int64', ids, [1, 32]),
      attention_mask: new Tensor('int64', mask, [1, 32]),
    };
    const out = await this.run('text', feeds);
    return this.layout === 'sam3-usls'
      ? { text_features: out.text_features!, text_mask: out.text_mask! }
      : { text_features: out.text_features!, attention_mask: feeds.attention_mask };
  }

  /** Runs the image encoder; keeps only the outputs the decoder takes (the others are large and unused). */
  async encodeImage(image: RawImage): Promise<Sam3ImageFeatures> {
    const feed =
      this.layout === 'sam3-samexporter'
        ? { image: new Tensor('uint8', sam3Uint8Planes(image), [3, SAM3_SIDE, SAM3_SIDE]) }
        : {
            [Object.keys(this.contract.vision)[0]!]: new Tensor('float32', sam3PixelValues(image), [
              1,
              3,
              SAM3_SIDE,
              SAM3_SIDE,
            ]),
          };
    const out = await this.run('vision', feed);
    const tensors: Sam3ImageFeatures['tensors'] = {};
    for (const name of this.contract.outputs.vision)
      tensors[name] = { data: out[name]!.data as Float32Array, dims: out[name]!.dims };
    return { tensors, originalSize: [image.height, image.width] };
  }

  /**
   * One decoder call: the image's features, the text's encoding and the exemplars (usls: any number; samexporter:
   * at most one, the caller splits; sam3-text: none).
   */
  async decode(image: Sam3ImageFeatures, text: Feeds, exemplars: Exemplar[]): Promise<Sam3Raw> {
    const feeds: Feeds = { ...text };
    for (const [name, t] of Object.entries(image.tensors))
      feeds[name] = new Tensor('float32', t.data, t.dims as number[]);
    const [h, w] = image.originalSize;
    if (this.layout === 'sam3-usls') {
      // Text alone: one ignored box [0,0,0,0] labelled −10, as the reference processor pads.
      const boxes = exemplars.length ? exemplars : undefined;
      feeds.input_boxes = new Tensor(
        'float32',
        Float32Array.from(boxes ? boxes.flatMap((e) => e.box) : [0, 0, 0, 0]),
        [1, boxes?.length ?? 1, 4],
      );
      feeds.input_boxes_labels = new Tensor(
        'int64',
        BigInt64Array.from(boxes ? boxes.map((e) => (e.positive ? 1n : 0n)) : [-10n]),
        [1, boxes?.length ?? 1],
      );
    } else if (this.layout === 'sam3-samexporter') {
      const e = exemplars[0];
      feeds.original_height = new Tensor('int64', BigInt64Array.from([BigInt(h)]), []);
      feeds.original_width = new Tensor('int64', BigInt64Array.from([BigInt(w)]), []);
      feeds.box_coords = new Tensor('float32', Float32Array.from(e ? e.box : [0, 0, 0, 0]), [1, 1, 4]);
      feeds.box_labels = new Tensor('int64', BigInt64Array.from([e && !e.positive ? 0n : 1n]), [1, 1]);
      feeds.box_masks = new Tensor('bool', Uint8Array.from([e ? 0 : 1]), [1, 1]); // True = no box
    }
    const out = await this.run('decoder', feeds);
    if (this.layout === 'sam3-samexporter') {
      const masks = out.masks!;
      return {
        kind: 'final',
        boxes: out.boxes!.data as Float32Array,
        scores: out.scores!.data as Float32Array,
        masks: masks.data as Uint8Array,
      };
    }
    const m = out.pred_masks!.dims;
    return {
      kind: 'queries',
      masks: out.pred_masks!.data as Float32Array,
      boxes: out.pred_boxes!.data as Float32Array,
      logits: out.pred_logits!.data as Float32Array,
      ...(out.presence_logits ? { presence: (out.presence_logits.data as Float32Array)[0]! } : {}),
      maskSize: [m[m.length - 2]!, m[m.length - 1]!],
    };
  }
}
