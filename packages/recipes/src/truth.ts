// The labelled images a recipe is mined on: each image's file, size and instances per class, and the seeded
// train/validation split (the same on every run with the same seed and share).
import { join } from 'node:path';
import {
  compressRle,
  InvalidArgumentError,
  type ParsedRle,
  parseRle,
  type RleCompressed,
} from '@segkit/core';
import { type Dataset, readDataset, segmentationToRle, splitImages } from '@segkit/datasets';
import type { ImageSource } from './runner.js';

/** One labelled image: its file, and its instances of each class (masks as COCO RLE). */
export interface TruthImage {
  id: number;
  /** The image file, or a server's blob. */
  path: ImageSource;
  width: number;
  height: number;
  split: 'train' | 'val';
  instances: Map<string, RleCompressed[]>;
}

export interface Truth {
  images: TruthImage[];
  classes: string[];
}

/** Labelled images before the split: what a server gives from a project's annotations. */
export interface LabelledImages {
  images: Omit<TruthImage, 'split'>[];
}

/** Splits labelled images: `val` of them (0 < val < 1, default 0.2) for validation, seeded by `seed` (default 42). */
export function splitTruth(source: LabelledImages, opts: { val?: number; seed?: number } = {}): Truth {
  const val = opts.val ?? 0.2;
  if (!(val > 0 && val < 1))
    throw new InvalidArgumentError(
      `Expected a validation share between 0 and 1 for --val but received ${val}`,
    );
  const labelled = source.images.flatMap((img) =>
    [...img.instances].filter(([, list]) => list.length).map(([label]) => ({ imageId: img.id, label })),
  );
  if (!labelled.length)
    throw new InvalidArgumentError('There are no instance masks: a recipe is mined from labelled masks');
  const split = splitImages(
    labelled,
    source.images.map((i) => i.id),
    { seed: opts.seed ?? 42, ratios: [1 - val, val, 0] },
  );
  return {
    images: source.images.map((img) => ({ ...img, split: split.get(img.id) === 'val' ? 'val' : 'train' })),
    classes: [...new Set(labelled.map((l) => l.label))].sort(),
  };
}

/**
 * Reads a dataset folder (COCO, YOLO-seg, mask folders) or takes one in memory, and splits its images (see
 * {@link splitTruth}). Boxes without masks and crowd regions are left out.
 */
export async function readTruth(
  source: string | Dataset,
  opts: { val?: number; seed?: number } = {},
): Promise<Truth> {
  const ds = typeof source === 'string' ? await readDataset(source) : source;
  const names = new Map(ds.categories.map((c) => [c.id, c.name]));
  const images: Omit<TruthImage, 'split'>[] = ds.images.map((img) => ({
    id: img.id,
    path: join(ds.imageRoot, img.file),
    width: img.width,
    height: img.height,
    instances: new Map(),
  }));
  const byId = new Map(images.map((i) => [i.id, i]));
  const dsImage = new Map(ds.images.map((i) => [i.id, i]));
  for (const a of ds.annotations) {
    const img = byId.get(a.imageId);
    if (!img || !a.segmentation || a.iscrowd) continue;
    const name = names.get(a.categoryId) ?? String(a.categoryId);
    const list = img.instances.get(name) ?? [];
    list.push(compressRle(segmentationToRle(a.segmentation, dsImage.get(a.imageId)!)));
    img.instances.set(name, list);
  }
  return splitTruth({ images }, opts);
}

/** The instances of one class in an image, parsed once for IoU. */
export const truthOf = (img: TruthImage, className: string): ParsedRle[] =>
  (img.instances.get(className) ?? []).map((r) => parseRle(r));
