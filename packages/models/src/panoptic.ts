import {
  type Box,
  bbox,
  type ImageInput,
  InvalidArgumentError,
  type Mask,
  type RawImage,
  toRawImage,
} from '@segkit/core';
import { DetrBackend } from './backend/detr.js';
import { cachedBackend } from './backend-cache.js';
import { cocoPanopticCategories, panopticLabel } from './coco-panoptic.js';

/** One panoptic segment at the original image size. */
export interface PanopticSegment {
  label: string;
  labelId: number;
  score: number;
  mask: Mask;
  bbox: Box;
  area: number;
  /** True for countable things (person, car), false for stuff (sky, grass). */
  isThing: boolean;
}

export interface PanopticOptions {
  /** Model reference (default `detr-panoptic`). */
  model?: string;
  /** Minimum class score of a segment (default 0.85, as DETR's panoptic pipeline uses). */
  threshold?: number;
}

/**
 * Panoptic segmentation with DETR: every pixel goes to at most one segment. Labels come from the model's
 * `id2label`; placeholder `LABEL_n` entries fall back to the COCO panoptic taxonomy (133 categories, shipped in
 * `data/`). Stuff classes are fused into one segment per class.
 * @example const segments = await segmentPanoptic('street.jpg'); // [{ label: 'person', isThing: true, mask, ... }]
 */
export async function segmentPanoptic(
  input: ImageInput | RawImage,
  opts: PanopticOptions = {},
): Promise<PanopticSegment[]> {
  const threshold = opts.threshold ?? 0.85;
  if (!(threshold >= 0 && threshold <= 1))
    throw new InvalidArgumentError(`Expected a number in [0, 1] for threshold but received ${threshold}`);
  const backend = await cachedBackend('detr', opts.model ?? 'detr-panoptic', DetrBackend.load);
  const image = await toRawImage(input);
  const stuff = new Set(
    cocoPanopticCategories()
      .filter((c) => c.isthing === 0)
      .map((c) => c.id),
  );
  const { segmentation, segments } = await backend.predict(image, threshold, stuff);
  return segments.map((s) => {
    const data = new Uint8Array(segmentation.length);
    let area = 0;
    for (let i = 0; i < data.length; i++) {
      if (segmentation[i] === s.id) {
        data[i] = 1;
        area++;
      }
    }
    const mask = { width: image.width, height: image.height, data };
    return {
      ...panopticLabel(s.label_id, backend.id2label),
      labelId: s.label_id,
      score: s.score,
      mask,
      bbox: bbox(mask),
      area,
    };
  });
}
