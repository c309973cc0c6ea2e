import { overlapCounts } from './mask.js';
import type { Mask } from './types.js';

/**
 * Intersection over union, with pycocotools' convention everywhere in SegKit: when the union is empty (both masks
 * empty) there is no overlap to measure and the IoU is 0; exactly one empty → 0.
 * @example iou(a, a) // 1
 */
export function iou(a: Mask, b: Mask): number {
  return scorePair(a, b).iou;
}

/**
 * Dice coefficient 2|A∩B| / (|A| + |B|); 0 when both masks are empty, as {@link iou}.
 * @example dice(a, a) // 1
 */
export function dice(a: Mask, b: Mask): number {
  return scorePair(a, b).dice;
}

/**
 * IoU and Dice of a (ground truth, prediction) pair in one pass, with the empty-mask conventions of {@link iou}.
 * @example scorePair(gt, pred) // { iou: 0.6667, dice: 0.8 }
 */
export function scorePair(gt: Mask, pred: Mask): { iou: number; dice: number } {
  const { intersection, union, areaA, areaB } = overlapCounts(gt, pred);
  return {
    iou: union === 0 ? 0 : intersection / union,
    dice: areaA + areaB === 0 ? 0 : (2 * intersection) / (areaA + areaB),
  };
}

/** Summary of a group of mask pairs. */
export interface MetricSummary {
  /** Mean of the per-pair IoUs. */
  miou: number;
  /** Mean of the per-pair Dice scores. */
  dice: number;
  /** Number of pairs scored. */
  n: number;
  /** Pairs where the label is in neither the truth nor the prediction: there is nothing to score, so they are left out. */
  absent: number;
}

/** What {@link MetricAccumulator.summary} returns. */
export interface MetricReport {
  /** Over every pair added, whatever its label. */
  overall: MetricSummary;
  /** Per label, sorted by label name. */
  perLabel: Record<string, MetricSummary>;
  /** Unweighted mean of the per-label mIoUs (the classic semantic-segmentation mIoU); NaN when empty. */
  meanOfLabels: number;
}

/**
 * Accumulates IoU and Dice over (ground truth, prediction) pairs, overall and per label.
 * mIoU is the mean of the per-pair IoUs. A pair where both masks are empty (the label is in neither) is not scored:
 * it is counted as `absent` and left out of the means; one-sided emptiness scores 0.
 *
 * @example
 * const acc = new MetricAccumulator();
 * acc.add('cat', gt, pred); acc.add('dog', gt2, pred2);
 * acc.summary().overall // { miou: 0.71, dice: 0.8, n: 2 }
 */
export class MetricAccumulator {
  private readonly groups = new Map<string, { iou: number; dice: number; n: number; absent: number }>();

  private group(label: string) {
    let g = this.groups.get(label);
    if (!g) {
      g = { iou: 0, dice: 0, n: 0, absent: 0 };
      this.groups.set(label, g);
    }
    return g;
  }

  /** Adds one pair and returns its scores; undefined for a pair where both masks are empty (counted as absent). */
  add(label: string, gt: Mask, pred: Mask): { iou: number; dice: number } | undefined {
    const { areaA, areaB } = overlapCounts(gt, pred);
    if (areaA + areaB === 0) {
      this.addAbsent(label);
      return undefined;
    }
    const scores = scorePair(gt, pred);
    this.addScores(label, scores.iou, scores.dice);
    return scores;
  }

  /** Adds scores computed elsewhere (for example on RLEs). */
  addScores(label: string, iouValue: number, diceValue: number): void {
    const g = this.group(label);
    g.iou += iouValue;
    g.dice += diceValue;
    g.n++;
  }

  /** Counts a pair where the label is in neither the truth nor the prediction (not scored). */
  addAbsent(label: string): void {
    this.group(label).absent++;
  }

  summary(): MetricReport {
    const perLabel: Record<string, MetricSummary> = {};
    let iouSum = 0;
    let diceSum = 0;
    let n = 0;
    let absent = 0;
    for (const label of [...this.groups.keys()].sort()) {
      const g = this.groups.get(label)!;
      perLabel[label] = {
        miou: g.n ? g.iou / g.n : Number.NaN,
        dice: g.n ? g.dice / g.n : Number.NaN,
        n: g.n,
        absent: g.absent,
      };
      iouSum += g.iou;
      diceSum += g.dice;
      n += g.n;
      absent += g.absent;
    }
    // A label never present anywhere has no mIoU, and does not pull the mean of labels down.
    const labels = Object.values(perLabel).filter((l) => l.n > 0);
    return {
      overall: { miou: n ? iouSum / n : Number.NaN, dice: n ? diceSum / n : Number.NaN, n, absent },
      perLabel,
      meanOfLabels: labels.length ? labels.reduce((s, l) => s + l.miou, 0) / labels.length : Number.NaN,
    };
  }
}
