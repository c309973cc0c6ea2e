import {
  type Box,
  bbox,
  FindAllNeedsPromptError,
  type ImageInput,
  iou,
  labelComponents,
  type Mask,
  PromptOutOfBoundsError,
  type RawImage,
  toRawImage,
} from '@segkit/core';
import { embedMasks, embedText } from './embed.js';
import { Segmenter } from './segmenter.js';
import { segmentText } from './text-segment.js';

/** Options for {@link findAll}. */
export interface FindAllOptions {
  text?: string;
  positiveExemplars?: Box[];
  negativeExemplars?: Box[];
  /** Minimum score (similarity to the positives minus similarity to the closest negative) to keep (default 0.25). */
  threshold?: number;
  /** At most this many instances, best first (default 50). */
  maxInstances?: number;
  /** Drop a result whose mask IoU with a better one exceeds this (default 0.5). */
  nms?: number;
  /** Models: the segmenter (default as `segment`), CLIPSeg (default `clipseg`) and CLIP (default `clip`). */
  segmentModel?: string;
  textModel?: string;
  clipModel?: string;
  /** Grid density of SAM's automatic masks used as candidates (default 16). */
  pointsPerSide?: number;
}

/** One found instance. */
export interface FoundInstance {
  mask: Mask;
  bbox: Box;
  score: number;
  source: 'model';
}

function boxMask(image: RawImage, [x, y, w, h]: Box): Mask {
  if (
    ![x, y, w, h].every(Number.isFinite) ||
    w <= 0 ||
    h <= 0 ||
    x < 0 ||
    y < 0 ||
    x + w > image.width ||
    y + h > image.height
  ) {
    throw new PromptOutOfBoundsError(
      `Exemplar box [${x}, ${y}, ${w}, ${h}] is outside the ${image.width}×${image.height} image`,
    );
  }
  const data = new Uint8Array(image.width * image.height);
  for (let yy = Math.floor(y); yy < Math.ceil(y + h); yy++)
    data.fill(1, yy * image.width + Math.floor(x), yy * image.width + Math.ceil(x + w));
  return { width: image.width, height: image.height, data };
}

/** Splits a mask into its 8-connected components. */
function components(mask: Mask): Mask[] {
  const { labels, count } = labelComponents(mask);
  return Array.from({ length: count }, (_, k) => {
    const data = new Uint8Array(labels.length);
    for (let i = 0; i < data.length; i++) data[i] = labels[i] === k + 1 ? 1 : 0;
    return { width: mask.width, height: mask.height, data };
  });
}

/** A box grown by 3% of its size (at least 2 px) on each side, clipped to the image: box prompts work best slightly loose. */
function padBox([x, y, w, h]: Box, image: RawImage): Box {
  const p = Math.max(2, Math.round(0.03 * Math.max(w, h)));
  const x0 = Math.max(0, x - p);
  const y0 = Math.max(0, y - p);
  return [x0, y0, Math.min(image.width, x + w + p) - x0, Math.min(image.height, y + h + p) - y0];
}

const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

/**
 * Finds every instance of a concept given by a text prompt and/or exemplar boxes.
 * 1. Candidates: connected components of CLIPSeg's mask for the text, and of SAM's automatic masks.
 * 2. Scoring: mean CLIP similarity to the text and to the positive exemplar crops, minus the highest similarity to
 *    a negative exemplar crop.
 * 3. Refinement: survivors are re-segmented with a SAM box prompt on their bbox, padded by 3%.
 * 4. De-duplication by mask IoU, best score first. Nothing found is an empty list, not an error.
 */
export async function findAll(input: ImageInput | RawImage, opts: FindAllOptions): Promise<FoundInstance[]> {
  const text = opts.text?.trim();
  const positives = opts.positiveExemplars ?? [];
  const negatives = opts.negativeExemplars ?? [];
  if (!text && !positives.length) {
    throw new FindAllNeedsPromptError(
      negatives.length
        ? 'find-all requires a text prompt or exemplar boxes (negative exemplars alone describe nothing to find)'
        : 'find-all requires a text prompt or exemplar boxes',
    );
  }
  const image = await toRawImage(input);
  const posMasks = positives.map((b) => boxMask(image, b));
  const negMasks = negatives.map((b) => boxMask(image, b));
  const segmenter = await Segmenter.create(opts.segmentModel ? { model: opts.segmentModel } : {});
  // 1. Candidates.
  const pool: Mask[] = [];
  if (text) {
    const [heat] = await segmentText(image, [text], { ...(opts.textModel ? { model: opts.textModel } : {}) });
    pool.push(...components(heat!.mask));
  }
  if (segmenter.backend !== 'classic') {
    const generated = await segmenter.generateMasks(image, { pointsPerSide: opts.pointsPerSide ?? 16 });
    for (const g of generated) pool.push(...components(g.mask));
  }
  const candidates: Mask[] = [];
  for (const m of pool) if (candidates.every((c) => iou(c, m) < 0.9)) candidates.push(m);
  if (!candidates.length) return [];
  // 2. Scoring with CLIP.
  const clipOpts = opts.clipModel ? { model: opts.clipModel } : {};
  const refs = [
    ...(text ? await embedText([text], clipOpts) : []),
    ...(posMasks.length ? await embedMasks(image, posMasks, { ...clipOpts, blankBackground: false }) : []),
  ];
  const negs = negMasks.length
    ? await embedMasks(image, negMasks, { ...clipOpts, blankBackground: false })
    : [];
  const vecs = await embedMasks(image, candidates, clipOpts);
  const threshold = opts.threshold ?? 0.25;
  const scored = candidates
    .map((mask, i) => {
      const pos = refs.reduce((s, r) => s + cos(vecs[i]!, r), 0) / refs.length;
      const neg = negs.length ? Math.max(...negs.map((n) => cos(vecs[i]!, n))) : 0;
      return { mask, score: pos - neg };
    })
    .filter((c) => c.score >= threshold)
    .sort((a, b) => b.score - a.score);
  // 3. Refinement and 4. de-duplication.
  const nms = opts.nms ?? 0.5;
  const found: FoundInstance[] = [];
  for (const c of scored) {
    if (found.length >= (opts.maxInstances ?? 50)) break;
    const refined = (await segmenter.segment(image, { prompt: { box: padBox(bbox(c.mask), image) } })).mask;
    const mask = iou(refined, c.mask) >= 0.5 ? refined : c.mask; // keep the candidate when the refinement wanders off
    if (found.some((f) => iou(f.mask, mask) > nms)) continue;
    found.push({ mask, bbox: bbox(mask), score: c.score, source: 'model' });
  }
  return found;
}
