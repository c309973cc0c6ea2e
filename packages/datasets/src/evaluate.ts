import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  InvalidArgumentError,
  loadImage,
  type Mask,
  MaskSizeMismatchError,
  MetricAccumulator,
  type MetricSummary,
  maskToImage,
  overlay,
  type PanelItem,
  panel,
  scorePair,
  writeFileAtomic,
  writeImage,
} from '@segkit/core';
import type { MaskSource, MaskValue } from './eval-sources.js';

/** One (image, label) pair's scores. */
export interface ImageScore {
  image: string;
  label: string;
  iou: number;
  dice: number;
  /** True when there was no prediction for this ground truth (scored as an empty mask). */
  missing: boolean;
}

export interface ThresholdRow extends MetricSummary {
  threshold: number;
}

export interface EvalReport {
  overall: MetricSummary;
  perLabel: Record<string, MetricSummary>;
  /** One row per threshold when predictions are probability maps; empty for binary masks. */
  thresholds: ThresholdRow[];
  /** The threshold the overall and per-label numbers use (probability maps only). */
  threshold?: number;
  split: string;
  notes: string[];
  perImage: ImageScore[];
  missing: string[];
}

export interface EvaluateOptions {
  labels?: string[];
  /** Thresholds to sweep for probability maps (default 0.3, 0.4, 0.5, 0.6). */
  thresholds?: number[];
  /** Threshold for the headline numbers (default 0.5). */
  threshold?: number;
  /** Which split this is ("val", "test", …); recorded in the report. */
  split?: string;
}

/** Scores a probability map thresholded at `t` against a mask in one pass, without building the binary mask. */
function scoreAt(gt: Mask, v: MaskValue, t: number): { iou: number; dice: number; absent: boolean } {
  if (v.kind === 'mask') {
    const s = scorePair(gt, v.mask);
    return { ...s, absent: s.iou === 0 && !gt.data.some((x) => x) && !v.mask.data.some((x) => x) };
  }
  let inter = 0;
  let a = 0;
  let b = 0;
  const g = gt.data;
  const p = v.prob;
  for (let i = 0; i < g.length; i++) {
    const on = p[i]! >= t ? 1 : 0;
    a += g[i]!;
    b += on;
    inter += g[i]! & on;
  }
  const union = a + b - inter;
  return {
    iou: union === 0 ? 0 : inter / union,
    dice: a + b === 0 ? 0 : (2 * inter) / (a + b),
    absent: union === 0,
  };
}

const binarize = (v: MaskValue, t: number): Mask => {
  if (v.kind === 'mask') return v.mask;
  const data = new Uint8Array(v.prob.length);
  for (let i = 0; i < data.length; i++) data[i] = v.prob[i]! >= t ? 1 : 0;
  return { width: v.width, height: v.height, data };
};

/**
 * Compares predictions with ground truth, matched by label and image stem. A missing prediction counts as an empty
 * mask and is listed. mIoU is the mean of the per-image IoUs. An image where the label is in neither the truth nor
 * the prediction is not scored: it is counted as `absent` and left out of the means (and of `perImage`).
 * Probability maps are swept over thresholds; a sweep on the test split is flagged as sensitivity analysis only.
 */
export async function evaluate(
  pred: MaskSource,
  gt: MaskSource,
  opts: EvaluateOptions = {},
): Promise<EvalReport> {
  const thresholds = opts.thresholds ?? [0.3, 0.4, 0.5, 0.6];
  const headline = opts.threshold ?? 0.5;
  for (const t of [...thresholds, headline])
    if (!(t >= 0 && t <= 1)) throw new InvalidArgumentError(`Thresholds must lie in [0, 1], got ${t}`);
  const wanted = opts.labels ? new Set(opts.labels) : undefined;
  const pairs = gt.keys.filter((k) => !wanted || wanted.has(k.label));
  const main = new MetricAccumulator();
  const sweep = thresholds.map(() => new MetricAccumulator());
  const perImage: ImageScore[] = [];
  const missing: string[] = [];
  let sawProb = false;
  for (const { label, stem } of pairs) {
    const g = await gt.load(label, stem);
    if (!g) continue;
    const gtMask = binarize(g, 0.5);
    const p = await pred.load(label, stem);
    const isMissing = !p;
    if (isMissing) missing.push(`${label}/${stem}`);
    const value: MaskValue = p ?? {
      kind: 'mask',
      mask: { width: gtMask.width, height: gtMask.height, data: new Uint8Array(gtMask.data.length) },
    };
    const w = value.kind === 'mask' ? value.mask.width : value.width;
    const h = value.kind === 'mask' ? value.mask.height : value.height;
    if (w !== gtMask.width || h !== gtMask.height) {
      throw new MaskSizeMismatchError(
        `Prediction ${label}/${stem} is ${w}×${h} but its ground truth is ${gtMask.width}×${gtMask.height}`,
      );
    }
    const s = scoreAt(gtMask, value, headline);
    if (s.absent) main.addAbsent(label);
    else {
      main.addScores(label, s.iou, s.dice);
      perImage.push({ image: stem, label, iou: s.iou, dice: s.dice, missing: isMissing });
    }
    if (value.kind === 'prob') sawProb = true;
    thresholds.forEach((t, k) => {
      // A binary mask scores the same at every threshold, so only probability maps are rescored.
      const st = value.kind === 'prob' ? scoreAt(gtMask, value, t) : s;
      if (st.absent) sweep[k]!.addAbsent(label);
      else sweep[k]!.addScores(label, st.iou, st.dice);
    });
  }
  const summary = main.summary();
  const split = opts.split ?? 'unspecified';
  const notes: string[] = [];
  if (missing.length)
    notes.push(
      `${missing.length} ground-truth mask(s) had no prediction and were scored as empty predictions.`,
    );
  if (summary.overall.absent)
    notes.push(
      `${summary.overall.absent} image(s) had the label in neither the truth nor the prediction: nothing to score, so they are left out of the means.`,
    );
  if (sawProb && split === 'test') {
    notes.push(
      'Thresholds were swept on the test split: treat the threshold table as sensitivity analysis only, and pick a threshold on a validation split.',
    );
  }
  return {
    overall: summary.overall,
    perLabel: summary.perLabel,
    thresholds: sawProb
      ? thresholds.map((threshold, k) => ({ threshold, ...sweep[k]!.summary().overall }))
      : [],
    ...(sawProb ? { threshold: headline } : {}),
    split,
    notes,
    perImage,
    missing,
  };
}

