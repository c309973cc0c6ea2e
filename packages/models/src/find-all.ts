import {
  type Box,
  bbox,
  FindAllNeedsPromptError,
  type ImageInput,
  iou,
  labelComponents,
  type Mask,
  area as maskArea,
  maskToRle,
  type ParsedRle,
  parseRle,
  type RawImage,
  rleOverlap,
  toRawImage,
} from '@segkit/core';
import { embedMasks, embedText } from './embed.js';
import { checkExemplar } from './prompt.js';
import { findConcept } from './sam3-find.js';
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
  /**
   * A SAM 3 concept model (`sam3`, `sam3-text`, `sam3-anylabeling`, a folder): when given, SAM 3 answers the whole
   * prompt and the options below it are not used; `threshold` then defaults to 0.3 and `nms` to off, as the reference.
   */
  findModel?: string;
  /** Models: the segmenter (default as `segment`), CLIPSeg (default `clipseg`) and CLIP (default `clip`). */
  segmentModel?: string;
  textModel?: string;
  clipModel?: string;
  /** Grid density of SAM's automatic masks used as candidates (default 16). */
  pointsPerSide?: number;
  /** Ignore candidate regions smaller than this many pixels (default 0.1% of the image, at least 16). */
  minArea?: number;
  /** Score at most this many candidates with CLIP, largest first (default 200): bounds the time on busy images. */
  maxCandidates?: number;
}

/** One found instance. */
export interface FoundInstance {
  mask: Mask;
  bbox: Box;
  score: number;
  source: 'model';
}

function boxMask(image: RawImage, box: Box): Mask {
  const [x, y, w, h] = checkExemplar(box, image.width, image.height);
  const data = new Uint8Array(image.width * image.height);
  for (let yy = Math.floor(y); yy < Math.ceil(y + h); yy++)
    data.fill(1, yy * image.width + Math.floor(x), yy * image.width + Math.ceil(x + w));
  return { width: image.width, height: image.height, data };
}

/** A candidate region with its area and bbox, so that overlap tests can skip disjoint pairs. */
interface Candidate {
  mask: Mask;
  area: number;
  bbox: Box;
}

/** Narrowest side, in pixels, of a region worth reporting: thinner ones are slivers along another region's edge. */
const MIN_SIDE = 3;
const isScrap = (area: number, [, , w, h]: Box, minArea: number) =>
  area < minArea || Math.min(w, h) < MIN_SIDE;

/** The 8-connected components of a mask with at least `minArea` pixels and at least {@link MIN_SIDE} across. */
function components(mask: Mask, minArea: number): Candidate[] {
  const { labels, stats } = labelComponents(mask);
  return stats
    .filter((s) => !isScrap(s.area, s.bbox, minArea))
    .map((s) => {
      const data = new Uint8Array(labels.length);
      const [x, y, w, h] = s.bbox;
      for (let yy = y; yy < y + h; yy++)
        for (let i = yy * mask.width + x; i < yy * mask.width + x + w; i++)
          if (labels[i] === s.label) data[i] = 1;
      return { mask: { width: mask.width, height: mask.height, data }, area: s.area, bbox: s.bbox };
    });
}

