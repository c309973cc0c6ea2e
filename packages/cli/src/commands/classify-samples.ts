// A dataset (any format SegKit reads) as labelled samples for a classifier head, each with its split: the dataset's
// own (Roboflow folders, manifests) or the seeded label-aware split of `segkit dataset split`.
import { join } from 'node:path';
import type { Sample } from '@segkit/analytics';
import { InvalidArgumentError, maskToRle } from '@segkit/core';
import { readDataset, segmentationToMask, splitImages } from '@segkit/datasets';

export async function datasetSamples(
  path: string,
  opts: { val: number; test: number; seed: number },
): Promise<{ samples: Sample[]; images: number; splitFrom: 'dataset' | 'seeded' }> {
  const ds = await readDataset(path);
  const names = new Map(ds.categories.map((c) => [c.id, c.name]));
  const byId = new Map(ds.images.map((i) => [i.id, i]));
  const own = ds.images.some((i) => i.split);
  const split: Map<number, string> = own
    ? new Map(ds.images.map((i) => [i.id, i.split ?? 'train']))
    : splitImages(
        ds.annotations.map((a) => ({
          imageId: a.imageId,
          label: names.get(a.categoryId) ?? String(a.categoryId),
        })),
        ds.images.map((i) => i.id),
        { seed: opts.seed, ratios: [1 - opts.val - opts.test, opts.val, opts.test] },
      );
  const samples: Sample[] = [];
  for (const a of ds.annotations) {
    const image = byId.get(a.imageId);
    const label = names.get(a.categoryId);
    if (!image || !label || a.promptType !== 'segment') continue;
    const sample: Sample = {
      image: join(ds.imageRoot, image.file),
      label,
      bbox: a.bbox,
      split: split.get(image.id) ?? 'train',
    };
    if (a.segmentation) sample.rle = maskToRle(segmentationToMask(a.segmentation, image));
    samples.push(sample);
  }
  if (!samples.length) throw new InvalidArgumentError(`${path} has no labelled boxes or masks`);
  return { samples, images: ds.images.length, splitFrom: own ? 'dataset' : 'seeded' };
}
