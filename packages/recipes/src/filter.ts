// A recipe's filter: a crop bank (CLIP similarity to positive and negative crops) or a classifier-head gate, the
// figures each detection gives it, and the search for the thresholds that reach a target precision with the most
// coverage.
import type { Head } from '@segkit/analytics';
import { predictWithHead } from '@segkit/analytics';
import type { RecipeFilter } from './types.js';

/** The filter's inputs in memory: the crop bank's vectors, or the head. */
export interface PreparedFilter {
  filter: RecipeFilter | null;
  positives: Float32Array[];
  negatives: Float32Array[];
  head?: Head;
}

/** What a detection shows the filters: best similarity to a positive and a negative crop, the head's figures. */
export interface FilterValues {
  positive: number;
  negative: number;
  probability: number;
  margin: number;
}

/** Cosine similarities: bounds that no value passes beyond stand in for "no threshold" in JSON. */
export const LOW = -2;
export const HIGH = 2;

const dot = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
const best = (v: Float32Array, bank: Float32Array[], none: number) =>
  bank.length ? Math.max(...bank.map((b) => dot(v, b))) : none;

/** The filter figures of detections, from their embeddings. */
export function filterValues(vectors: Float32Array[], f: PreparedFilter, className?: string): FilterValues[] {
  const head = f.head && className ? predictWithHead(f.head, vectors) : undefined;
  return vectors.map((v, i) => {
    const ranked = head?.[i]?.ranked ?? [];
    const p = ranked.find((r) => r.label === className)?.probability ?? 0;
    const other = Math.max(0, ...ranked.filter((r) => r.label !== className).map((r) => r.probability));
    return {
      positive: best(v, f.positives, LOW),
      negative: best(v, f.negatives, LOW),
      probability: p,
      margin: p - other,
    };
  });
}

/** Whether a detection with these figures passes the filter (no filter passes everything). */
export function passes(v: FilterValues, f: RecipeFilter | null): boolean {
  if (!f) return true;
  if (f.kind === 'crops') return v.positive >= f.minPositive && v.negative < f.maxNegative;
  return v.probability >= f.minProbability && v.margin >= f.minMargin;
}

/** A detection is more like a negative crop than a positive one: its box is a negative exemplar for expansion. */
export const likeNegative = (v: FilterValues) => v.negative > v.positive;

/** Thresholds between consecutive distinct values (at most `max`, spread by rank), plus one that keeps everything. */
export function cuts(values: number[], keepAll: number, max = 40): number[] {
  const u = [...new Set(values)].sort((a, b) => a - b);
  const mids = u.slice(1).map((v, i) => (v + u[i]!) / 2);
  const step = Math.max(1, Math.ceil(mids.length / max));
  return [keepAll, ...mids.filter((_, i) => i % step === 0)];
}

/** The stricter of two filters of the same kind (a cascade step's extra thresholds). */
export function stricter(
  f: RecipeFilter | null,
  extra: Partial<Record<string, number>> | undefined,
): RecipeFilter | null {
  if (!f || !extra) return f;
  if (f.kind === 'crops')
    return {
      ...f,
      minPositive: Math.max(f.minPositive, extra.minPositive ?? LOW),
      maxNegative: Math.min(f.maxNegative, extra.maxNegative ?? HIGH),
    };
  return {
    ...f,
    minProbability: Math.max(f.minProbability, extra.minProbability ?? 0),
    minMargin: Math.max(f.minMargin, extra.minMargin ?? -1),
  };
}
