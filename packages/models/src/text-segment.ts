import {
  type ImageInput,
  JsonInvalidError,
  labelComponents,
  PromptInvalidError,
  type RawImage,
  readJsonFile,
  toRawImage,
} from '@segkit/core';
import { ClipSegBackend } from './backend/clipseg.js';
import { cachedBackend } from './backend-cache.js';
import { cleanMask, type MaskCleanup } from './mask-cleanup.js';
import { resizeBilinear } from './postprocess.js';
import { isConceptModel } from './sam3-find.js';
import { segmentTextSam3 } from './sam3-semantic.js';
import type { Dtype, TextSegment } from './types.js';

export type { TextSegment } from './types.js';

/** The text-prompt model used when none is named: the `clipseg` preset. */
export const DEFAULT_TEXT_MODEL = 'clipseg';

/** Labels with one or more prompts each, e.g. `{ "crack": ["segment crack", "segment wall crack"] }`. */
export type PromptSet = Record<string, string[]>;

/** At most this many prompts per call (the model batches them). */
export const MAX_PROMPTS = 32;

/** Options for {@link segmentText}. */
export interface TextSegmentOptions extends MaskCleanup {
  /** Probability threshold for the masks (default 0.5); with a SAM 3 model, its detection score threshold (default 0.3). */
  threshold?: number;
  /**
   * Model reference (default `clipseg`). A SAM 3 concept model (`sam3`, `sam3-text`, …) gives each label the union of
   * the instances its prompts find, with each pixel's probability the best score of an instance covering it.
   */
  model?: string;
  /** Weight variant of a repo or folder (`q8`: onnx/model_quantized.onnx); presets pick their own. */
  dtype?: Dtype;
  /** How a label's prompts combine: the maximum (default) or the mean of their probabilities. */
  combine?: 'max' | 'mean';
  /** Also split each mask into instances by connected components. */
  instances?: boolean;
}

/** A label for a bare prompt: the text as a slug (`"segment crack"` → `segment-crack`). */
export const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '') || 'prompt';

/** Normalises prompts (a list of texts, or a prompt set) into labels with their prompts, validating them. */
export function toPromptSet(prompts: string[] | PromptSet): PromptSet {
  const set: PromptSet = Array.isArray(prompts)
    ? Object.fromEntries(prompts.map((p) => [slug(String(p)), [p]]))
    : prompts;
  if (!set || typeof set !== 'object' || !Object.keys(set).length)
    throw new PromptInvalidError('Give at least one text prompt');
  let total = 0;
  for (const [label, list] of Object.entries(set)) {
    if (!Array.isArray(list) || !list.length)
      throw new PromptInvalidError(`Label ${JSON.stringify(label)} has no prompts`);
    for (const p of list) {
      if (typeof p !== 'string' || !p.trim())
        throw new PromptInvalidError(`Label ${JSON.stringify(label)} has an empty prompt`);
    }
    total += list.length;
  }
  if (total > MAX_PROMPTS)
    throw new PromptInvalidError(`${total} prompts given; at most ${MAX_PROMPTS} are allowed per call`);
  return set;
}

/** Reads a prompt-set JSON file (`{ "label": ["prompt", ...] }`). */
export async function readPromptSet(path: string): Promise<PromptSet> {
  const json = await readJsonFile(path);
  if (!json || typeof json !== 'object' || Array.isArray(json))
    throw new JsonInvalidError(`${path} must map labels to lists of prompts`);
  return toPromptSet(json as PromptSet);
}

/**
 * Text-prompted segmentation with CLIPSeg: for each label, a probability map and a binary mask at the original
 * image size. A label's prompts are combined by max (or mean). Post-processing: threshold, optional open/close,
 * dropping small components, and optional instances (connected components).
 * @example const [crack] = await segmentText('wall.jpg', { crack: ['segment crack', 'segment wall crack'] }, { threshold: 0.4 });
 */
export async function segmentText(
  input: ImageInput | RawImage,
  prompts: string[] | PromptSet,
  opts: TextSegmentOptions = {},
): Promise<TextSegment[]> {
  const set = toPromptSet(prompts);
  const threshold = opts.threshold ?? 0.5;
  if (!(threshold >= 0 && threshold <= 1))
    throw new PromptInvalidError(`threshold must lie in [0, 1], got ${threshold}`);
  const image = await toRawImage(input);
  if (opts.model && isConceptModel(opts.model))
    return segmentTextSam3(image, set, { ...opts, model: opts.model });
  const backend = await cachedBackend(
    'clipseg',
    opts.model ?? DEFAULT_TEXT_MODEL,
    ClipSegBackend.load,
    opts.dtype,
  );
  const labels = Object.keys(set);
  const texts = labels.flatMap((l) => set[l]!);
  const { probs, size } = await backend.predict(image, texts);
  const [lh, lw] = size;
  const n = lh * lw;
  const out: TextSegment[] = [];
  let offset = 0;
  for (const label of labels) {
    const list = set[label]!;
    const combined = new Float32Array(n);
    for (let k = 0; k < list.length; k++) {
      const base = (offset + k) * n;
      for (let i = 0; i < n; i++) {
        const v = probs[base + i]!;
        combined[i] = opts.combine === 'mean' ? combined[i]! + v / list.length : Math.max(combined[i]!, v);
      }
    }
    offset += list.length;
    const probability = resizeBilinear(combined, lw, lh, image.width, image.height);
    const data = new Uint8Array(probability.length);
    for (let i = 0; i < data.length; i++) data[i] = probability[i]! >= threshold ? 1 : 0;
    const mask = cleanMask({ width: image.width, height: image.height, data }, opts);
    const seg: TextSegment = {
      label,
      prompts: list,
      width: image.width,
      height: image.height,
      probability,
      mask,
    };
    if (opts.instances) {
      const { labels: lab, count } = labelComponents(mask);
      seg.instances = Array.from({ length: count }, (_, k) => {
        const d = new Uint8Array(lab.length);
        for (let i = 0; i < d.length; i++) d[i] = lab[i] === k + 1 ? 1 : 0;
        return { width: mask.width, height: mask.height, data: d };
      });
    }
    out.push(seg);
  }
  return out;
}
