// A generated box dataset for classifier heads: images with several coloured rectangles each, one class per hue
// family, with shades, sizes and places varying within a class (seeded), written as COCO.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Box, encodeImage, seededRandom } from '@segkit/core';
import { type Dataset, writeCoco } from '@segkit/datasets';

export const CLASSES: Record<string, [number, number, number]> = {
  red: [210, 40, 40],
  green: [40, 170, 70],
  blue: [40, 60, 200],
  yellow: [220, 200, 40],
  purple: [150, 50, 190],
};

/** Writes `images` pictures (160×120) as a COCO folder; returns its path. */
export async function colourBoxDataset(images = 40, seed = 7, into?: string): Promise<string> {
  const rand = seededRandom(seed);
  const root = mkdtempSync(join(tmpdir(), 'segkit-boxes-src-'));
  const names = Object.keys(CLASSES);
  const ds: Dataset = {
    imageRoot: root,
    images: [],
    categories: names.map((name, i) => ({ id: i + 1, name })),
    annotations: [],
    warnings: [],
  };
  mkdirSync(root, { recursive: true });
  for (let n = 0; n < images; n++) {
    const W = 160;
    const H = 120;
    const data = new Uint8Array(W * H * 3);
    for (let i = 0; i < W * H; i++) data.set([200, 200, 195], i * 3);
    for (let k = 0; k < 3; k++) {
      const cls = Math.floor(rand() * names.length);
      const base = CLASSES[names[cls]!]!;
      const shade = 0.75 + rand() * 0.4;
      const colour = base.map((v) => Math.min(255, Math.round(v * shade)));
      const w = 18 + Math.floor(rand() * 25);
      const h = 18 + Math.floor(rand() * 20);
      const x = k * 52 + Math.floor(rand() * (50 - Math.min(w, 48)));
      const y = Math.floor(rand() * (H - h));
      for (let yy = y; yy < y + h; yy++)
        for (let xx = x; xx < Math.min(W, x + w); xx++) data.set(colour, (yy * W + xx) * 3);
      const box: Box = [x, y, Math.min(w, W - x), h];
      ds.annotations.push({
        id: ds.annotations.length + 1,
        imageId: n + 1,
        categoryId: cls + 1,
        bbox: box,
        area: box[2] * box[3],
        iscrowd: false,
        source: 'user',
        promptType: 'segment',
      });
    }
    const file = `img${String(n).padStart(3, '0')}.png`;
    writeFileSync(join(root, file), await encodeImage({ width: W, height: H, channels: 3, data }, 'png'));
    ds.images.push({ id: n + 1, file, width: W, height: H });
  }
  const out = into ?? join(mkdtempSync(join(tmpdir(), 'segkit-boxes-')), 'coco');
  await writeCoco(ds, out);
  return out;
}
