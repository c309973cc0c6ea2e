// Validation of `segkit text train`: each epoch's decoder scored on the val rows exactly as `segkit eval text` scores
// a model, a few rows per batch so that their forward passes share the pool's threads.
import { loadImage } from '@segkit/core';
import type { DecoderTraining, ProbabilityItem, PromptSet } from '@segkit/models';
import type { MaskSource, MaskValue } from './eval-sources.js';
import { evaluate } from './evaluate.js';
import type { TrainRow } from './train-text-data.js';
import type { ValScore } from './train-text-state.js';

/** Val rows whose forward passes form one batch. */
const VAL_ROWS = 8;

export interface ValInputs {
  prompts: PromptSet;
  embeddings: Map<string, Float32Array>;
  featuresOf: (image: string) => Promise<Float32Array[]>;
  gt: MaskSource;
  thresholds: number[];
}

/**
 * A function that scores the trainer's current decoder on the val rows: mIoU/Dice per label at 0.5 and over the
 * sweep, by the same `evaluate` as `segkit eval text`. Each val image's size is kept between calls (epochs), so an
 * image is decoded once.
 */
export function valScorer(
  trainer: DecoderTraining,
  rows: TrainRow[],
  inputs: ValInputs,
): () => Promise<ValScore> {
  const sizes = new Map<string, [number, number]>();
  return () => validate(trainer, rows, inputs, sizes);
}

async function validate(
  trainer: DecoderTraining,
  rows: TrainRow[],
  { prompts, embeddings, featuresOf, gt, thresholds }: ValInputs,
  sizes: Map<string, [number, number]>,
): Promise<ValScore> {
  const preds = new Map<string, MaskValue>();
  // A few rows at a time, so that their forward passes share the threads.
  for (let s = 0; s < rows.length; s += VAL_ROWS) {
    const chunk = rows.slice(s, s + VAL_ROWS);
    const items: ProbabilityItem[] = [];
    for (const r of chunk) {
      let size = sizes.get(r.image);
      if (!size) {
        const img = await loadImage(r.image);
        size = [img.width, img.height];
        sizes.set(r.image, size);
      }
      const conds = prompts[r.label]!.map((t) => embeddings.get(t)!);
      items.push({ hidden: await featuresOf(r.image), conds, width: size[0], height: size[1] });
    }
    const probs = await trainer.probabilities(items);
    for (const [i, r] of chunk.entries()) {
      const { width, height } = items[i]!;
      preds.set(`${r.label}\n${r.stem}`, { kind: 'prob', width, height, prob: probs[i]! });
    }
  }
  const pred: MaskSource = {
    keys: rows.map((r) => ({ label: r.label, stem: r.stem })),
    load: async (label, stem) => preds.get(`${label}\n${stem}`),
    imagePath: (stem) => rows.find((r) => r.stem === stem)?.image,
  };
  const labels = [...new Set(rows.map((r) => r.label))];
  const report = await evaluate(pred, gt, { labels, thresholds, threshold: 0.5, split: 'val' });
  const top = report.thresholds.reduce((a, b) => (b.miou > a.miou ? b : a));
  return {
    miou: report.overall.miou,
    dice: report.overall.dice,
    perLabel: Object.fromEntries(
      Object.entries(report.perLabel).map(([l, m]) => [l, { miou: m.miou, dice: m.dice }]),
    ),
    bestThreshold: top.threshold,
    bestMiou: top.miou,
  };
}
