// Mining's working set: for each validation image, every candidate of every source with its overlaps computed once
// (candidate × candidate for de-duplication, candidate × instance for matching). Any choice of sources and
// thresholds is then scored by walking these tables, with no mask read again.
import { type ParsedRle, rleIouMatrix } from '@segkit/core';
import type { Candidate } from './gather.js';
import type { ImageSource } from './runner.js';
import { addImage, emptyTally, matchImage, type Outcome, type Tally } from './score.js';

export interface PoolImage {
  path: ImageSource;
  gt: ParsedRle[];
  /** Best score first, as {@link gather} returns them. */
  cands: Candidate[];
  dd: Float64Array;
  dg: Float64Array;
}

export function poolImage(path: ImageSource, gt: ParsedRle[], cands: Candidate[]): PoolImage {
  const parsed = cands.map((c) => c.parsed);
  return { path, gt, cands, dd: rleIouMatrix(parsed, parsed), dg: rleIouMatrix(parsed, gt) };
}

/** The indices of one image's candidates that `keep` passes and de-duplication leaves, best first. */
export function survivors(img: PoolImage, keep: (c: Candidate) => boolean, dedupIou: number): number[] {
  const n = img.cands.length;
  const kept: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!keep(img.cands[i]!)) continue;
    if (kept.every((j) => img.dd[i * n + j]! <= dedupIou)) kept.push(i);
  }
  return kept;
}

/** The tally of a choice over the pool, and each image's matched instances. */
export function evaluatePool(
  pool: PoolImage[],
  keep: (c: Candidate) => boolean,
  dedupIou: number,
  matchIou: number,
): { tally: Tally; matched: Set<number>[]; outcomes: Outcome[][] } {
  const tally = emptyTally();
  const matched: Set<number>[] = [];
  const outcomes: Outcome[][] = [];
  for (const img of pool) {
    const idx = survivors(img, keep, dedupIou);
    const g = img.gt.length;
    const m = new Float64Array(idx.length * g);
    for (const [r, i] of idx.entries()) m.set(img.dg.subarray(i * g, i * g + g), r * g);
    const res = matchImage(
      idx.map((i) => img.cands[i]!.parsed),
      img.gt,
      matchIou,
      m,
    );
    addImage(tally, res.outcomes, g);
    matched.push(res.matched);
    outcomes.push(res.outcomes);
  }
  return { tally, matched, outcomes };
}
