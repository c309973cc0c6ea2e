import {
  bbox,
  ModelUnsupportedError,
  area as maskArea,
  maskToRle,
  type ParsedRle,
  parseRle,
  type RawImage,
  rleNms,
} from '@segkit/core';
import type { PromptableBackend, SamEmbedding } from './backend/promptable-types.js';
import { logitsToMask } from './postprocess.js';
import type { SegmentResult } from './types.js';

/** Options for automatic ("everything") mask generation. */
export interface GenerateMasksOptions {
  /** Grid density: pointsPerSide² prompts (default 16). */
  pointsPerSide?: number;
  /** Keep candidates whose predicted IoU is at least this (default 0.88, as in SAM). */
  predIouThreshold?: number;
  /** Keep candidates whose stability score is at least this (default 0.92). */
  stabilityThreshold?: number;
  /** Drop masks smaller than this many pixels (default 0). */
  minArea?: number;
  /** Non-maximum suppression: drop a mask whose IoU with a better-scored kept mask exceeds this (default 0.7). */
  nms?: number;
  /** Prompts per decoder call (default 32). */
  batchSize?: number;
}

/** A generated mask, with the grid point that produced it and its stability score. */
export interface GeneratedMask extends SegmentResult {
  point: [number, number];
  stability: number;
}

/** IoU between the logit map thresholded at +offset and at −offset: how little the mask moves with the cut-off. */
function stability(logits: Float32Array, offset: number, n: number, offsetBy = 1): number {
  let inner = 0;
  let outer = 0;
  for (let i = offset; i < offset + n; i++) {
    const v = logits[i]!;
    if (v > offsetBy) inner++;
    if (v > -offsetBy) outer++;
  }
  return outer === 0 ? 0 : inner / outer;
}

/**
 * Segments everything: prompts the decoder with a grid of points, batched against one cached embedding, keeps
 * candidates that pass the predicted-IoU and stability filters, then removes duplicates with NMS (on the
 * low-resolution masks, best score first). Full-size masks are produced only for the survivors.
 */
export async function generateFromEmbedding(
  backend: PromptableBackend | undefined,
  emb: SamEmbedding | undefined,
  image: RawImage,
  opts: GenerateMasksOptions = {},
): Promise<GeneratedMask[]> {
  if (!backend || !emb)
    throw new ModelUnsupportedError(
      'Automatic mask generation needs a SAM or SAM 2 model, not the classic backend',
    );
  const n = Math.max(1, Math.floor(opts.pointsPerSide ?? 16));
  const predIou = opts.predIouThreshold ?? 0.88;
  const stable = opts.stabilityThreshold ?? 0.92;
  const nmsIou = opts.nms ?? 0.7;
  const batch = Math.max(1, Math.floor(opts.batchSize ?? 32));
  const points: [number, number][] = [];
  for (let j = 0; j < n; j++)
    for (let i = 0; i < n; i++) points.push([((i + 0.5) * image.width) / n, ((j + 0.5) * image.height) / n]);
  type Candidate = {
    score: number;
    stability: number;
    point: [number, number];
    logits: Float32Array;
    offset: number;
    low: ParsedRle;
    lowSize: [number, number];
  };
  const candidates: Candidate[] = [];
  for (let start = 0; start < points.length; start += batch) {
    const chunk = points.slice(start, start + batch);
    const out = await backend.decodeBatch(emb, chunk);
    const [lh, lw] = out.lowSize;
    const per = lh * lw;
    for (let p = 0; p < out.prompts; p++) {
      for (let k = 0; k < out.candidates; k++) {
        const idx = p * out.candidates + k;
        const score = out.scores[idx]!;
        if (score < predIou) continue;
        const offset = idx * per;
        const st = stability(out.logits, offset, per);
        if (st < stable) continue;
        const bits = new Uint8Array(per);
        for (let i = 0; i < per; i++) bits[i] = out.logits[offset + i]! > 0 ? 1 : 0;
        const low = parseRle(maskToRle({ width: lw, height: lh, data: bits }, { compressed: false }));
        candidates.push({
          score,
          stability: st,
          point: chunk[p]!,
          logits: out.logits,
          offset,
          low,
          lowSize: out.lowSize,
        });
      }
    }
  }
  candidates.sort((a, b) => b.score - a.score || b.stability - a.stability);
  const kept = rleNms(
    candidates.map((c) => c.low),
    nmsIou,
  ).map((k) => candidates[k]!);
  const results: GeneratedMask[] = [];
  for (const c of kept) {
    const mask = logitsToMask(
      c.logits,
      c.offset,
      c.lowSize,
      emb.frameSize,
      emb.reshapedSize,
      emb.originalSize,
    );
    const a = maskArea(mask);
    if (a === 0 || a < (opts.minArea ?? 0)) continue;
    results.push({
      mask,
      score: c.score,
      scoreKind: 'predicted-iou',
      bbox: bbox(mask),
      area: a,
      point: c.point,
      stability: c.stability,
    });
  }
  return results;
}
