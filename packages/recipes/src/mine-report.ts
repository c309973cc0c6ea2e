// The figures mining reports per class: the validation tally of a recipe's final detections, with COCO AP (segm).
import { type ParsedRle, rleArea, rleBbox } from '@segkit/core';
import { cocoAp } from '@segkit/datasets';
import type { Candidate } from './gather.js';
import type { RunnerStats } from './runner.js';
import { addImage, coverage, detectionRate, emptyTally, matchImage, precision } from './score.js';
import type { TruthImage } from './truth.js';
import type { RecipeFilter, RecipeScores } from './types.js';

/** A class's figures as `report.json` gives them. */
export interface ClassReport extends RecipeScores {
  prompts: string[];
  filter: RecipeFilter | null;
  reachedTarget: boolean;
  /** The class name alone, no filter: what the recipe is measured against. */
  baseline: { precision: number; coverage: number; detections: number };
  /** The chosen prompts without the filter. */
  unfiltered: { precision: number; coverage: number; detections: number };
  curve: { threshold: number; coverage: number; precision: number }[];
  notes: string[];
}

export interface MineReport {
  mode: 'greedy' | 'steps';
  targetPrecision: number;
  iou: number;
  split: { seed: number; val: number; trainImages: number; valImages: number };
  classes: Record<string, ClassReport>;
  /** Find-all calls a model ran, answers the cache served, and crops embedded. */
  cache: RunnerStats;
  seconds: number;
}

/** A class's validation figures for final detections (per image, best first), with COCO AP (segm). */
export function finalScores(
  val: TruthImage[],
  gts: ParsedRle[][],
  finals: Candidate[][],
  className: string,
  iou: number,
) {
  const tally = emptyTally();
  for (const [i, dets] of finals.entries()) {
    const { outcomes } = matchImage(
      dets.map((d) => d.parsed),
      gts[i]!,
      iou,
    );
    addImage(tally, outcomes, gts[i]!.length);
  }
  const gtAnns = val.flatMap((img) =>
    (img.instances.get(className) ?? []).map((rle) => ({
      image_id: img.id,
      category_id: 1,
      segmentation: rle,
      area: rleArea(rle),
      bbox: rleBbox(rle),
      iscrowd: 0,
    })),
  );
  const ap = gtAnns.length
    ? cocoAp(
        {
          images: val.map((v) => ({ id: v.id, width: v.width, height: v.height })),
          categories: [{ id: 1 }],
          annotations: gtAnns.map((a, k) => ({ ...a, id: k + 1 })),
        },
        finals.flatMap((dets, i) =>
          dets.map((d) => ({
            image_id: val[i]!.id,
            category_id: 1,
            segmentation: d.rle,
            score: d.score,
            bbox: d.bbox,
          })),
        ),
      ).stats.AP
    : 0;
  const scores: RecipeScores = {
    images: tally.images,
    gt: tally.gt,
    detections: tally.detections,
    matched: tally.matched,
    coverage: coverage(tally),
    precision: precision(tally),
    falsePositives: tally.falsePositives,
    duplicates: tally.duplicates,
    detectionRate: detectionRate(tally),
    ap: Math.max(0, ap),
  };
  return scores;
}
