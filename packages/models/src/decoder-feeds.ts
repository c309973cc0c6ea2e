// The SAM prompt decoder's inputs and outputs as plain typed arrays, with no Node or onnxruntime import: the browser
// app runs the same decoder graphs with onnxruntime-web from an embedding the server sends, and builds its feeds
// here, so that a click in the browser and a click sent to the server give the same mask.
import type { Mask } from '@segkit/core';
import { logitsToMask } from './postprocess.js';
import { promptToFrame } from './prompt-frame.js';

/**
 * The decoder layouts SegKit runs: transformers.js SAM (`sam`, points-only or boxes-only graphs), transformers.js
 * SAM 2 (`sam2`), the SAM 3 tracker (`sam3-tracker`: SAM 2's inputs at 1008 px with 288² masks), Meta's official SAM
 * decoder (`sam-official`) and the standalone SAM 2 pair (`sam2-pair`).
 */
export type DecoderLayout = 'sam' | 'sam2' | 'sam3-tracker' | 'sam-official' | 'sam2-pair';

export interface FeedTensor {
  type: 'float32' | 'int64';
  data: Float32Array | BigInt64Array;
  dims: number[];
}

/** An image's encoder output and the geometry that maps image pixels to the model's frame ([height, width]). */
export interface EmbeddingTensors {
  tensors: Record<string, { data: Float32Array; dims: readonly number[] }>;
  originalSize: [number, number];
  reshapedSize: [number, number];
  frameSize: [number, number];
}

/** A prompt in original-image pixels: points with labels 1 (positive) / 0 (negative), a box as x0, y0, x1, y1. */
export interface BrowserPrompt {
  points: [number, number][];
  labels: number[];
  box?: [number, number, number, number];
}

const f32 = (data: number[], dims: number[]): FeedTensor => ({
  type: 'float32',
  data: Float32Array.from(data),
  dims,
});
const i64 = (data: number[], dims: number[]): FeedTensor => ({
  type: 'int64',
  data: BigInt64Array.from(data.map((v) => BigInt(v))),
  dims,
});

/**
 * The feeds for one prompt on one decoder graph, given the names of the inputs it declares. Embedding tensors are
 * passed by the names the graph declares; prompt coordinates are scaled to the resized frame as the server does.
 */
export function buildDecoderFeeds(
  layout: DecoderLayout,
  inputNames: readonly string[],
  emb: EmbeddingTensors,
  prompt: BrowserPrompt,
): Record<string, FeedTensor> {
  const [oh, ow] = emb.originalSize;
  const feeds: Record<string, FeedTensor> = {};
  for (const name of inputNames) {
    const t = emb.tensors[name];
    if (t) feeds[name] = { type: 'float32', data: t.data, dims: [...t.dims] };
  }
  const { points: pts, labels, box } = promptToFrame(prompt, emb.originalSize, emb.reshapedSize);
  const n = labels.length;
  if (layout === 'sam') {
    if (inputNames.includes('input_points')) {
      // A graph that takes both, given a box alone, gets one padding point labelled -10 (ignored by the encoder).
      feeds.input_points = f32(n ? pts : [0, 0], [1, 1, n || 1, 2]);
      feeds.input_labels = i64(n ? labels : [-10], [1, 1, n || 1]);
    }
    if (inputNames.includes('input_boxes')) feeds.input_boxes = f32(box ?? [], [1, box ? 1 : 0, 4]);
    return feeds;
  }
  if (layout === 'sam2' || layout === 'sam3-tracker') {
    if (n) {
      feeds.input_points = f32(pts, [1, 1, n, 2]);
      feeds.input_labels = i64(labels, [1, 1, n]);
      feeds.input_boxes = f32(box ?? [], [1, box ? 1 : 0, 4]);
    } else {
      feeds.input_boxes = f32(box ?? [0, 0, 0, 0], [1, 1, 4]);
      feeds.input_points = f32([], [1, 1, 0, 2]);
      feeds.input_labels = i64([], [1, 1, 0]);
    }
    return feeds;
  }
  // Meta's decoder and the SAM 2 pair: a box is two corner points labelled 2 and 3; no box, a padding point -1.
  const coords = box ? [...pts, ...box] : [...pts, 0, 0];
  const all = box ? [...labels, 2, 3] : [...labels, -1];
  feeds.point_coords = f32(coords, [1, all.length, 2]);
  feeds.point_labels = f32(all, [1, all.length]);
  feeds.mask_input = { type: 'float32', data: new Float32Array(256 * 256), dims: [1, 1, 256, 256] };
  feeds.has_mask_input = f32([0], [1]);
  if (inputNames.includes('orig_im_size')) feeds.orig_im_size = f32([oh, ow], [2]);
  return feeds;
}

export interface DecodedCandidates {
  scores: Float32Array;
  logits: Float32Array;
  candidates: number;
  lowSize: [number, number];
}

/** Reads the decoder's outputs: `iou_scores`/`pred_masks` (transformers.js) or `iou_predictions`/`masks`. */
export function readDecoderOutputs(
  outputs: Record<string, { data: unknown; dims: readonly number[] }>,
): DecodedCandidates {
  const scores = outputs.iou_scores ?? outputs.iou_predictions;
  const masks = outputs.pred_masks ?? outputs.low_res_masks ?? outputs.masks;
  if (!scores || !masks)
    throw new Error(`the decoder's outputs (${Object.keys(outputs).join(', ')}) have no scores or masks`);
  const d = masks.dims;
  const [c, h, w] = d.slice(-3) as [number, number, number];
  return {
    scores: scores.data as Float32Array,
    logits: masks.data as Float32Array,
    candidates: c,
    lowSize: [h, w],
  };
}

/** The candidates as full-size masks, best score first (all of them, or only the best). */
export function candidateMasks(
  decoded: DecodedCandidates,
  emb: EmbeddingTensors,
  multimask: boolean,
): { mask: Mask; score: number; index: number }[] {
  const [lh, lw] = decoded.lowSize;
  const order = Array.from({ length: decoded.candidates }, (_, k) => k).sort(
    (a, b) => decoded.scores[b]! - decoded.scores[a]!,
  );
  return (multimask ? order : order.slice(0, 1)).map((k) => ({
    mask: logitsToMask(
      decoded.logits,
      k * lh * lw,
      decoded.lowSize,
      emb.frameSize,
      emb.reshapedSize,
      emb.originalSize,
    ),
    score: decoded.scores[k]!,
    index: k,
  }));
}
