import {
  assertSameSize,
  bbox,
  type ImageInput,
  InvalidArgumentError,
  type Mask,
  PromptInvalidError,
  type RawImage,
  toRawImage,
  toRgb,
} from '@segkit/core';
import { ClipBackend } from './backend/clip.js';
import { cachedBackend } from './backend-cache.js';

/** The embedding model used when none is named: the `clip` preset. */
export const DEFAULT_EMBED_MODEL = 'clip';

const clip = (ref: string) => cachedBackend('clip', ref, ClipBackend.load);

/** Scales a vector to unit length (a zero vector stays zero). */
export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s);
  return n > 0 ? v.map((x) => x / n) : v.slice();
}

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

/** Options for {@link embedMasks}. */
export interface EmbedMasksOptions {
  /** Model reference (default `clip`). */
  model?: string;
  /** Extra margin around each mask's bbox, as a fraction of its larger side (default 0.1). */
  padding?: number;
  /** Paint pixels outside the mask neutral grey, so the crop shows only the object (default true). */
  blankBackground?: boolean;
  /** Crops embedded per model call (default 16). */
  batchSize?: number;
}

/** Crops the mask's bbox (with padding) out of the image, optionally blanking the background. */
export function maskCrop(image: RawImage, mask: Mask, padding = 0.1, blank = true): RawImage {
  assertSameSize(mask, image, 'The mask and the image differ in size');
  const rgb = toRgb(image);
  const [bx, by, bw, bh] = bbox(mask);
  if (bw === 0) throw new InvalidArgumentError('Cannot embed an empty mask');
  const pad = Math.round(Math.max(bw, bh) * padding);
  const x0 = Math.max(0, bx - pad);
  const y0 = Math.max(0, by - pad);
  const x1 = Math.min(image.width, bx + bw + pad);
  const y1 = Math.min(image.height, by + bh + pad);
  const w = x1 - x0;
  const h = y1 - y0;
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const src = (y0 + y) * image.width + x0 + x;
      const inside = !blank || mask.data[src] === 1;
      for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = inside ? rgb.data[src * 3 + c]! : 128;
    }
  }
  return { width: w, height: h, channels: 3, data };
}

/**
 * CLIP embeddings of masked regions: each mask is cropped to its bbox (plus padding), optionally with the background
 * blanked, and the crops are embedded in batches. Returns one L2-normalised vector per mask.
 * @example const vectors = await embedMasks('photo.jpg', masks); vectors[0].length // 512 with the clip preset
 */
export async function embedMasks(
  input: ImageInput | RawImage,
  masks: Mask[],
  opts: EmbedMasksOptions = {},
): Promise<Float32Array[]> {
  const image = await toRawImage(input);
  const backend = await clip(opts.model ?? DEFAULT_EMBED_MODEL);
  const crops = masks.map((m) => maskCrop(image, m, opts.padding ?? 0.1, opts.blankBackground ?? true));
  const batch = Math.max(1, Math.floor(opts.batchSize ?? 16));
  const out: Float32Array[] = [];
  for (let i = 0; i < crops.length; i += batch)
    out.push(...(await backend.embedImages(crops.slice(i, i + batch))).map(l2normalize));
  return out;
}

/** L2-normalised CLIP text embeddings. */
export async function embedText(texts: string[], opts: { model?: string } = {}): Promise<Float32Array[]> {
  if (!texts.length || texts.some((t) => typeof t !== 'string' || !t.trim()))
    throw new PromptInvalidError('Every text must be a non-empty string');
  return (await (await clip(opts.model ?? DEFAULT_EMBED_MODEL)).embedTexts(texts)).map(l2normalize);
}

/** The result of {@link classify}: classes ranked by probability, and the gap between the top two. */
export interface Classification {
  ranked: { label: string; probability: number }[];
  margin: number;
}

/**
 * Zero-shot classification of a masked region: softmax over CLIP similarities (scaled by 100, CLIP's logit scale)
 * between the region and `template` filled with each class name.
 * @example (await classify('photo.jpg', catMask, ['cat', 'dog'])).ranked[0] // { label: 'cat', probability: 0.97 }
 */
export async function classify(
  input: ImageInput | RawImage,
  mask: Mask,
  classNames: string[],
  opts: EmbedMasksOptions & { template?: string } = {},
): Promise<Classification> {
  if (classNames.length < 2) throw new InvalidArgumentError('classify needs at least two class names');
  const [region] = await embedMasks(input, [mask], opts);
  const texts = await embedText(
    classNames.map((c) => (opts.template ?? 'a photo of a {}').replace('{}', c)),
    opts,
  );
  const logits = texts.map((t) => 100 * dot(region!, t));
  const max = Math.max(...logits);
  const exp = logits.map((l) => Math.exp(l - max));
  const sum = exp.reduce((a, b) => a + b, 0);
  const ranked = classNames
    .map((label, i) => ({ label, probability: exp[i]! / sum }))
    .sort((a, b) => b.probability - a.probability);
  return { ranked, margin: ranked[0]!.probability - ranked[1]!.probability };
}
