import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import {
  compressRle,
  DatasetFormatError,
  FileNotFoundError,
  InvalidArgumentError,
  loadImage,
  type Mask,
  type Rle,
} from '@segkit/core';
import { readCoco } from './coco.js';
import { readDetections } from './coco-ap-report.js';
import { readManifest } from './manifest.js';
import { segmentationsToMask } from './masks.js';
import type { DatasetImage, Segmentation } from './types.js';

/** A prediction or ground truth for one (label, image stem): a binary mask or a probability map (0–1). */
export type MaskValue =
  | { kind: 'mask'; mask: Mask }
  | { kind: 'prob'; width: number; height: number; prob: Float32Array };

/** Masks keyed by `label` and image stem, loaded on demand. */
export interface MaskSource {
  keys: { label: string; stem: string }[];
  load(label: string, stem: string): Promise<MaskValue | undefined>;
  /** Where the original image of a stem is, when known (for report panels). */
  imagePath(stem: string): string | undefined;
}

const stemOf = (f: string) => basename(f, extname(f));
const keyOf = (label: string, stem: string) => `${label}\n${stem}`;

/** Reads a mask PNG as a binary mask, or as a probability map (value / 255) when it holds other values than 0 and 255. */
async function loadMaskFile(path: string): Promise<MaskValue> {
  const img = await loadImage(path);
  const n = img.width * img.height;
  let binary = true;
  for (let i = 0; i < n && binary; i++) {
    const v = img.data[i * 3]!;
    if (v !== 0 && v !== 255) binary = false;
  }
  if (binary) {
    const data = new Uint8Array(n);
    for (let i = 0; i < n; i++) data[i] = img.data[i * 3]! >= 128 ? 1 : 0;
    return { kind: 'mask', mask: { width: img.width, height: img.height, data } };
  }
  const prob = new Float32Array(n);
  for (let i = 0; i < n; i++) prob[i] = img.data[i * 3]! / 255;
  return { kind: 'prob', width: img.width, height: img.height, prob };
}

/** Label used when a mask folder holds `<stem>.png` files directly. */
export const DEFAULT_LABEL = 'foreground';

/**
 * A folder of masks: `<label>/<image-stem>.png`, or `<image-stem>.png` directly for a single label.
 * Pixel values other than 0 and 255 make a file a probability map (value / 255).
 */
export function maskFolderSource(dir: string, imagesDir?: string): MaskSource {
  const files = new Map<string, string>();
  const keys: MaskSource['keys'] = [];
  const add = (label: string, path: string) => {
    const stem = stemOf(path);
    files.set(keyOf(label, stem), path);
    keys.push({ label, stem });
  };
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory())
      for (const f of readdirSync(p)
        .filter((x) => x.endsWith('.png'))
        .sort())
        add(e, join(p, f));
    else if (e.endsWith('.png')) add(DEFAULT_LABEL, p);
  }
  return {
    keys,
    async load(label, stem) {
      const path = files.get(keyOf(label, stem));
      return path ? loadMaskFile(path) : undefined;
    },
    imagePath(stem) {
      if (!imagesDir || !existsSync(imagesDir)) return undefined;
      const f = readdirSync(imagesDir).find((x) => stemOf(x) === stem);
      return f ? join(imagesDir, f) : undefined;
    },
  };
}

/** A COCO file (or folder with annotations.json): per image and category name, the union of its masks. */
export async function cocoSource(path: string): Promise<MaskSource> {
  const json = statSync(path).isDirectory() ? join(path, 'annotations.json') : path;
  const ds = await readCoco(json);
  const catName = new Map(ds.categories.map((c) => [c.id, c.name]));
  const imageById = new Map(ds.images.map((i) => [i.id, i]));
  const groups = new SegmentationGroups();
  for (const a of ds.annotations) {
    if (!a.segmentation) continue;
    groups.add(catName.get(a.categoryId)!, imageById.get(a.imageId)!, a.segmentation);
  }
  return groups.source(ds);
}

/** Segmentations grouped by label and image stem; their source answers the union of each group's masks. */
class SegmentationGroups {
  private readonly groups = new Map<string, { image: DatasetImage; segs: Segmentation[] }>();

  add(label: string, image: DatasetImage, seg: Segmentation) {
    const k = keyOf(label, stemOf(image.file));
    const g = this.groups.get(k);
    if (g) g.segs.push(seg);
    else this.groups.set(k, { image, segs: [seg] });
  }

