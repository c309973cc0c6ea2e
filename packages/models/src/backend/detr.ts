// DETR panoptic segmentation through transformers.js.
import { resolve } from 'node:path';
import {
  AutoProcessor,
  DetrForSegmentation,
  type RawImage as HfImage,
  type Tensor,
} from '@huggingface/transformers';
import type { RawImage } from '@segkit/core';
import type { Dtype } from '../types.js';
import { loadError, readModelConfig, toHfImage } from './runtime.js';

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
