import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeImage, loadImage, type Mask, type RawImage, readMask, seededRandom } from '@segkit/core';
import { BLUE, GREEN, RED, shapesImage } from '../../../models/test/helpers/shapes.js';

/**
 * 30 images, each holding one shape of each colour; sizes and places vary from image to image (seeded), so the masks
 * of one colour embed as a continuum, as real photos of one kind of object do, rather than as a few exact copies.
 */
export async function colourImages(n = 30): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-analyze-'));
  mkdirSync(join(dir, 'images'));
  await writeColourImages(join(dir, 'images'), n);
  return dir;
}

/** Image `i` of {@link colourImages}: a red rectangle, a green rectangle and a blue disc, with their true masks. */
export function colourScene(i: number): { image: RawImage; truth: { red: Mask; green: Mask; blue: Mask } } {
  const r = seededRandom(i + 1);
  const u = (a: number, b: number) => Math.round(a + r() * (b - a));
  const { image, truth } = shapesImage(240, 180, [
    { name: 'red', box: [u(5, 30), u(5, 20), u(40, 80), u(35, 70)], colour: RED },
    { name: 'green', box: [u(125, 140), u(10, 30), u(40, 90), u(40, 60)], colour: GREEN },
    { name: 'blue', box: [u(20, 90), u(100, 110), u(45, 90), u(45, 65)], colour: BLUE, kind: 'disc' },
  ]);
  return { image, truth: { red: truth.red!, green: truth.green!, blue: truth.blue! } };
}

/** Writes the images of {@link colourImages} as `img00.png`, `img01.png`, … into an existing folder. */
export async function writeColourImages(dir: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++)
    writeFileSync(
      join(dir, `img${String(i).padStart(2, '0')}.png`),
      await encodeImage(colourScene(i).image, 'png'),
    );
}

/** The true colour of a mask: the shape colour most of its pixels have in the image (0 red, 1 green, 2 blue, 3 other). */
export async function trueColour(imagePath: string, maskPath: string): Promise<number> {
  const image = await loadImage(imagePath);
  const mask = await readMask(maskPath);
  const votes = [0, 0, 0, 0];
  for (let i = 0; i < mask.data.length; i++) {
    if (!mask.data[i]) continue;
    const px = [image.data[i * 3]!, image.data[i * 3 + 1]!, image.data[i * 3 + 2]!];
    const k = [RED, GREEN, BLUE].findIndex((c) => c.every((v, j) => v === px[j]));
    votes[k < 0 ? 3 : k]!++;
  }
  return votes.indexOf(Math.max(...votes));
}
