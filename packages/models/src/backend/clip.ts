// CLIP image and text embeddings through transformers.js.
import { resolve } from 'node:path';
import {
  AutoProcessor,
  AutoTokenizer,
  CLIPTextModelWithProjection,
  CLIPVisionModelWithProjection,
  type RawImage as HfImage,
  type Tensor,
} from '@huggingface/transformers';
import type { RawImage } from '@segkit/core';
import type { Dtype } from '../types.js';
import { loadError, readModelConfig, toHfImage } from './runtime.js';

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
