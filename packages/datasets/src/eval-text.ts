import { basename, extname } from 'node:path';
import { InvalidArgumentError, loadImage } from '@segkit/core';
import { type Dtype, type PromptSet, segmentText } from '@segkit/models';
import { type MaskSource, type MaskValue, manifestSource } from './eval-sources.js';
import { type EvalReport, type EvaluateOptions, evaluate } from './evaluate.js';
import { readManifest } from './manifest.js';

export interface EvalTextOptions extends Pick<EvaluateOptions, 'thresholds' | 'threshold'> {
  /** Only images of this split (default: all rows). */
  split?: string;
  /** Text model (default `clipseg`). */
  model?: string;
  /** Weight variant of a repo or folder (`q8`: onnx/model_quantized.onnx). */
  dtype?: Dtype;
}

export interface EvalTextResult {
  report: EvalReport;
  pred: MaskSource;
  gt: MaskSource;
  images: number;
  /** Mean wall time of text prediction per image, in milliseconds. */
  msPerImage: number;
}

const stemOf = (f: string) => basename(f, extname(f));

/**
 * Runs text-prompted segmentation over the images of a manifest split and evaluates it against the manifest's masks.
 * Only labels present in both the prompt set and the manifest are scored. Predictions are probability maps, so the
 * thresholds are swept (a sweep on `test` is flagged as sensitivity analysis only).
 */
export async function evalText(
  manifestPath: string,
  prompts: PromptSet,
  opts: EvalTextOptions = {},
): Promise<EvalTextResult> {
  const rows = (await readManifest(manifestPath)).filter((r) => !opts.split || r.split === opts.split);
  const labels = Object.keys(prompts).filter((l) => rows.some((r) => r.label === l));
  if (!labels.length) {
    throw new InvalidArgumentError(
      `No label of the prompt set (${Object.keys(prompts).join(', ')}) appears in ${opts.split ? `split ${opts.split} of ` : ''}${manifestPath}`,
    );
  }
  const used: PromptSet = Object.fromEntries(labels.map((l) => [l, prompts[l]!]));
  const images = [...new Set(rows.filter((r) => labels.includes(r.label)).map((r) => r.image_path))];
  const preds = new Map<string, MaskValue>();
  let ms = 0;
  for (const rel of images) {
    const image = await loadImage(rel);
    const t0 = performance.now();
    const results = await segmentText(image, used, {
      ...(opts.model ? { model: opts.model } : {}),
      ...(opts.dtype ? { dtype: opts.dtype } : {}),
    });
    ms += performance.now() - t0;
    for (const r of results)
      preds.set(`${r.label}\n${stemOf(rel)}`, {
        kind: 'prob',
        width: r.width,
        height: r.height,
        prob: r.probability,
      });
  }
  const pred: MaskSource = {
    keys: [...preds.keys()].map((k) => {
      const [label, stem] = k.split('\n') as [string, string];
      return { label, stem };
    }),
    load: async (label, stem) => preds.get(`${label}\n${stem}`),
    imagePath: (stem) => {
      const rel = images.find((p) => stemOf(p) === stem);
      return rel;
    },
  };
  const gt = await manifestSource(manifestPath, opts.split);
  const report = await evaluate(pred, gt, {
    labels,
    ...(opts.thresholds ? { thresholds: opts.thresholds } : {}),
    ...(opts.threshold !== undefined ? { threshold: opts.threshold } : {}),
    split: opts.split ?? 'all',
  });
  return { report, pred, gt, images: images.length, msPerImage: images.length ? ms / images.length : 0 };
}
