// The crop bank mined for a class from the training images: positive crops are instances of the class, negative
// crops are what the class's prompts find there that is not the class. Crops are cut as a detection's embedding
// is (the mask's box, padded by 10%, background grey), kept as PNGs, and embedded from those PNGs.
import {
  encodeImage,
  loadImage,
  type ParsedRle,
  parseRle,
  type RawImage,
  rleIouMatrix,
  rleToMask,
} from '@segkit/core';
import { maskCrop } from '@segkit/models';
import type { FindRunner, ImageSource } from './runner.js';
import type { TruthImage } from './truth.js';
import type { EmbeddedDetection } from './types.js';

export interface Bank {
  positives: { name: string; png: Uint8Array; vector: Float32Array }[];
  negatives: { name: string; png: Uint8Array; vector: Float32Array }[];
}

/** A detection overlapping no instance of the class by more than this IoU is a negative example of it. */
const NEGATIVE_IOU = 0.1;
/** Two crops whose embeddings are closer than this say the same thing: one is enough. */
const SAME = 0.999;

/** `n` items spread evenly over a list (all of them when it is short). */
export const spread = <T>(items: T[], n: number): T[] =>
  items.length <= n ? items : Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]!);

async function cut(
  runner: FindRunner,
  path: ImageSource,
  rle: Parameters<typeof rleToMask>[0],
): Promise<RawImage> {
  return maskCrop(await runner.image(path), rleToMask(rle), 0.1, true);
}

/** Crop images as PNG with their embeddings (cached by pixels), dropping crops that repeat an earlier one. */
async function embedded(
  runner: FindRunner,
  crops: RawImage[],
  prefix: string,
  max: number,
): Promise<Bank['positives']> {
  const pngs: Uint8Array[] = [];
  for (const crop of crops) pngs.push(await encodeImage(crop, 'png'));
  const vectors = await bankVectors(runner, pngs);
  const out: Bank['positives'] = [];
  for (const [i, png] of pngs.entries()) {
    if (out.length >= max) break;
    const v = vectors[i]!;
    if (out.some((o) => o.vector.reduce((s, x, k) => s + x * v[k]!, 0) > SAME)) continue;
    out.push({ name: `${prefix}-${String(out.length).padStart(3, '0')}.png`, png, vector: v });
  }
  return out;
}

/**
 * Mines a class's crop bank: up to `size` positive crops spread over the training instances, and up to `size`
 * negative crops, the most confident false detections of `prompts` on up to `images` training images.
 */
export async function mineBank(
  runner: FindRunner,
  train: TruthImage[],
  className: string,
  prompts: string[],
  opts: { size: number; images: number; onImage?: () => void },
): Promise<Bank> {
  const instances = train.flatMap((img) => (img.instances.get(className) ?? []).map((rle) => ({ img, rle })));
  const pos: RawImage[] = [];
  for (const { img, rle } of spread(instances, opts.size * 2)) pos.push(await cut(runner, img.path, rle));
  const falses: { img: TruthImage; det: EmbeddedDetection }[] = [];
  for (const img of spread(train, opts.images)) {
    const gt: ParsedRle[] = (img.instances.get(className) ?? []).map((r) => parseRle(r));
    for (const text of prompts) {
      const dets = await runner.detect(img.path, { text });
      const m = rleIouMatrix(
        dets.map((d) => d.rle),
        gt,
      );
      dets.forEach((det, d) => {
        if (gt.every((_, g) => m[d * gt.length + g]! < NEGATIVE_IOU)) falses.push({ img, det });
      });
    }
    opts.onImage?.();
  }
  falses.sort((a, b) => b.det.score - a.det.score);
  const neg: RawImage[] = [];
  for (const { img, det } of falses.slice(0, opts.size * 4)) neg.push(await cut(runner, img.path, det.rle));
  return {
    positives: await embedded(runner, pos, 'pos', opts.size),
    negatives: await embedded(runner, neg, 'neg', opts.size),
  };
}

/** Embeddings of a recipe's crop PNGs, as mining computed them. */
export async function bankVectors(runner: FindRunner, pngs: Uint8Array[]): Promise<Float32Array[]> {
  const crops: RawImage[] = [];
  for (const png of pngs) crops.push(await loadImage(Buffer.from(png)));
  return runner.embedCrops(crops);
}
