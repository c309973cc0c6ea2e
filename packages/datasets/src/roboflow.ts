import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readCoco } from './coco.js';
import type { Category, Dataset } from './types.js';

/** Roboflow's split folders and the split names SegKit records for them. */
export const ROBOFLOW_SPLITS: [folder: string, split: string][] = [
  ['train', 'train'],
  ['valid', 'val'],
  ['test', 'test'],
];

/** True when `dir` has at least one Roboflow split folder with `_annotations.coco.json`. */
export function isRoboflow(dir: string): boolean {
  return ROBOFLOW_SPLITS.some(([f]) => existsSync(join(dir, f, '_annotations.coco.json')));
}

/**
 * Reads Roboflow's COCO-segmentation export (`train/`, `valid/`, `test/`, each with `_annotations.coco.json` and its
 * images) as one dataset: image and annotation ids are renumbered, categories are unified by name (the first id seen
 * for a name is kept), and every image records its split (`valid` becomes `val`).
 */
export async function readRoboflow(dir: string): Promise<Dataset> {
  const out: Dataset = { imageRoot: dir, images: [], categories: [], annotations: [], warnings: [] };
  const catByName = new Map<string, Category>();
  let nextCat = 0;
  for (const [folder, split] of ROBOFLOW_SPLITS) {
    const json = join(dir, folder, '_annotations.coco.json');
    if (!existsSync(json)) continue;
    const part = await readCoco(json, { imageRoot: join(dir, folder) });
    out.warnings.push(...part.warnings.map((w) => `${folder}/${w}`));
    const catMap = new Map<number, number>();
    for (const c of part.categories) {
      let known = catByName.get(c.name);
      if (!known) {
        const id = out.categories.some((x) => x.id === c.id) ? nextCat : c.id;
        known = { ...c, id };
        catByName.set(c.name, known);
        out.categories.push(known);
      }
      nextCat = Math.max(nextCat, ...out.categories.map((x) => x.id + 1));
      catMap.set(c.id, known.id);
    }
    const imageMap = new Map<number, number>();
    for (const img of part.images) {
      const id = out.images.length + 1;
      imageMap.set(img.id, id);
      out.images.push({ ...img, id, file: `${folder}/${img.file}`, split });
    }
    for (const a of part.annotations) {
      out.annotations.push({
        ...a,
        id: out.annotations.length + 1,
        imageId: imageMap.get(a.imageId)!,
        categoryId: catMap.get(a.categoryId)!,
      });
    }
  }
  return out;
}
