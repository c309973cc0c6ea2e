import { existsSync, readdirSync, statSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { basename, dirname, extname, join, relative } from 'node:path';
import {
  DatasetFormatError,
  DatasetInvalidError,
  imageSize,
  type Mask,
  MaskSizeMismatchError,
  readMask,
  union,
  writeMask,
} from '@segkit/core';
import { maskToSegmentation, segmentationStats, segmentationToMask } from './masks.js';
import { writeDirectoryAtomic } from './output-dir.js';
import type { Annotation, Category, Dataset, DatasetImage } from './types.js';

const IMAGE_EXT = ['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.bmp'];
/** Label used for masks stored directly in `masks/<stem>.png`. */
export const SINGLE_LABEL = 'foreground';

const stem = (f: string) => basename(f, extname(f));

/**
 * Reads a folder of binary PNG masks: `images/<stem>.<ext>` and `masks/<label>/<stem>.png`
 * (or `masks/<stem>.png` for a single label, named `foreground`). Each (image, label) mask becomes one annotation.
 */
export async function readMaskFolders(dir: string): Promise<Dataset> {
  const imageRoot = join(dir, 'images');
  const maskRoot = join(dir, 'masks');
  if (!existsSync(imageRoot) || !existsSync(maskRoot))
    throw new DatasetFormatError(`${dir} needs images/ and masks/ folders`);
  const imageFiles = readdirSync(imageRoot)
    .filter((f) => IMAGE_EXT.includes(extname(f).toLowerCase()))
    .sort();
  const images: DatasetImage[] = [];
  const byStem = new Map<string, DatasetImage>();
  for (const [k, file] of imageFiles.entries()) {
    const { width, height } = await imageSize(join(imageRoot, file));
    const img = { id: k + 1, file, width, height };
    images.push(img);
    byStem.set(stem(file), img);
  }
  const labelDirs = readdirSync(maskRoot)
    .filter((f) => statSync(join(maskRoot, f)).isDirectory())
    .sort();
  const sources: { label: string; file: string }[] = [
    ...readdirSync(maskRoot)
      .filter((f) => f.endsWith('.png'))
      .map((f) => ({ label: SINGLE_LABEL, file: join(maskRoot, f) })),
    ...labelDirs.flatMap((label) =>
      readdirSync(join(maskRoot, label))
        .filter((f) => f.endsWith('.png'))
        .sort()
        .map((f) => ({ label, file: join(maskRoot, label, f) })),
    ),
  ];
  const categories: Category[] = [...new Set(sources.map((s) => s.label))].map((name, i) => ({
    id: i + 1,
    name,
  }));
  const catId = new Map(categories.map((c) => [c.name, c.id]));
  const annotations: Annotation[] = [];
  const warnings: string[] = [];
  for (const { label, file } of sources) {
    const img = byStem.get(stem(file));
    if (!img) {
      warnings.push(`${relative(dir, file)}: no image named ${stem(file)}.* in images/; skipped`);
      continue;
    }
    const mask = await readMask(file);
    if (mask.width !== img.width || mask.height !== img.height) {
      throw new MaskSizeMismatchError(
        `${relative(dir, file)} is ${mask.width}×${mask.height} but ${img.file} is ${img.width}×${img.height}`,
      );
    }
    const seg = maskToSegmentation(mask, { rle: true });
    annotations.push({
      id: annotations.length + 1,
      imageId: img.id,
      categoryId: catId.get(label)!,
      segmentation: seg,
      ...segmentationStats(seg, img),
      iscrowd: false,
      source: 'user',
      promptType: 'segment',
    });
  }
  return { imageRoot, images, categories, annotations, warnings };
}

/** Writes `images/` and `masks/<label>/<image-stem>.png`: per image and label, the union of its masks. */
export async function writeMaskFolders(ds: Dataset, out: string): Promise<void> {
  // The layout is flat (images/<stem>.*, masks/<label>/<stem>.png): two images with one stem would overwrite.
  const byStem = new Map<string, string>();
  for (const img of ds.images) {
    const other = byStem.get(stem(img.file));
    if (other)
      throw new DatasetInvalidError(
        `${other} and ${img.file} share the name ${stem(img.file)}; the masks format needs unique image names (convert to coco instead)`,
      );
    byStem.set(stem(img.file), img.file);
  }
  const catName = new Map(ds.categories.map((c) => [c.id, c.name]));
  await writeDirectoryAtomic(out, async (dir) => {
    const merged = new Map<string, { img: DatasetImage; label: string; mask: Mask }>();
    const imageById = new Map(ds.images.map((i) => [i.id, i]));
    for (const a of ds.annotations) {
      if (!a.segmentation) continue;
      const img = imageById.get(a.imageId)!;
      const label = catName.get(a.categoryId)!;
      const key = `${label}\n${img.id}`;
      const mask = segmentationToMask(a.segmentation, img);
      const prev = merged.get(key);
      merged.set(key, { img, label, mask: prev ? union(prev.mask, mask) : mask });
    }
    for (const img of ds.images) {
      const dest = join(dir, 'images', basename(img.file));
      await mkdir(dirname(dest), { recursive: true });
      await copyFile(join(ds.imageRoot, img.file), dest);
    }
    for (const { img, label, mask } of merged.values()) {
      const dest = join(dir, 'masks', safeLabel(label), `${stem(img.file)}.png`);
      await mkdir(dirname(dest), { recursive: true });
      await writeMask(dest, mask);
    }
    return {
      format: 'masks',
      counts: { images: ds.images.length, categories: ds.categories.length, masks: merged.size },
    };
  });
}

/** A label usable as a folder name. */
const safeLabel = (label: string) => label.replace(/[/\\:*?"<>|\0]/g, '_').replace(/^\.+$/, '_');
