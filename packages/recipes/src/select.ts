// Which of a class's questions a recipe keeps, and the filter thresholds it uses, all decided on the validation
// pool without running a model: greedy keeps every prompt that adds matches; steps picks a short chain by greedy set
// cover; the thresholds are the loosest pair that reaches the target precision with the most coverage.
import { cuts, HIGH, LOW, passes } from './filter.js';
import type { Candidate } from './gather.js';
import { evaluatePool, type PoolImage } from './pool.js';
import { coverage, precision, type Tally } from './score.js';
import type { RecipeFilter } from './types.js';

export interface Setting {
  dedupIou: number;
  matchIou: number;
}

const bySources = (chosen: Set<number>) => (c: Candidate) => chosen.has(c.source);

/** Sources ranked by what each finds alone: matches, then fewer false detections. */
function ranked(pool: PoolImage[], n: number, s: Setting): { k: number; tally: Tally }[] {
  return Array.from({ length: n }, (_, k) => ({
    k,
    tally: evaluatePool(pool, bySources(new Set([k])), s.dedupIou, s.matchIou).tally,
  })).sort(
    (a, b) =>
      b.tally.matched - a.tally.matched ||
      a.tally.detections - a.tally.matched - (b.tally.detections - b.tally.matched) ||
      a.k - b.k,
  );
}

/** Greedy: best prompt first, each further prompt kept when the set then matches more instances. */
export function selectGreedy(pool: PoolImage[], n: number, s: Setting): number[] {
  const chosen = new Set<number>();
  let matched = 0;
  for (const { k, tally } of ranked(pool, n, s)) {
    if (!tally.matched) break;
    const next = evaluatePool(pool, bySources(new Set([...chosen, k])), s.dedupIou, s.matchIou).tally.matched;
    if (next > matched) {
      chosen.add(k);
      matched = next;
    }
  }
  return [...chosen].sort((a, b) => a - b);
}

/** Steps: greedy set cover, each step the one covering most instances not yet covered (ties: fewer false ones). */
export function selectSteps(pool: PoolImage[], n: number, s: Setting, maxSteps: number): number[] {
  const alone = Array.from({ length: n }, (_, k) =>
    evaluatePool(pool, bySources(new Set([k])), s.dedupIou, s.matchIou),
  );
  const covered = pool.map(() => new Set<number>());
  const chain: number[] = [];
  while (chain.length < maxSteps) {
    let best = -1;
    let bestNew = 0;
    let bestFalse = Infinity;
    for (let k = 0; k < n; k++) {
      if (chain.includes(k)) continue;
      const fresh = alone[k]!.matched.reduce(
        (sum, m, i) => sum + [...m].filter((g) => !covered[i]!.has(g)).length,
        0,
      );
      const falses = alone[k]!.tally.detections - alone[k]!.tally.matched;
      if (fresh > bestNew || (fresh === bestNew && fresh > 0 && falses < bestFalse)) {
        best = k;
        bestNew = fresh;
        bestFalse = falses;
      }
    }
    if (best < 0) break;
    chain.push(best);
    alone[best]!.matched.forEach((m, i) => {
      for (const g of m) covered[i]!.add(g);
    });
  }
  return chain;
}

/** The outcome of a threshold search. */
export interface Tuned {
  filter: RecipeFilter | null;
  tally: Tally;
  reached: boolean;
}

/**
 * Searches the filter's two thresholds over the values the chosen sources' candidates show, for the most matches at
 * precision ≥ `target` (then the fewest detections); when no pair reaches it, the best precision.
 */
export function tuneFilter(
  pool: PoolImage[],
  chosen: Set<number>,
  base: RecipeFilter,
  target: number,
  s: Setting,
): Tuned {
  const cands = pool.flatMap((p) => p.cands.filter((c) => chosen.has(c.source)));
  const crops = base.kind === 'crops';
  const first = cuts(
    cands.map((c) => (crops ? c.values.positive : c.values.probability)),
    crops ? LOW : 0,
  );
  const second = crops
    ? [
        ...cuts(
          cands.map((c) => c.values.negative),
          LOW,
        ).slice(1),
        HIGH,
      ]
    : cuts(
        cands.map((c) => c.values.margin),
        -1,
      );
  let best: Tuned | undefined;
  let fallback: Tuned | undefined;
  for (const a of first) {
    for (const b of second) {
      const filter: RecipeFilter = crops
        ? { ...base, kind: 'crops', minPositive: a, maxNegative: b }
        : { ...base, kind: 'head', minProbability: a, minMargin: b };
      const { tally } = evaluatePool(
        pool,
        (c) => chosen.has(c.source) && passes(c.values, filter),
        s.dedupIou,
        s.matchIou,
      );
      const t: Tuned = { filter, tally, reached: precision(tally) >= target };
      if (
        t.reached &&
        (!best ||
          tally.matched > best.tally.matched ||
          (tally.matched === best.tally.matched && tally.detections < best.tally.detections))
      )
        best = t;
      if (
        !fallback ||
        precision(tally) > precision(fallback.tally) ||
        (precision(tally) === precision(fallback.tally) && tally.matched > fallback.tally.matched)
      )
        fallback = t;
    }
  }
  return best ?? fallback!;
}

/** Precision against coverage as the first threshold moves, the second held where tuning put it. */
export function curve(pool: PoolImage[], chosen: Set<number>, tuned: RecipeFilter, s: Setting) {
  const cands = pool.flatMap((p) => p.cands.filter((c) => chosen.has(c.source)));
  const crops = tuned.kind === 'crops';
  const values = cuts(
    cands.map((c) => (crops ? c.values.positive : c.values.probability)),
    crops ? LOW : 0,
    60,
  );
  return values.map((threshold) => {
    const f: RecipeFilter = crops
      ? { ...tuned, minPositive: threshold }
      : { ...tuned, minProbability: threshold };
    const { tally } = evaluatePool(
      pool,
      (c) => chosen.has(c.source) && passes(c.values, f),
      s.dedupIou,
      s.matchIou,
    );
    return { threshold, coverage: coverage(tally), precision: precision(tally) };
  });
}
