import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  type Box,
  compressRle,
  FileNotFoundError,
  type FlatPolygon,
  polygonsToRle,
  type RleCompressed,
  readJsonFile,
  rleArea,
  rleCounts,
  safeRelativePath,
  writeFileAtomic,
} from '@segkit/core';
import { segmentationStats, simplePolygonOfRle } from './masks.js';
import { writeDirectoryAtomic } from './output-dir.js';
import { Problems } from './problems.js';
import type {
  Annotation,
  AnnotationSource,
  Category,
  Dataset,
  DatasetImage,
  PromptType,
  Segmentation,
} from './types.js';

/** The COCO instances JSON SegKit writes (standard fields, plus `source`/`prompt_type`/`attributes` on annotations). */
export interface CocoJson {
  info?: Record<string, unknown>;
  images: { id: number; file_name: string; width: number; height: number }[];
  categories: { id: number; name: string; supercategory?: string }[];
  annotations: {
    id: number;
    image_id: number;
    category_id: number;
    bbox: Box;
    area: number;
    iscrowd: 0 | 1;
    segmentation?: FlatPolygon[] | RleCompressed;
    score?: number;
    source?: AnnotationSource;
    prompt_type?: PromptType;
    attributes?: Record<string, unknown>;
  }[];
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads a COCO instances JSON. Image `file_name`s are resolved against `imageRoot` (default: the JSON's folder, or
 * its `images/` subfolder when the files are there). Every problem is collected and reported together
 * (`E_DATASET_INVALID`); boxes outside their image are clipped and counted as warnings.
 */
export async function readCoco(jsonPath: string, opts: { imageRoot?: string } = {}): Promise<Dataset> {
  const json = await readJsonFile(jsonPath);
  const ds = cocoToDataset(json, basename(jsonPath), opts.imageRoot ?? dirname(jsonPath));
  if (!opts.imageRoot && ds.images.length && !existsSync(join(ds.imageRoot, ds.images[0]!.file))) {
    const alt = join(dirname(jsonPath), 'images');
    if (existsSync(join(alt, ds.images[0]!.file))) ds.imageRoot = alt;
  }
  return ds;
}

/** Validates parsed COCO JSON and converts it to a {@link Dataset}. `file` names the source in problems. */
export function cocoToDataset(json: unknown, file: string, imageRoot: string): Dataset {
  const p = new Problems();
  if (!isObj(json)) {
    p.add(file, '$', 'expected a JSON object with images, categories and annotations');
    p.throwIfAny();
  }
  const root = json as Record<string, unknown>;
  const arr = (key: string): unknown[] => {
    if (root[key] === undefined) return [];
    if (!Array.isArray(root[key])) {
      p.add(file, `$.${key}`, 'must be an array');
      return [];
    }
    return root[key] as unknown[];
  };
  const images: DatasetImage[] = [];
  const imageById = new Map<number, DatasetImage>();
  for (const [i, raw] of arr('images').entries()) {
    const at = `$.images[${i}]`;
    if (!isObj(raw)) {
      p.add(file, at, 'must be an object');
      continue;
    }
    const { id, file_name, width, height } = raw;
    if (!isInt(id)) {
      p.add(file, `${at}.id`, 'must be an integer');
      continue;
    }
    if (imageById.has(id)) {
      p.add(file, `${at}.id`, `duplicate image id ${id}`);
      continue;
    }
    if (!isInt(width) || !isInt(height) || width <= 0 || height <= 0) {
      p.add(file, at, 'width and height must be positive integers');
      continue;
    }
    // An unsafe path is a hard error of its own (E_UNSAFE_PATH), not one problem among others.
    const safe = safeRelativePath(String(file_name), `${file} ${at}.file_name`);
    const img = { id, file: safe, width, height };
    images.push(img);
    imageById.set(id, img);
  }
  const categories: Category[] = [];
  const catIds = new Set<number>();
  for (const [i, raw] of arr('categories').entries()) {
    const at = `$.categories[${i}]`;
    if (!isObj(raw)) {
      p.add(file, at, 'must be an object');
      continue;
    }
    if (!isInt(raw.id)) {
      p.add(file, `${at}.id`, 'must be an integer');
      continue;
    }
    if (catIds.has(raw.id)) {
      p.add(file, `${at}.id`, `duplicate category id ${raw.id}`);
      continue;
    }
    if (typeof raw.name !== 'string' || !raw.name) {
      p.add(file, `${at}.name`, 'must be a non-empty string');
      continue;
    }
    catIds.add(raw.id);
    categories.push({
      id: raw.id,
      name: raw.name,
      ...(typeof raw.supercategory === 'string' ? { supercategory: raw.supercategory } : {}),
    });
  }
  const annotations: Annotation[] = [];
  const annIds = new Set<number>();
  for (const [i, raw] of arr('annotations').entries()) {
    const at = `$.annotations[${i}]`;
    if (!isObj(raw)) {
      p.add(file, at, 'must be an object');
      continue;
    }
    const before = p.list.length;
    if (!isInt(raw.id)) p.add(file, `${at}.id`, 'must be an integer');
    else if (annIds.has(raw.id)) p.add(file, `${at}.id`, `duplicate annotation id ${raw.id}`);
    const image = isInt(raw.image_id) ? imageById.get(raw.image_id) : undefined;
    if (!image) p.add(file, `${at}.image_id`, `image ${JSON.stringify(raw.image_id)} does not exist`);
    if (!isInt(raw.category_id) || !catIds.has(raw.category_id))
      p.add(file, `${at}.category_id`, `category ${JSON.stringify(raw.category_id)} is not defined`);
    if (p.list.length > before || !image) continue;
    annIds.add(raw.id as number);
    const seg = parseSegmentation(raw.segmentation, image, `${at}.segmentation`, file, p);
    if (seg === null) continue;
    let bbox =
      Array.isArray(raw.bbox) &&
      raw.bbox.length === 4 &&
      raw.bbox.every((v) => typeof v === 'number' && Number.isFinite(v))
        ? (raw.bbox as Box)
        : undefined;
    const stats = seg ? segmentationStats(seg, image) : undefined;
    if (!bbox && raw.bbox !== undefined) {
      p.add(file, `${at}.bbox`, 'must be [x, y, w, h] numbers');
      continue;
    }
    bbox ??= stats?.bbox;
    if (!bbox) {
      p.add(file, at, 'needs a bbox or a segmentation');
      continue;
    }
    const clipped = clipBox(bbox, image);
    if (clipped.join() !== bbox.join())
      p.warn(
        file,
        `${at}.bbox`,
        `[${bbox.join(', ')}] lies outside the ${image.width}×${image.height} image; clipped`,
      );
    annotations.push({
      id: raw.id as number,
      imageId: image.id,
      categoryId: raw.category_id as number,
      bbox: clipped,
      ...(seg ? { segmentation: seg } : {}),
      area: typeof raw.area === 'number' ? raw.area : (stats?.area ?? clipped[2] * clipped[3]),
      iscrowd: raw.iscrowd === 1,
      ...(typeof raw.score === 'number' ? { score: raw.score } : {}),
      source: raw.source === 'model' ? 'model' : 'user',
      promptType:
        raw.prompt_type === 'positive_exemplar' || raw.prompt_type === 'negative_exemplar'
          ? raw.prompt_type
          : 'segment',
      ...(isObj(raw.attributes) ? { attributes: raw.attributes } : {}),
    });
  }
  p.throwIfAny();
  return { imageRoot, images, categories, annotations, warnings: p.warnings };
}

/** Parses a COCO segmentation; returns null (after recording a problem) when it is malformed. */
function parseSegmentation(
  raw: unknown,
  image: DatasetImage,
  at: string,
  file: string,
  p: Problems,
): Segmentation | undefined | null {
  if (raw === undefined || (Array.isArray(raw) && raw.length === 0)) return undefined;
  if (Array.isArray(raw)) {
    let ok = true;
    raw.forEach((poly, k) => {
      if (
        !Array.isArray(poly) ||
        !poly.every((v) => typeof v === 'number' && Number.isFinite(v)) ||
        poly.length % 2
      ) {
        p.add(file, `${at}[${k}]`, 'must be a flat [x1, y1, x2, y2, ...] list of numbers');
        ok = false;
      } else if (poly.length < 6) {
        p.add(file, `${at}[${k}]`, `polygon has ${poly.length / 2} points; at least 3 are needed`);
        ok = false;
      }
    });
    return ok ? { polygons: raw as FlatPolygon[] } : null;
  }
  if (isObj(raw) && Array.isArray(raw.size)) {
    const [h, w] = raw.size as number[];
    if (h !== image.height || w !== image.width) {
      p.add(
        file,
        `${at}.size`,
        `RLE size [${h}, ${w}] differs from image ${image.id} (${image.height}×${image.width})`,
      );
      return null;
    }
    try {
      const rle = { size: [h, w] as [number, number], counts: raw.counts as string | number[] };
      rleCounts(rle);
      return { rle: compressRle(rle) };
    } catch (e) {
      p.add(file, at, (e as Error).message);
      return null;
    }
  }
  p.add(file, at, 'must be a list of polygons or an RLE object');
  return null;
}

function clipBox([x, y, w, h]: Box, img: DatasetImage): Box {
  const x0 = Math.min(Math.max(x, 0), img.width);
  const y0 = Math.min(Math.max(y, 0), img.height);
  const x1 = Math.min(Math.max(x + w, 0), img.width);
  const y1 = Math.min(Math.max(y + h, 0), img.height);
  return [x0, y0, x1 - x0, y1 - y0];
}

/**
 * Converts a dataset to COCO JSON. Polygons stay polygons; RLE masks go out as a single polygon when they are one
 * part without holes (exact under pycocotools), and as RLE otherwise. `rle: true` writes every mask as RLE.
 */
/**
 * Annotations whose mask is blank (a segmentation of area 0). COCO files leave them out: COCOeval can never match
 * one (an empty mask's IoU is 0), so a blank mask counted as ground truth lowers AP even for perfect detections.
 */
export function blankAnnotations(ds: Dataset): Set<number> {
  const imageById = new Map(ds.images.map((i) => [i.id, i]));
  const blank = new Set<number>();
  for (const a of ds.annotations) {
    if (!a.segmentation) continue;
    const image = imageById.get(a.imageId)!;
    const rle =
      'polygons' in a.segmentation
        ? polygonsToRle(a.segmentation.polygons, image.height, image.width)
        : a.segmentation.rle;
    if (rleArea(rle) === 0) blank.add(a.id);
  }
  return blank;
}

export function datasetToCoco(ds: Dataset, opts: { rle?: boolean; keepEmpty?: boolean } = {}): CocoJson {
  const imageById = new Map(ds.images.map((i) => [i.id, i]));
  const skip = opts.keepEmpty ? new Set<number>() : blankAnnotations(ds);
  return {
    info: { description: 'Exported by SegKit' },
    images: ds.images.map((i) => ({ id: i.id, file_name: i.file, width: i.width, height: i.height })),
    categories: ds.categories.map((c) => ({
      id: c.id,
      name: c.name,
      ...(c.supercategory ? { supercategory: c.supercategory } : {}),
    })),
    annotations: ds.annotations
      .filter((a) => !skip.has(a.id))
      .map((a) => {
        const image = imageById.get(a.imageId)!;
        let segmentation: FlatPolygon[] | RleCompressed | undefined;
        if (a.segmentation) {
          const wantRle = opts.rle || a.iscrowd;
          if ('polygons' in a.segmentation) {
            segmentation = wantRle
              ? polygonsToRle(a.segmentation.polygons, image.height, image.width)
              : a.segmentation.polygons;
          } else {
            // An RLE mask goes out as one polygon when that is exact; otherwise its RLE is kept as it is.
            const poly = wantRle ? undefined : simplePolygonOfRle(a.segmentation.rle);
            segmentation = poly ? [poly] : a.segmentation.rle;
          }
        }
        return {
          id: a.id,
          image_id: a.imageId,
          category_id: a.categoryId,
          bbox: a.bbox,
          area: a.area,
          iscrowd: a.iscrowd ? 1 : 0,
          ...(segmentation ? { segmentation } : {}),
          ...(a.score !== undefined ? { score: a.score } : {}),
          source: a.source,
          prompt_type: a.promptType,
          ...(a.attributes ? { attributes: a.attributes } : {}),
        };
      }),
  };
}

/** Copies the dataset's image files into `dir/images/`, keeping their relative paths. */
export async function copyImages(ds: Dataset, dir: string): Promise<void> {
  for (const img of ds.images) {
    const src = join(ds.imageRoot, img.file);
    if (!existsSync(src)) throw new FileNotFoundError(`Image file not found: ${src}`);
    const dest = join(dir, 'images', img.file);
    await mkdir(dirname(dest), { recursive: true });
    await copyFile(src, dest);
  }
}

/** Writes `out/annotations.json` and `out/images/`, atomically, with a manifest. */
export async function writeCoco(
  ds: Dataset,
  out: string,
  opts: { rle?: boolean; keepEmpty?: boolean } = {},
): Promise<void> {
  await writeDirectoryAtomic(out, async (dir) => {
    await copyImages(ds, dir);
    await writeFileAtomic(join(dir, 'annotations.json'), JSON.stringify(datasetToCoco(ds, opts)));
    return summary('coco', ds);
  });
}

/** Counts for `manifest.json`. */
export function summary(format: string, ds: Dataset): Record<string, unknown> {
  return {
    format,
    counts: {
      images: ds.images.length,
      categories: ds.categories.length,
      annotations: ds.annotations.length,
    },
  };
}
