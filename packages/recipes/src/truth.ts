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

/** One labelled image: its file, and its instances of each class (masks as COCO RLE). */
export interface TruthImage {
  id: number;
  path: string;
  width: number;
  height: number;
  split: 'train' | 'val';
  instances: Map<string, RleCompressed[]>;
}

export interface Truth {
  images: TruthImage[];
  classes: string[];
}

/**
 * Reads a dataset folder (COCO, YOLO-seg, mask folders) or takes one in memory, and splits its images: `val` of them
 * (0 < val < 1, default 0.2) for validation, seeded by `seed` (default 42). Boxes without masks are left out.
 */
export async function readTruth(
  source: string | Dataset,
  opts: { val?: number; seed?: number } = {},
): Promise<Truth> {
  const val = opts.val ?? 0.2;
  if (!(val > 0 && val < 1))
    throw new InvalidArgumentError(
      `Expected a validation share between 0 and 1 for --val but received ${val}`,
    );
  const ds = typeof source === 'string' ? await readDataset(source) : source;
  const names = new Map(ds.categories.map((c) => [c.id, c.name]));
  const masked = ds.annotations.filter((a) => a.segmentation && !a.iscrowd);
  if (!masked.length)
    throw new InvalidArgumentError(
      'The dataset has no instance masks: a recipe is mined from labelled masks',
    );
  const split = splitImages(
    masked.map((a) => ({ imageId: a.imageId, label: names.get(a.categoryId) ?? String(a.categoryId) })),
    ds.images.map((i) => i.id),
    { seed: opts.seed ?? 42, ratios: [1 - val, val, 0] },
  );
  const images: TruthImage[] = ds.images.map((img) => ({
    id: img.id,
    path: join(ds.imageRoot, img.file),
    width: img.width,
    height: img.height,
    split: split.get(img.id) === 'val' ? 'val' : 'train',
    instances: new Map(),
  }));
  const byId = new Map(images.map((i) => [i.id, i]));
  const dsImage = new Map(ds.images.map((i) => [i.id, i]));
  for (const a of masked) {
    const img = byId.get(a.imageId);
    if (!img) continue;
    const name = names.get(a.categoryId) ?? String(a.categoryId);
    const list = img.instances.get(name) ?? [];
    list.push(compressRle(segmentationToRle(a.segmentation!, dsImage.get(a.imageId)!)));
    img.instances.set(name, list);
  }
  const classes = [...new Set(masked.map((a) => names.get(a.categoryId) ?? String(a.categoryId)))].sort();
  return { images, classes };
}

/** The instances of one class in an image, parsed once for IoU. */
export const truthOf = (img: TruthImage, className: string): ParsedRle[] =>
  (img.instances.get(className) ?? []).map((r) => parseRle(r));
