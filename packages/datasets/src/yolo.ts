import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, extname, join, relative } from 'node:path';
import {
  DatasetFormatError,
  type FlatPolygon,
  imageSize,
  maskToPolygons,
  writeFileAtomic,
} from '@segkit/core';
import YAML from 'yaml';
import { segmentationStats, segmentationToMask } from './masks.js';
import { writeDirectoryAtomic } from './output-dir.js';
import { Problems } from './problems.js';
import type { Annotation, Dataset, DatasetImage } from './types.js';

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.tif', '.tiff']);

/** Class names from `data.yaml` (`names:` as a list or an index map) or a `classes.txt`/`labels.txt` list. */
export function readClassNames(dir: string): string[] {
  for (const f of ['data.yaml', 'data.yml', 'dataset.yaml']) {
    const p = join(dir, f);
    if (!existsSync(p)) continue;
    const doc = YAML.parse(readFileSync(p, 'utf8')) as { names?: string[] | Record<string, string> };
    if (Array.isArray(doc?.names)) return doc.names.map(String);
    if (doc?.names && typeof doc.names === 'object') {
      return Object.entries(doc.names)
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([, v]) => String(v));
    }
    throw new DatasetFormatError(`${p} has no names: list`);
  }
  for (const f of ['classes.txt', 'labels.txt', 'obj.names']) {
    const p = join(dir, f);
    if (existsSync(p))
      return readFileSync(p, 'utf8')
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter(Boolean);
  }
  throw new DatasetFormatError(`${dir} has no data.yaml or classes.txt naming the YOLO classes`);
}

function imageFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && IMAGE_EXT.has(extname(e.name).toLowerCase()))
    .map((e) => relative(root, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}

/**
 * Reads a YOLO detection or YOLO-seg dataset: `images/**`, `labels/**` with one `.txt` per image
 * (`class cx cy w h` boxes or `class x1 y1 x2 y2 ...` polygons, normalised to 0–1) and `data.yaml`.
 */
export async function readYolo(dir: string): Promise<Dataset> {
  const names = readClassNames(dir);
  const imageRoot = join(dir, 'images');
  const files = imageFiles(imageRoot);
  if (!files.length) throw new DatasetFormatError(`${dir}/images holds no images`);
  const p = new Problems();
  const images: DatasetImage[] = [];
  const annotations: Annotation[] = [];
  for (const [k, file] of files.entries()) {
    const { width, height } = await imageSize(join(imageRoot, file));
    const image = { id: k + 1, file, width, height };
    images.push(image);
    const labelFile = join(dir, 'labels', `${file.slice(0, -extname(file).length)}.txt`);
    if (!existsSync(labelFile)) continue;
    const rel = relative(dir, labelFile);
    for (const [n, line] of readFileSync(labelFile, 'utf8').split(/\r?\n/).entries()) {
      const t = line.trim();
      if (!t) continue;
      const nums = t.split(/\s+/).map(Number);
      const cls = nums[0]!;
      const where = `line ${n + 1}`;
      if (nums.some((v) => !Number.isFinite(v))) {
        p.add(rel, where, 'holds a non-number');
        continue;
      }
      if (!Number.isInteger(cls) || cls < 0 || cls >= names.length) {
        p.add(rel, where, `class ${cls} is not in data.yaml (0–${names.length - 1})`);
        continue;
      }
      const base = {
        id: annotations.length + 1,
        imageId: image.id,
        categoryId: cls,
        iscrowd: false,
        source: 'user' as const,
        promptType: 'segment' as const,
      };
      if (nums.length === 5) {
        const [, cx, cy, w, h] = nums as [number, number, number, number, number];
        const bbox: [number, number, number, number] = [
          (cx - w / 2) * width,
          (cy - h / 2) * height,
          w * width,
          h * height,
        ];
        annotations.push({ ...base, bbox, area: bbox[2] * bbox[3] });
      } else if (nums.length >= 7 && nums.length % 2 === 1) {
        const poly = nums.slice(1).map((v, i) => v * (i % 2 ? height : width));
        const seg = { polygons: [poly] };
        annotations.push({ ...base, segmentation: seg, ...segmentationStats(seg, image) });
      } else {
        p.add(
          rel,
          where,
          `expected "class cx cy w h" or "class x1 y1 x2 y2 x3 y3 ...", got ${nums.length} numbers`,
        );
      }
    }
  }
  p.throwIfAny();
  return {
    imageRoot,
    images,
    categories: names.map((name, id) => ({ id, name })),
    annotations,
    warnings: p.warnings,
  };
}

const fmt = (v: number) => Number(v.toFixed(6)).toString();

/**
 * Writes YOLO (`seg: false`, boxes) or YOLO-seg (`seg: true`, one polygon per part). Classes are numbered in
 * category-id order. Holes cannot be expressed in YOLO-seg; masks with holes are written without them and counted.
 */
export async function writeYolo(
  ds: Dataset,
  out: string,
  opts: { seg: boolean },
): Promise<{ holesDropped: number }> {
  const cats = [...ds.categories].sort((a, b) => a.id - b.id);
  const classOf = new Map(cats.map((c, i) => [c.id, i]));
  let holesDropped = 0;
  await writeDirectoryAtomic(out, async (dir) => {
    const byImage = new Map<number, Annotation[]>();
    for (const a of ds.annotations) byImage.set(a.imageId, [...(byImage.get(a.imageId) ?? []), a]);
    for (const img of ds.images) {
      const dest = join(dir, 'images', img.file);
      await mkdir(dirname(dest), { recursive: true });
      await copyFile(join(ds.imageRoot, img.file), dest);
      const lines: string[] = [];
      for (const a of byImage.get(img.id) ?? []) {
        const cls = classOf.get(a.categoryId)!;
        const polys: FlatPolygon[] = [];
        if (opts.seg && a.segmentation) {
          if ('polygons' in a.segmentation) polys.push(...a.segmentation.polygons);
          else {
            const rings = maskToPolygons(segmentationToMask(a.segmentation, img));
            if (rings.some((r) => r.type === 'hole')) holesDropped++;
            polys.push(...rings.filter((r) => r.type === 'outer').map((r) => r.points));
          }
        }
        if (opts.seg && polys.length) {
          for (const poly of polys)
            lines.push([cls, ...poly.map((v, i) => fmt(v / (i % 2 ? img.height : img.width)))].join(' '));
        } else {
          const [x, y, w, h] = a.bbox;
          lines.push(
            [
              cls,
              fmt((x + w / 2) / img.width),
              fmt((y + h / 2) / img.height),
              fmt(w / img.width),
              fmt(h / img.height),
            ].join(' '),
          );
        }
      }
      const label = join(dir, 'labels', `${img.file.slice(0, -extname(img.file).length)}.txt`);
      await mkdir(dirname(label), { recursive: true });
      await writeFileAtomic(label, lines.length ? `${lines.join('\n')}\n` : '');
    }
    await writeFileAtomic(
      join(dir, 'data.yaml'),
      YAML.stringify({ path: '.', train: 'images', val: 'images', names: cats.map((c) => c.name) }),
    );
    return {
      format: opts.seg ? 'yolo-seg' : 'yolo',
      counts: { images: ds.images.length, categories: cats.length, annotations: ds.annotations.length },
      holesDropped,
    };
  });
  return { holesDropped };
}