const f4 = (v: number) => (Number.isNaN(v) ? 'n/a' : v.toFixed(4));
const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/**
 * Writes `report.json`, `report.md`, `per_image.csv` and Original | GT | Prediction panels for the `k` best and
 * `k` worst images under `out/`.
 */
export async function writeReport(
  report: EvalReport,
  out: string,
  pred: MaskSource,
  gt: MaskSource,
  opts: { k?: number } = {},
): Promise<void> {
  const k = opts.k ?? 3;
  await mkdir(join(out, 'panels'), { recursive: true });
  const { perImage, ...rest } = report;
  await writeFileAtomic(
    join(out, 'report.json'),
    `${JSON.stringify({ ...rest, perImageCount: perImage.length }, null, 2)}\n`,
  );
  const csv = [
    'image,label,iou,dice,missing',
    ...perImage.map((r) =>
      [csvCell(r.image), csvCell(r.label), r.iou.toFixed(6), r.dice.toFixed(6), r.missing].join(','),
    ),
  ];
  await writeFileAtomic(join(out, 'per_image.csv'), `${csv.join('\n')}\n`);
  const ranked = [...perImage].sort((a, b) => b.iou - a.iou);
  const chosen = [
    ...ranked.slice(0, k).map((r, i) => ({ r, name: `best-${i + 1}` })),
    ...ranked
      .slice(-k)
      .reverse()
      .map((r, i) => ({ r, name: `worst-${i + 1}` })),
  ];
  const panelLines: string[] = [];
  for (const { r, name } of chosen) {
    const g = await gt.load(r.label, r.image);
    const p = await pred.load(r.label, r.image);
    if (!g) continue;
    const gtMask = binarize(g, 0.5);
    const predMask = p
      ? binarize(p, report.threshold ?? 0.5)
      : { ...gtMask, data: new Uint8Array(gtMask.data.length) };
    const photoPath = gt.imagePath(r.image) ?? pred.imagePath(r.image);
    const tiles: PanelItem[] = [];
    if (photoPath) {
      const photo = await loadImage(photoPath);
      if (photo.width === gtMask.width && photo.height === gtMask.height) {
        tiles.push({ image: photo, caption: 'Original' });
        tiles.push({ image: await overlay(photo, [gtMask]), caption: 'GT' });
        tiles.push({
          image: await overlay(photo, [predMask]),
          caption: `Prediction IoU ${r.iou.toFixed(3)}`,
        });
      }
    }
    if (!tiles.length) {
      tiles.push(
        { image: maskToImage(gtMask), caption: 'GT' },
        { image: maskToImage(predMask), caption: `Prediction IoU ${r.iou.toFixed(3)}` },
      );
    }
    const file = `panels/${name}.png`;
    await writeImage(join(out, file), await panel(tiles, { height: 256 }));
    panelLines.push(
      `### ${name}: ${r.label} / ${r.image} (IoU ${r.iou.toFixed(3)})\n\n![${name}](${file})\n`,
    );
  }
  const md = [
    '# Evaluation report',
    '',
    `Split: **${report.split}**. Pairs: ${report.overall.n}. mIoU is the mean of per-image IoUs; images where the label is in neither the GT nor the prediction are not scored (absent: ${report.overall.absent}).`,
    ...(report.threshold !== undefined
      ? [`Probability maps, binarised at ≥ ${report.threshold} for the headline numbers.`]
      : []),
    ...report.notes.map((n) => `> ${n}`),
    '',
    '## Overall',
    '',
    '| mIoU | Dice | n | absent |',
    '| --- | --- | --- | --- |',
    `| ${f4(report.overall.miou)} | ${f4(report.overall.dice)} | ${report.overall.n} | ${report.overall.absent} |`,
    '',
    '## Per label',
    '',
    '`absent`: images where the label is in neither the truth nor the prediction; they are not scored.',
    '',
    '| label | mIoU | Dice | n | absent |',
    '| --- | --- | --- | --- | --- |',
    ...Object.entries(report.perLabel).map(
      ([l, s]) => `| ${l} | ${f4(s.miou)} | ${f4(s.dice)} | ${s.n} | ${s.absent} |`,
    ),
    '',
    '## Thresholds',
    '',
    ...(report.thresholds.length
      ? [
          '| threshold | mIoU | Dice | n |',
          '| --- | --- | --- | --- |',
          ...report.thresholds.map((t) => `| ${t.threshold} | ${f4(t.miou)} | ${f4(t.dice)} | ${t.n} |`),
        ]
      : ['Predictions are binary masks: no threshold sweep.']),
    '',
    '## Per image',
    '',
    'See [per_image.csv](per_image.csv).',
    ...(report.missing.length ? ['', `Missing predictions: ${report.missing.join(', ')}`] : []),
    '',
    '## Best and worst images',
    '',
    ...panelLines,
  ];
  await writeFileAtomic(join(out, 'report.md'), `${md.join('\n')}\n`);
}
