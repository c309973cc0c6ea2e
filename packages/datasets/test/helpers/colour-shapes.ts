// A generated segmentation dataset for text-prompted training: coloured rectangles and discs on noisy grey
// backgrounds, one mask per colour, in a manifest split into train and val. The colours are words the tiny
// real-architecture tokenizer has ("segment red", "segment cyan", …).
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  area,
  bbox,
  encodeImage,
  maskToRle,
  readMask,
  seededRandom,
  writeFileAtomic,
  writeMask,
} from '@segkit/core';
import { type ManifestRow, readManifest, writeManifest } from '../../src/index.js';

export const COLOURS: Record<string, [number, number, number]> = {
  red: [220, 30, 30],
  blue: [30, 60, 220],
  yellow: [230, 210, 30],
  cyan: [30, 210, 220],
};

export const PROMPTS = Object.fromEntries(
  Object.keys(COLOURS).map((c) => [c, [`segment ${c}`, `a ${c} shape`]]),
);

export interface ShapesDataset {
  dir: string;
  manifest: string;
}

/** `train` + `val` images of side×side pixels; each holds one or two shapes of different colours. */
export async function colourShapesDataset(
  train: number,
  val: number,
  side = 96,
  seed = 5,
): Promise<ShapesDataset> {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-shapes-'));
  mkdirSync(join(dir, 'images'));
  const r = seededRandom(seed);
  const names = Object.keys(COLOURS);
  const rows: ManifestRow[] = [];
  for (let i = 0; i < train + val; i++) {
    const stem = `img${String(i).padStart(4, '0')}`;
    const base = 80 + r() * 100;
    const data = new Uint8Array(side * side * 3);
    for (let p = 0; p < side * side; p++) {
      const v = Math.max(0, Math.min(255, base + (r() - 0.5) * 70));
      data.fill(v, p * 3, p * 3 + 3);
    }
    const count = r() < 0.5 ? 1 : 2;
    const picked = [...names].sort(() => r() - 0.5).slice(0, count);
    const shapes: Array<{ row: ManifestRow; mask: Uint8Array }> = [];
    for (const name of picked) {
      const mask = new Uint8Array(side * side);
      const w = Math.round(side * (0.2 + r() * 0.3));
      const h = Math.round(side * (0.2 + r() * 0.3));
      const x0 = Math.floor(r() * (side - w));
      const y0 = Math.floor(r() * (side - h));
      const disc = r() < 0.5;
      for (let y = y0; y < y0 + h; y++)
        for (let x = x0; x < x0 + w; x++) {
          if (disc && ((x - x0 - w / 2) / (w / 2)) ** 2 + ((y - y0 - h / 2) / (h / 2)) ** 2 > 1) continue;
          mask[y * side + x] = 1;
          const [cr, cg, cb] = COLOURS[name]!;
          const n = (r() - 0.5) * 30;
          data[(y * side + x) * 3] = Math.max(0, Math.min(255, cr + n));
          data[(y * side + x) * 3 + 1] = Math.max(0, Math.min(255, cg + n));
          data[(y * side + x) * 3 + 2] = Math.max(0, Math.min(255, cb + n));
        }
      const row: ManifestRow = {
        image_id: String(i),
        image_path: join(dir, 'images', `${stem}.png`),
        mask_path: join(dir, 'masks', name, `${stem}.png`),
        label: name,
        split: i < train ? 'train' : 'val',
        source_dataset: 'shapes',
      };
      rows.push(row);
      shapes.push({ row, mask });
      mkdirSync(join(dir, 'masks', name), { recursive: true });
    }
    // The true mask of a colour is where the image shows it: a later shape covers an earlier one.
    const owner = new Int8Array(side * side).fill(-1);
    for (const [k, { mask }] of shapes.entries())
      for (let p = 0; p < mask.length; p++) if (mask[p]) owner[p] = k;
    for (const [k, { row }] of shapes.entries())
      await writeMask(row.mask_path, {
        width: side,
        height: side,
        data: Uint8Array.from(owner, (o) => (o === k ? 1 : 0)),
      });
    await writeFileAtomic(
      join(dir, 'images', `${stem}.png`),
      await encodeImage({ data, width: side, height: side, channels: 3 }, 'png'),
    );
  }
  const manifest = join(dir, 'manifest.csv');
  await writeManifest(rows, manifest);
  return { dir, manifest };
}

/**
 * The dataset as a Roboflow COCO export: `train/`, `valid/` and `test/`, each with `_annotations.coco.json` (masks as
 * compressed RLE) and its images. `labels` keeps only some colours and `images` some images, so two exports can
 * cover different labels and photos, as two annotation projects do.
 */
export async function roboflowExport(
  ds: ShapesDataset,
  out: string,
  labels: string[],
  opts: { seed?: number; images?: (index: number) => boolean } = {},
): Promise<void> {
  const keep = opts.images ?? (() => true);
  const rows = (await readManifest(ds.manifest)).filter(
    (r) => labels.includes(r.label) && keep(Number(r.image_id)),
  );
  const images = [...new Set(rows.map((r) => r.image_path))].sort();
  const r = seededRandom(opts.seed ?? 1);
  const folder = new Map(images.map((p) => [p, r() < 0.7 ? 'train' : r() < 0.5 ? 'valid' : 'test']));
  const categories = labels.map((name, i) => ({ id: i + 1, name, supercategory: 'shapes' }));
  for (const split of ['train', 'valid', 'test']) {
    mkdirSync(join(out, split), { recursive: true });
    const mine = images.filter((p) => folder.get(p) === split);
    const annotations: unknown[] = [];
    const cocoImages = [];
    for (const [i, path] of mine.entries()) {
      const file = basename(path);
      copyFileSync(path, join(out, split, file));
      cocoImages.push({ id: i + 1, file_name: file, width: 96, height: 96 });
      for (const row of rows.filter((x) => x.image_path === path)) {
        const mask = await readMask(row.mask_path);
        const box = bbox(mask);
        annotations.push({
          id: annotations.length + 1,
          image_id: i + 1,
          category_id: labels.indexOf(row.label) + 1,
          segmentation: maskToRle(mask),
          area: area(mask),
          bbox: box,
          iscrowd: 0,
        });
      }
    }
    writeFileSync(
      join(out, split, '_annotations.coco.json'),
      JSON.stringify({ images: cocoImages, annotations, categories }),
    );
  }
}