/** IoU of two candidates, counting only inside the intersection of their bboxes (0 when those are disjoint). */
function candidateIou(a: Candidate, b: Candidate): number {
  const x0 = Math.max(a.bbox[0], b.bbox[0]);
  const y0 = Math.max(a.bbox[1], b.bbox[1]);
  const x1 = Math.min(a.bbox[0] + a.bbox[2], b.bbox[0] + b.bbox[2]);
  const y1 = Math.min(a.bbox[1] + a.bbox[3], b.bbox[1] + b.bbox[3]);
  if (x1 <= x0 || y1 <= y0) return 0;
  const W = a.mask.width;
  let inter = 0;
  for (let y = y0; y < y1; y++)
    for (let i = y * W + x0; i < y * W + x1; i++) if (a.mask.data[i] && b.mask.data[i]) inter++;
  return inter / (a.area + b.area - inter);
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
 * Finds every instance of a concept given by a text prompt and/or exemplar boxes. With `findModel`, a SAM 3 model
 * answers it (see {@link findConcept}); otherwise the light pipeline:
 * 1. Candidates: connected components (≥ `minArea` px) of CLIPSeg's mask for the text and of SAM's automatic masks,
 *    near-duplicates (IoU ≥ 0.9) removed, at most `maxCandidates`, largest first.
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
  if (opts.findModel) {
    const found = await findConcept(input, {
      model: opts.findModel,
      ...(text ? { text } : {}),
      positiveExemplars: positives,
      negativeExemplars: negatives,
      ...(opts.threshold !== undefined ? { threshold: opts.threshold } : {}),
      ...(opts.maxInstances !== undefined ? { maxInstances: opts.maxInstances } : {}),
      ...(opts.nms !== undefined ? { nms: opts.nms } : {}),
    });
    return found.instances.map((i) => ({ ...i, source: 'model' as const }));
  }
  const image = await toRawImage(input);
  const posMasks = positives.map((b) => boxMask(image, b));
  const negMasks = negatives.map((b) => boxMask(image, b));
  const segmenter = await Segmenter.create(opts.segmentModel ? { model: opts.segmentModel } : {});
  // 1. Candidates: components of the CLIPSeg mask and of SAM's automatic masks, without near-duplicates.
  const minArea = opts.minArea ?? Math.max(16, Math.round(0.001 * image.width * image.height));
  const pool: Candidate[] = [];
  if (text) {
    const [heat] = await segmentText(image, [text], { ...(opts.textModel ? { model: opts.textModel } : {}) });
    pool.push(...components(heat!.mask, minArea));
  }
  if (segmenter.backend !== 'classic' && segmenter.accepts.points) {
    const generated = await segmenter.generateMasks(image, { pointsPerSide: opts.pointsPerSide ?? 16 });
    for (const g of generated) pool.push(...components(g.mask, minArea));
  }
  pool.sort((a, b) => b.area - a.area);
  const kept: Candidate[] = [];
  for (const c of pool) {
    if (kept.length >= (opts.maxCandidates ?? 200)) break;
    if (kept.every((k) => candidateIou(k, c) < 0.9)) kept.push(c);
  }
  if (!kept.length) return [];
  // 2. Scoring with CLIP.
  const clipOpts = opts.clipModel ? { model: opts.clipModel } : {};
  const refs = [
    ...(text ? await embedText([text], clipOpts) : []),
    ...(posMasks.length ? await embedMasks(image, posMasks, { ...clipOpts, blankBackground: false }) : []),
  ];
  const negs = negMasks.length
    ? await embedMasks(image, negMasks, { ...clipOpts, blankBackground: false })
    : [];
  const vecs = await embedMasks(
    image,
    kept.map((c) => c.mask),
    clipOpts,
  );
  const threshold = opts.threshold ?? 0.25;
  const scored = kept
    .map((c, i) => {
      const pos = refs.reduce((s, r) => s + cos(vecs[i]!, r), 0) / refs.length;
      const neg = negs.length ? Math.max(...negs.map((n) => cos(vecs[i]!, n))) : 0;
      return { ...c, score: pos - neg };
    })
    .filter((c) => c.score >= threshold)
    .sort((a, b) => b.score - a.score);
  // 3. Refinement and 4. de-duplication.
  const nms = opts.nms ?? 0.5;
  const found: FoundInstance[] = [];
  const foundRles: ParsedRle[] = []; // each found mask's runs, parsed once for the duplicate checks
  for (const c of scored) {
    if (found.length >= (opts.maxInstances ?? 50)) break;
    // A segmenter whose graphs take no boxes (a SAM 1 points-only export) cannot refine: the candidate stays as it is.
    const refined = segmenter.accepts.box
      ? (await segmenter.segment(image, { prompt: { box: padBox(c.bbox, image) } })).mask
      : c.mask;
    const mask = iou(refined, c.mask) >= 0.5 ? refined : c.mask; // keep the candidate when the refinement wanders off
    const box = bbox(mask);
    // The minimum area applies to what is reported too; a mask lying mostly inside one already found is a duplicate.
    if (isScrap(maskArea(mask), box, minArea)) continue;
    const runs = parseRle(maskToRle(mask, { compressed: false }));
    if (
      foundRles.some((f) => {
        const o = rleOverlap(runs, f);
        return o.iou > nms || o.contained > 0.8;
      })
    )
      continue;
    found.push({ mask, bbox: box, score: c.score, source: 'model' });
    foundRles.push(runs);
  }
  return found;
}
