// CLIP embeddings of labelled boxes and masks, cached on disk. The key is the image's content hash, the geometry,
// the embedding model and the crop settings, so a second run over the same data embeds nothing, and a run after
// adding images embeds only theirs.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Box,
  bbox,
  InvalidArgumentError,
  loadImage,
  type Mask,
  type Progress,
  type RleCompressed,
  rleToMask,
  silentProgress,
  writeFileAtomic,
} from '@segkit/core';
import { cacheRoot, embedMasks, resolveModelRef } from '@segkit/models';

/** One labelled object: a box, or a mask (COCO RLE) with its box. */
export interface Sample {
  /** The image file. */
  image: string;
  label: string;
  bbox: Box;
  rle?: RleCompressed;
  /** The split it belongs to (train, val, test), when known. */
  split?: string;
}

/** How crops are cut: the same settings give the same embeddings, and are part of the cache key. */
export interface CropSettings {
  /** Margin around the box, as a fraction of its larger side (default 0.1). */
  padding: number;
  /** Masks: paint the background grey (default true). Boxes always keep their background. */
  blankBackground: boolean;
}
export const DEFAULT_CROP: CropSettings = { padding: 0.1, blankBackground: true };

/** The embedding model as a head records it: what the user named, and its repo and revision or its folder. */
export interface EmbedModelId {
  ref: string;
  /** `repo@revision` for a preset or hub repo; the absolute folder for a local model. */
  id: string;
}

export function embedModelId(ref = 'clip'): EmbedModelId {
  const m = resolveModelRef(ref);
  return { ref, id: m.repo ? `${m.repo}@${m.revision ?? 'main'}` : m.dir };
}

export interface EmbedSamplesResult {
  vectors: Float32Array[];
  dim: number;
  /** Embeddings computed by the model in this call, and those read from the cache. */
  computed: number;
  cached: number;
}

const boxMask = (width: number, height: number, [x, y, w, h]: Box): Mask => {
  const data = new Uint8Array(width * height);
  const x0 = Math.max(0, Math.floor(x));
  const y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(width, Math.ceil(x + w));
  const y1 = Math.min(height, Math.ceil(y + h));
  for (let yy = y0; yy < y1; yy++) data.fill(1, yy * width + x0, yy * width + x1);
  return { width, height, data };
};

/**
 * Embeds every sample (one CLIP vector each, L2-normalised), reading and writing the cache under
 * `<cacheDir>/<model and settings>/`. Images are read once each, in the order they first appear.
 */
export async function embedSamples(
  samples: Sample[],
  opts: {
    model?: string;
    crop?: Partial<CropSettings>;
    /** Default `<SEGKIT_CACHE_DIR>/crops`; false for no cache. */
    cacheDir?: string | false;
    progress?: Progress;
    /** Reads an image by its `Sample.image` (default: the file at that path). */
    read?: (image: string) => Promise<Uint8Array>;
  } = {},
): Promise<EmbedSamplesResult> {
  const crop = { ...DEFAULT_CROP, ...opts.crop };
  const model = embedModelId(opts.model);
  const progress = opts.progress ?? silentProgress;
  const root =
    opts.cacheDir === false
      ? undefined
      : join(
          opts.cacheDir ?? join(cacheRoot(), 'crops'),
          sha(JSON.stringify({ model: model.id, crop })).slice(0, 16),
        );
  const vectors: (Float32Array | undefined)[] = new Array(samples.length);
  let computed = 0;
  let cached = 0;
  let dim = 0;
  const byImage = new Map<string, number[]>();
  samples.forEach((s, i) => {
    const list = byImage.get(s.image);
    if (list) list.push(i);
    else byImage.set(s.image, [i]);
  });
  let done = 0;
  for (const [path, indices] of byImage) {
    const bytes = await (opts.read ?? readFile)(path);
    const imageHash = sha(bytes);
    const keys = indices.map((i) => sha(`${imageHash}|${geometryKey(samples[i]!)}`));
    const missing: number[] = [];
    for (const [n, i] of indices.entries()) {
      const file = root && join(root, keys[n]!.slice(0, 2), `${keys[n]}.f32`);
      if (file && existsSync(file)) {
        const buf = await readFile(file);
        vectors[i] = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4).slice();
        cached++;
      } else missing.push(n);
    }
    if (missing.length) {
      const image = await loadImage(bytes);
      const boxes = missing.filter((n) => !samples[indices[n]!]!.rle);
      const masks = missing.filter((n) => samples[indices[n]!]!.rle);
      const embed = async (which: number[], asMask: boolean) => {
        if (!which.length) return;
        const shapes = which.map((n) => {
          const s = samples[indices[n]!]!;
          const m = asMask ? rleToMask(s.rle!) : boxMask(image.width, image.height, s.bbox);
          if (m.width !== image.width || m.height !== image.height)
            throw new InvalidArgumentError(
              `${path}: a ${s.label} mask is ${m.width}×${m.height} but the image is ${image.width}×${image.height}`,
            );
          if (bbox(m)[2] === 0)
            throw new InvalidArgumentError(
              `${path}: the ${s.label} box ${JSON.stringify(s.bbox)} covers no pixel`,
            );
          return m;
        });
        const out = await embedMasks(image, shapes, {
          ...(opts.model ? { model: opts.model } : {}),
          padding: crop.padding,
          blankBackground: asMask && crop.blankBackground,
        });
        for (const [k, n] of which.entries()) {
          vectors[indices[n]!] = out[k]!;
          computed++;
          if (root) {
            const dir = join(root, keys[n]!.slice(0, 2));
            mkdirSync(dir, { recursive: true });
            const v = out[k]!;
            await writeFileAtomic(
              join(dir, `${keys[n]}.f32`),
              new Uint8Array(v.buffer, v.byteOffset, v.byteLength),
            );
          }
        }
      };
      await embed(boxes, false);
      await embed(masks, true);
    }
    done += indices.length;
    progress.update(done, samples.length);
  }
  progress.finish();
  for (const v of vectors) if (v) dim = v.length;
  return { vectors: vectors as Float32Array[], dim, computed, cached };
}

const sha = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');
const geometryKey = (s: Sample) =>
  s.rle ? `rle:${s.rle.size.join('x')}:${s.rle.counts}` : `box:${s.bbox.join(',')}`;
