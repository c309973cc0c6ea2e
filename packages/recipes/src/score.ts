// How a set of detections fares against the ground truth of one class: greedy matching, best detection first, at a
// mask IoU threshold. A detection is matched (the best still-free instance it overlaps enough), a duplicate (it
// overlaps only instances already matched) or a false positive (it overlaps none enough).
import { type ParsedRle, rleIouMatrix } from '@segkit/core';

export type Outcome = 'match' | 'duplicate' | 'false-positive';

/** The outcome of each detection (given best first) and the instances matched, at IoU ≥ `iou`. */
export function matchImage(
  dets: ParsedRle[],
  gt: ParsedRle[],
  iou: number,
  matrix = rleIouMatrix(dets, gt),
): { outcomes: Outcome[]; matched: Set<number> } {
  const matched = new Set<number>();
  const outcomes: Outcome[] = [];
  for (let d = 0; d < dets.length; d++) {
    let best = -1;
    let bestIou = iou;
    let overlapsMatched = false;
    for (let g = 0; g < gt.length; g++) {
      const v = matrix[d * gt.length + g]!;
      if (v < iou) continue;
      if (matched.has(g)) overlapsMatched = true;
      else if (v >= bestIou) {
        best = g;
        bestIou = v;
      }
    }
    if (best >= 0) {
      matched.add(best);
      outcomes.push('match');
    } else outcomes.push(overlapsMatched ? 'duplicate' : 'false-positive');
  }
  return { outcomes, matched };
}

/** Counts over a set of images. */
export interface Tally {
  images: number;
  gt: number;
  detections: number;
  matched: number;
  falsePositives: number;
  duplicates: number;
  imagesWithDetection: number;
}

export const emptyTally = (): Tally => ({
  images: 0,
  gt: 0,
  detections: 0,
  matched: 0,
  falsePositives: 0,
  duplicates: 0,
  imagesWithDetection: 0,
});

/** Adds one image's outcomes to a tally. */
export function addImage(t: Tally, outcomes: Outcome[], gt: number): void {
  t.images++;
  t.gt += gt;
  t.detections += outcomes.length;
  if (outcomes.length) t.imagesWithDetection++;
  for (const o of outcomes) {
    if (o === 'match') t.matched++;
    else if (o === 'duplicate') t.duplicates++;
    else t.falsePositives++;
  }
}

/** Matched instances over all instances (1 when there are none), matched detections over all detections (0 for none). */
export const coverage = (t: Tally) => (t.gt ? t.matched / t.gt : 1);
export const precision = (t: Tally) => (t.detections ? t.matched / t.detections : 0);
export const detectionRate = (t: Tally) => (t.images ? t.imagesWithDetection / t.images : 0);