  source(ds: { images: DatasetImage[]; imageRoot: string }): MaskSource {
    const groups = this.groups;
    return {
      keys: [...groups.keys()].map((k) => {
        const [label, stem] = k.split('\n') as [string, string];
        return { label, stem };
      }),
      async load(label, stem) {
        const g = groups.get(keyOf(label, stem));
        if (!g) return undefined;
        return { kind: 'mask', mask: segmentationsToMask(g.segs, g.image) };
      },
      imagePath(stem) {
        const img = ds.images.find((i) => stemOf(i.file) === stem);
        return img ? join(ds.imageRoot, img.file) : undefined;
      },
    };
  }
}

/**
 * A CSV manifest: each row's `mask_path` is the mask of (`label`, stem of `image_path`); paths are relative to the
 * manifest's own folder (wherever it is read from). Optionally only the rows of one split.
 */
export async function manifestSource(csv: string, split?: string): Promise<MaskSource> {
  const base = dirname(csv);
  const all = await readManifest(csv);
  const rows = all.filter((r) => r.mask_path && (!split || r.split === split));
  if (split && !rows.length) {
    const splits = [...new Set(all.map((r) => r.split).filter(Boolean))];
    throw new InvalidArgumentError(
      `${csv} has no rows with masks in split ${JSON.stringify(split)} (its splits: ${splits.join(', ') || 'none'})`,
    );
  }
  const folder = maskFolderSource(base);
  const files = new Map(rows.map((r) => [keyOf(r.label, stemOf(r.image_path)), r]));
  return {
    keys: rows.map((r) => ({ label: r.label, stem: stemOf(r.image_path) })),
    async load(label, stem) {
      const row = files.get(keyOf(label, stem));
      return row ? loadMaskFile(row.mask_path) : undefined;
    },
    imagePath(stem) {
      const row = rows.find((r) => stemOf(r.image_path) === stem);
      return row ? row.image_path : folder.imagePath(stem);
    },
  };
}

/**
 * Opens `--pred`/`--gt`: a COCO .json, a folder with annotations.json, a manifest .csv, or a mask folder. A
 * manifest keeps only the rows of `split` when one is given.
 */
export async function openMaskSource(path: string, imagesDir?: string, split?: string): Promise<MaskSource> {
  if (!existsSync(path)) throw new FileNotFoundError(`Not found: ${path}`);
  if (statSync(path).isFile()) {
    if (path.endsWith('.json')) return cocoSource(path);
    if (path.endsWith('.csv')) return manifestSource(path, split);
    throw new DatasetFormatError(`${path} is neither a COCO .json nor a folder of masks`);
  }
  if (existsSync(join(path, 'annotations.json'))) return cocoSource(path);
  return maskFolderSource(
    existsSync(join(path, 'masks')) ? join(path, 'masks') : path,
    imagesDir ?? (existsSync(join(path, 'images')) ? join(path, 'images') : undefined),
  );
}

/**
 * A COCO results list as predictions for `segkit eval`: the detections at or above `scoreThreshold`, unioned per
 * label and image, with image names and sizes and label names from the COCO ground truth `gtPath`. A detection of an
 * image or category the ground truth lacks is refused, naming it.
 */
export async function resultsSource(
  path: string,
  gtPath: string,
  scoreThreshold: number,
): Promise<MaskSource> {
  const json = statSync(gtPath).isDirectory() ? join(gtPath, 'annotations.json') : gtPath;
  if (!existsSync(json) || !json.endsWith('.json'))
    throw new DatasetFormatError(
      `A results list needs a COCO --gt (its image and category ids); ${gtPath} is not one`,
    );
  const ds = await readCoco(json);
  const catName = new Map(ds.categories.map((c) => [c.id, c.name]));
  const imageById = new Map(ds.images.map((i) => [i.id, i]));
  const detections = await readDetections(path);
  const groups = new SegmentationGroups();
  for (const [n, d] of detections.entries()) {
    const image = imageById.get(d.image_id);
    if (!image)
      throw new InvalidArgumentError(
        `${path}: detection ${n} has image_id ${d.image_id}, which ${json} has no image of`,
      );
    const label = catName.get(d.category_id);
    if (label === undefined)
      throw new InvalidArgumentError(
        `${path}: detection ${n} has category_id ${d.category_id}, which ${json} has no category of`,
      );
    if ((d.score ?? 0) < scoreThreshold) continue;
    const seg: Segmentation | undefined = Array.isArray(d.segmentation)
      ? { polygons: d.segmentation }
      : d.segmentation
        ? { rle: compressRle(d.segmentation as Rle) }
        : d.bbox
          ? { polygons: [boxPolygon(d.bbox)] }
          : undefined;
    if (seg) groups.add(label, image, seg);
  }
  return groups.source(ds);
}

const boxPolygon = ([x, y, w, h]: number[]) => [x!, y!, x!, y! + h!, x! + w!, y! + h!, x! + w!, y!];
