import { overlapCounts } from './mask.js';
import type { Mask } from './types.js';

/**
 * Intersection over union. Conventions: both masks empty → 1; exactly one empty → 0.
 * @example iou(a, a) // 1
 */
export function iou(a: Mask, b: Mask): number {
  return scorePair(a, b).iou;
}

/**
 * Dice coefficient 2|A∩B| / (|A| + |B|). Conventions: both masks empty → 1; exactly one empty → 0.
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
    iou: union === 0 ? 1 : intersection / union,
    dice: areaA + areaB === 0 ? 1 : (2 * intersection) / (areaA + areaB),
  };
}

/** Summary of a group of mask pairs. */
export interface MetricSummary {
  /** Mean of the per-pair IoUs. */
  miou: number;
  /** Mean of the per-pair Dice scores. */
  dice: number;
  /** Number of pairs. */
  n: number;
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
 * mIoU is the mean of the per-pair IoUs; empty GT with empty prediction scores 1, one-sided emptiness scores 0.
 *
 * @example
 * const acc = new MetricAccumulator();
 * acc.add('cat', gt, pred); acc.add('dog', gt2, pred2);
 * acc.summary().overall // { miou: 0.71, dice: 0.8, n: 2 }
 */
export class MetricAccumulator {
  private readonly groups = new Map<string, { iou: number; dice: number; n: number }>();

  /** Adds one pair and returns its scores. */
  add(label: string, gt: Mask, pred: Mask): { iou: number; dice: number } {
    const scores = scorePair(gt, pred);
    this.addScores(label, scores.iou, scores.dice);
    return scores;
  }

  /** Adds scores computed elsewhere (for example on RLEs). */
  addScores(label: string, iouValue: number, diceValue: number): void {
    const g = this.groups.get(label) ?? { iou: 0, dice: 0, n: 0 };
    g.iou += iouValue;
    g.dice += diceValue;
    g.n++;
    this.groups.set(label, g);
  }

  summary(): MetricReport {
    const perLabel: Record<string, MetricSummary> = {};
    let iouSum = 0;
    let diceSum = 0;
    let n = 0;
    for (const label of [...this.groups.keys()].sort()) {
      const g = this.groups.get(label)!;
      perLabel[label] = { miou: g.iou / g.n, dice: g.dice / g.n, n: g.n };
      iouSum += g.iou;
      diceSum += g.dice;
      n += g.n;
    }
    const labels = Object.values(perLabel);
    return {
      overall: { miou: n ? iouSum / n : Number.NaN, dice: n ? diceSum / n : Number.NaN, n },
      perLabel,
      meanOfLabels: labels.length ? labels.reduce((s, l) => s + l.miou, 0) / labels.length : Number.NaN,
    };
  }
}
