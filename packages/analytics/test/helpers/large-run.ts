// A run folder as `segkit analyze` writes it, with n masks laid out in k Gaussian blobs plus 5% noise, for scatter
// tests at 100k points without running 100k masks through the models. The first `withMasks` rows point at a real
// image and real mask PNGs (the colour-shapes scene), so hover thumbnails have something to load.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bbox, encodeImage, seededRandom, writeMask } from '@segkit/core';
import type { MaskRow } from '../../src/index.js';
import { colourScene } from './colour-images.js';

export interface LargeRun {
  dir: string;
  rows: MaskRow[];
  /** Blob centres in layout units. */
  centres: Array<[number, number]>;
}

export async function largeRun(n: number, k = 12, withMasks = 3): Promise<LargeRun> {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-large-run-'));
  mkdirSync(join(dir, 'masks', 'img00'), { recursive: true });
  const { image, truth } = colourScene(0);
  const imagePath = join(dir, 'img00.png');
  writeFileSync(imagePath, await encodeImage(image, 'png'));
  const shapes = [truth.red, truth.green, truth.blue];
  for (let m = 0; m < withMasks; m++) {
    await writeMask(join(dir, 'masks', 'img00', `${m}.png`), shapes[m % 3]!);
  }
  const rand = seededRandom(7);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const centres: Array<[number, number]> = [];
  for (let c = 0; c < k; c++)
    centres.push([20 * Math.cos((2 * Math.PI * c) / k), 20 * Math.sin((2 * Math.PI * c) / k)]);
  const rows: MaskRow[] = [];
  for (let i = 0; i < n; i++) {
    const noise = i >= withMasks && rand() < 0.05;
    const c = i < withMasks ? i % k : Math.floor(rand() * k);
    // The rows with real masks sit alone, right of everything else, so a hover finds exactly them.
    const [x, y] =
      i < withMasks
        ? [40, 10 - 10 * i]
        : noise
          ? [(rand() - 0.5) * 60, (rand() - 0.5) * 60]
          : [centres[c]![0] + gauss(), centres[c]![1] + gauss()];
    const real = i < withMasks ? shapes[i % 3]! : null;
    rows.push({
      id: real ? `img00/${i}` : `img${String(1 + (i % 997)).padStart(4, '0')}/${i}`,
      image: real ? imagePath : join(dir, `img${String(1 + (i % 997)).padStart(4, '0')}.png`),
      bbox: real ? bbox(real) : [0, 0, 10, 10],
      area: 100,
      score: 0.9,
      backend: 'sam',
      prompt: null,
      embedding: { file: 'embeddings/none.npy', index: 0 },
      mask_umap: [x, y],
      mask_cluster: noise ? -1 : c,
    });
  }
  writeFileSync(join(dir, 'masks.jsonl'), `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ params: { minSamplesMeaning: 'hdbscan' } }));
  return { dir, rows, centres };
}
