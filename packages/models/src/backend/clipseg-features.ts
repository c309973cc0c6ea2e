// The frozen CLIP backbone of a CLIPSeg model, for decoder training: two graphs cut from onnx/model.onnx, one that
// outputs the vision hidden states the decoder reads (from pixel_values alone) and one that outputs the conditional
// embedding (from the tokens alone). The tokenizer and image processor are transformers.js's, as `segkit text` uses.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AutoProcessor, AutoTokenizer, type Tensor } from '@huggingface/transformers';
import { ModelMissingError, type RawImage } from '@segkit/core';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { type ClipSegGraph, featureGraph, readClipSegGraph } from '../clipseg-train/onnx-graph.js';
import { sessionOptions } from './onnx-open.js';
import { loadError, readModelConfig, toHfImage } from './runtime.js';

type Session = Omit<InferenceSession, 'inputMetadata' | 'outputMetadata'>;

/** What a CLIPSeg config says about the decoder's geometry. */
export interface ClipSegConfig {
  extract_layers: number[];
  reduce_dim: number;
  decoder_num_attention_heads: number;
  decoder_intermediate_size: number;
  conditional_layer: number;
  use_complex_transposed_convolution?: boolean;
  projection_dim: number;
  vision_config: { hidden_size: number; patch_size: number; layer_norm_eps?: number; image_size?: number };
}

export class ClipSegFeatures {
  /** Backbone passes run so far (images), for the cache's "0 passes on a second run" check. */
  imagePasses = 0;

  private constructor(
    readonly dir: string,
    readonly graph: ClipSegGraph,
    readonly config: ClipSegConfig,
    /**
     * SHA-256 of what decides an image's features: the vision feature graph (the backbone's nodes and weights, no
     * decoder weight) and the preprocessor config. A model fine-tuned here shares its base's.
     */
    readonly backboneHash: string,
    private readonly vision: Session,
    private readonly text: Session,
    private readonly tokenizer: Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>,
    private readonly processor: Awaited<ReturnType<typeof AutoProcessor.from_pretrained>>,
  ) {}

  static async load(dir: string): Promise<ClipSegFeatures> {
    const config = readModelConfig(
      dir,
      ['clipseg'],
      'decoder training needs a CLIPSeg model',
    ) as unknown as ClipSegConfig;
    const file = join(dir, 'onnx', 'model.onnx');
    if (!existsSync(file))
      throw new ModelMissingError(
        `${dir} has no onnx/model.onnx: training needs the fp32 weights (a quantized model_quantized.onnx cannot be trained)`,
      );
    const graph = readClipSegGraph(readFileSync(file));
    try {
      const visionGraph = featureGraph(graph.model, graph.hiddenStates);
      const preprocessor = join(dir, 'preprocessor_config.json');
      const backboneHash = createHash('sha256')
        .update(visionGraph)
        .update(existsSync(preprocessor) ? readFileSync(preprocessor) : '')
        .digest('hex');
      const vision = await InferenceSession.create(visionGraph, sessionOptions());
      const text = await InferenceSession.create(
        featureGraph(graph.model, [graph.conditional]),
        sessionOptions(),
      );
      const id = resolve(dir);
      const tokenizer = await AutoTokenizer.from_pretrained(id, { local_files_only: true });
      const processor = await AutoProcessor.from_pretrained(id, { local_files_only: true });
      return new ClipSegFeatures(dir, graph, config, backboneHash, vision, text, tokenizer, processor);
    } catch (e) {
      throw loadError(e, dir);
    }
  }

  /** The model's input size (352 for CLIPSeg rd64). */
  get size(): number {
    return 352;
  }

  /** The hidden states the decoder reads for one image, in decoder order: each [tokens, width], float32. */
  async image(image: RawImage): Promise<Float32Array[]> {
    const { pixel_values } = await (
      this.processor as unknown as (i: ReturnType<typeof toHfImage>) => Promise<Record<string, Tensor>>
    )(toHfImage(image));
    const feeds = {
      pixel_values: new OrtTensor('float32', pixel_values!.data as Float32Array, pixel_values!.dims),
    };
    const out = await this.vision.run(feeds);
    this.imagePasses++;
    return this.graph.hiddenStates.map((name) => out[name]!.data as Float32Array);
  }

  /** The conditional embedding of each text: [texts, projection_dim]. */
  async texts(texts: string[]): Promise<Float32Array> {
    const t = (this.tokenizer as unknown as (t: string[], o: object) => Record<string, Tensor>)(texts, {
      padding: true,
      truncation: true,
    });
    const feeds: Record<string, OrtTensor> = {};
    for (const name of ['input_ids', 'attention_mask'])
      feeds[name] = new OrtTensor('int64', t[name]!.data as BigInt64Array, t[name]!.dims);
    const out = await this.text.run(feeds);
    return out[this.graph.conditional]!.data as Float32Array;
  }
}
