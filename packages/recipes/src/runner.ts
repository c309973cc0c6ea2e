// Every find-all a recipe runs goes through here: the answer (masks as RLE, boxes, scores, and each mask's
// embedding) is cached on disk under a key made of the image's content, the question and the models, so that
// re-mining with other thresholds runs no model, and applying a recipe to an image it was mined on costs nothing.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  loadImage,
  type Mask,
  maskToRle,
  type RawImage,
  type RleCompressed,
  writeFileAtomic,
} from '@segkit/core';
import { cacheRoot, embedMasks, findAll, resolveModelRef } from '@segkit/models';
import type { EmbeddedDetection, ModelTag, Query, RecipeModels } from './types.js';

/** An image a runner reads: a file, or content known by its SHA-256 with a way to decode it (a server's blob). */
export type ImageSource = string | { sha256: string; load: () => Promise<RawImage> };

/** The models a runner uses, as the user names them. Without `find`, the CLIPSeg + SAM + CLIP pipeline answers. */
export interface RunnerModels {
  find?: string;
  segment?: string;
  text?: string;
  /** The embedding model of the filters (default `clip`). */
  embed?: string;
}

/** What a runner did: find-all calls run by a model, answers served by the cache, masks embedded. */
export interface RunnerStats {
  findCalls: number;
  cacheHits: number;
  embedded: number;
}

const CACHE_VERSION = 1;

/** A model as a recipe records it: presets and hub repos by name and revision, folders by their name alone. */
export function modelTag(ref: string): ModelTag {
  const m = resolveModelRef(ref);
  if (m.repo) return { ref, id: `${m.repo}@${m.revision ?? 'main'}` };
  const name = basename(m.dir);
  return { ref: m.kind === 'imported' ? ref : name, id: `local:${name}` };
}

