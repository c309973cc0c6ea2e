// CLIPSeg (text-prompted segmentation) through transformers.js.
import { resolve } from 'node:path';
import {
  AutoProcessor,
  AutoTokenizer,
  CLIPSegForImageSegmentation,
  type RawImage as HfImage,
  type Tensor,
} from '@huggingface/transformers';
import type { RawImage } from '@segkit/core';
import type { Dtype } from '../types.js';
import { loadError, readModelConfig, toHfImage } from './runtime.js';

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
