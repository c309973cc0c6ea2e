import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  encodeImage,
  type Mask,
  maskFromFunction,
  type RawImage,
  union,
  writeImage,
  writeMask,
} from '@segkit/core';
import { scene } from '../../../models/test/helpers/shapes.js';
import { buildManifest, readDataset, writeManifest } from '../../src/index.js';

export const W = 64;
export const H = 48;

/** A ring (square with a square hole), two separate blobs, and a plain square, all on a 64×48 canvas. */
export const shapes = {
  ring: maskFromFunction(
    W,
    H,
    (x, y) => x >= 4 && x < 24 && y >= 4 && y < 24 && !(x >= 10 && x < 18 && y >= 10 && y < 18),
  ),
  twoParts: maskFromFunction(
    W,
    H,
    (x, y) => (x >= 30 && x < 38 && y >= 5 && y < 12) || (x >= 45 && x < 60 && y >= 30 && y < 44),
  ),
  square: maskFromFunction(W, H, (x, y) => x >= 8 && x < 20 && y >= 30 && y < 42),
} satisfies Record<string, Mask>;

export const tmp = (prefix = 'segkit-ds-') => mkdtempSync(join(tmpdir(), prefix));

/** Writes a small RGB photo with a gradient, so image copies can be checked. */
export async function writePhoto(path: string, seed = 0): Promise<void> {
  const data = new Uint8Array(W * H * 3);
  for (let i = 0; i < W * H; i++) data.set([(i + seed * 7) % 256, (i * 3) % 256, seed * 40], i * 3);
  const img: RawImage = { width: W, height: H, channels: 3, data };
  await writeImage(path, img);
}

/** A PNG-mask dataset: images/a.png, images/b.png; masks/cat (ring, square), masks/dog (two parts). */
export async function maskFolderDataset(): Promise<string> {
  const dir = tmp();
  for (const d of ['images', 'masks/cat', 'masks/dog']) mkdirSync(join(dir, d), { recursive: true });
  await writePhoto(join(dir, 'images/a.png'), 1);
  await writePhoto(join(dir, 'images/b.png'), 2);
  await writeMask(join(dir, 'masks/cat/a.png'), shapes.ring);
  await writeMask(join(dir, 'masks/cat/b.png'), shapes.square);
  await writeMask(join(dir, 'masks/dog/a.png'), shapes.twoParts);
  return dir;
}

/** A masks dataset of two scenes with `red` and `blue` labels, and its manifest with a test split. */
export async function textDataset(): Promise<string> {
  const dir = tmp();
  for (const d of ['images', 'masks/red', 'masks/blue']) mkdirSync(join(dir, d), { recursive: true });
  const { image, truth } = scene();
  for (const name of ['s1', 's2']) {
    writeFileSync(join(dir, `images/${name}.png`), await encodeImage(image, 'png'));
    await writeMask(join(dir, `masks/red/${name}.png`), union(truth.redA!, truth.redB!));
    await writeMask(join(dir, `masks/blue/${name}.png`), truth.blue!);
  }
  const rows = buildManifest(await readDataset(dir), { maskRoot: join(dir, 'masks') });
  await writeManifest(
    rows.map((r) => ({ ...r, split: basename(r.image_path) === 's1.png' ? 'test' : 'train' })),
    join(dir, 'm.csv'),
  );
  writeFileSync(
    join(dir, 'prompts.json'),
    JSON.stringify({ red: ['segment red'], blue: ['blue'], green: ['green'] }),
  );
  return dir;
}
