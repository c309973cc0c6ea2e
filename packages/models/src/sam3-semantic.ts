// Text prompts as semantic masks with SAM 3 (`segkit text --model sam3`, `eval text`): a label's mask is the union of
// the instances its prompts find, and its "probability" at a pixel is the best score of an instance covering it, so
// SAM 3 and CLIPSeg can be compared on the same manifest.
import type { Mask, RawImage } from '@segkit/core';
import { cleanMask, type MaskCleanup } from './mask-cleanup.js';
import { sharedFinder } from './sam3-find.js';
import type { TextSegment } from './types.js';

/** What {@link segmentTextSam3} takes: the options of `segmentText` that apply to SAM 3. */
export interface SemanticOptions extends MaskCleanup {
  model: string;
  threshold?: number;
  combine?: 'max' | 'mean';
  instances?: boolean;
}

/** One label per prompt set entry; `threshold` is SAM 3's detection score threshold here (default 0.3). */
export async function segmentTextSam3(
  image: RawImage,
  set: Record<string, string[]>,
  opts: SemanticOptions,
): Promise<TextSegment[]> {
  const finder = await sharedFinder(opts.model);
  const n = image.width * image.height;
  const out: TextSegment[] = [];
  for (const [label, prompts] of Object.entries(set)) {
    const probability = new Float32Array(n);
    const instances: Mask[] = [];
    for (const [k, text] of prompts.entries()) {
      const found = await finder.find(image, { text, threshold: opts.threshold ?? 0.3 });
      const map = new Float32Array(n);
      for (const inst of found.instances) {
        instances.push(inst.mask);
        for (let i = 0; i < n; i++) if (inst.mask.data[i] && inst.score > map[i]!) map[i] = inst.score;
      }
      for (let i = 0; i < n; i++)
        probability[i] =
          opts.combine === 'mean'
            ? (probability[i]! * k + map[i]!) / (k + 1)
            : Math.max(probability[i]!, map[i]!);
    }
    const data = new Uint8Array(n);
    for (let i = 0; i < n; i++) data[i] = probability[i]! > 0 ? 1 : 0;
    const mask = cleanMask({ width: image.width, height: image.height, data }, opts);
    out.push({
      label,
      prompts,
      width: image.width,
      height: image.height,
      probability,
      mask,
      ...(opts.instances ? { instances } : {}),
    });
  }
  return out;
}