const b64 = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
const fromB64 = (s: string) => {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

interface CachedDetection {
  rle: RleCompressed;
  bbox: [number, number, number, number];
  area: number;
  score: number;
  vector: string;
}

/** Runs find-all questions on image files, with a disk cache of the answers and their embeddings. */
export class FindRunner {
  readonly stats: RunnerStats = { findCalls: 0, cacheHits: 0, embedded: 0 };
  readonly tags: RecipeModels;
  private readonly hashes = new Map<string, string>();
  private readonly key: string;
  private readonly embedKey: string;
  private lastImage: { hash: string; image: RawImage } | undefined;

  constructor(
    readonly models: RunnerModels,
    readonly cacheDir = join(cacheRoot(), 'recipes'),
  ) {
    const embed = models.embed ?? 'clip';
    this.tags = {
      backend: models.find ? 'sam3' : 'pipeline',
      ...(models.find ? { find: modelTag(models.find) } : {}),
      ...(!models.find && models.segment ? { segment: modelTag(models.segment) } : {}),
      ...(!models.find && models.text ? { text: modelTag(models.text) } : {}),
      embed: modelTag(embed),
    };
    // The cache tells local folders apart by where they are, not only by name (a recipe records only the name).
    const where = (ref?: string) => (ref ? resolveModelRef(ref).dir : undefined);
    this.key = JSON.stringify({
      tags: this.tags,
      dirs: [where(models.find), where(models.segment), where(models.text), where(embed)],
    });
    this.embedKey = JSON.stringify({ tag: this.tags.embed, dir: where(embed) });
  }

  /** The content hash of an image (a file's computed once per path). */
  async imageHash(src: ImageSource): Promise<string> {
    if (typeof src !== 'string') return src.sha256;
    let h = this.hashes.get(src);
    if (!h) {
      h = createHash('sha256')
        .update(await readFile(src))
        .digest('hex');
      this.hashes.set(src, h);
    }
    return h;
  }

  /** The image, decoded once for consecutive questions on it. */
  async image(src: ImageSource): Promise<RawImage> {
    const hash = await this.imageHash(src);
    if (this.lastImage?.hash !== hash)
      this.lastImage = { hash, image: typeof src === 'string' ? await loadImage(src) : await src.load() };
    return this.lastImage.image;
  }

  private file(key: string) {
    return join(this.cacheDir, key.slice(0, 2), `${key}.json`);
  }

  /** Find-all's answer to `q` on an image, each detection with its embedding; cached. */
  async detect(path: ImageSource, q: Query): Promise<EmbeddedDetection[]> {
    const question = {
      text: q.text?.trim() || undefined,
      positives: q.positives?.length ? q.positives : undefined,
      negatives: q.negatives?.length ? q.negatives : undefined,
    };
    const key = createHash('sha256')
      .update(JSON.stringify({ v: CACHE_VERSION, image: await this.imageHash(path), question, m: this.key }))
      .digest('hex');
    const file = this.file(key);
    if (existsSync(file)) {
      try {
        const cached = JSON.parse(readFileSync(file, 'utf8')) as CachedDetection[];
        this.stats.cacheHits++;
        return cached.map((d) => ({ ...d, vector: fromB64(d.vector) }));
      } catch {
        // A torn or foreign file: answer again and overwrite it.
      }
    }
    const image = await this.image(path);
    const answer = await findAll(image, {
      ...(question.text ? { text: question.text } : {}),
      positiveExemplars: question.positives ?? [],
      negativeExemplars: question.negatives ?? [],
      ...(this.models.find ? { findModel: this.models.find } : {}),
      ...(this.models.segment ? { segmentModel: this.models.segment } : {}),
      ...(this.models.text ? { textModel: this.models.text } : {}),
      ...(this.models.embed ? { clipModel: this.models.embed } : {}),
    });
    this.stats.findCalls++;
    // An empty mask is no instance (and has no crop to embed).
    const found = answer.filter((f) => f.mask.data.some((v) => v));
    const vectors = await this.embed(
      image,
      found.map((f) => f.mask),
    );
    const out: EmbeddedDetection[] = found.map((f, i) => ({
      rle: maskToRle(f.mask) as RleCompressed,
      bbox: f.bbox,
      area: f.mask.data.reduce((s, v) => s + (v ? 1 : 0), 0),
      score: f.score,
      vector: vectors[i]!,
    }));
    mkdirSync(join(this.cacheDir, key.slice(0, 2)), { recursive: true });
    await writeFileAtomic(
      file,
      JSON.stringify(out.map((d): CachedDetection => ({ ...d, vector: b64(d.vector) }))),
    );
    return out;
  }

  /** Embeddings of masks of an image (the filters' crops: the mask's box, padded, background blanked). */
  async embed(image: RawImage, masks: Mask[]): Promise<Float32Array[]> {
    if (!masks.length) return [];
    this.stats.embedded += masks.length;
    return embedMasks(image, masks, { model: this.models.embed ?? 'clip' });
  }

  /** Embeddings of whole crop images (a bank's crops), computed exactly as a detection's crop is; cached by pixels. */
  async embedCrops(crops: RawImage[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (const crop of crops) {
      const key = createHash('sha256')
        .update(
          JSON.stringify({
            v: CACHE_VERSION,
            crop: [crop.width, crop.height, crop.channels],
            m: this.embedKey,
          }),
        )
        .update(crop.data)
        .digest('hex');
      const file = join(this.cacheDir, 'crops', `${key}.f32`);
      if (existsSync(file)) {
        const b = readFileSync(file);
        out.push(new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));
        this.stats.cacheHits++;
        continue;
      }
      const whole = {
        width: crop.width,
        height: crop.height,
        data: new Uint8Array(crop.width * crop.height).fill(1),
      };
      const [v] = await embedMasks(crop, [whole], { model: this.models.embed ?? 'clip', padding: 0 });
      this.stats.embedded++;
      mkdirSync(join(this.cacheDir, 'crops'), { recursive: true });
      await writeFileAtomic(file, Buffer.from(v!.buffer, v!.byteOffset, v!.byteLength));
      out.push(v!);
    }
    return out;
  }
}
