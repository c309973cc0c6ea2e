// The detections a recipe's questions give on one image, in a fixed order, and the last two stages every recipe
// ends with: the filter, then IoU de-duplication, best score first. Mining and applying both go through here, so a
// recipe applied to a validation image gives exactly the detections its scores were counted on.
import { type ParsedRle, parseRle, rleNms } from '@segkit/core';
import { type FilterValues, filterValues, likeNegative, type PreparedFilter, passes } from './filter.js';
import type { FindRunner, ImageSource } from './runner.js';
import type { EmbeddedDetection, RecipeFilter } from './types.js';

/** One question of a recipe: a prompt (greedy) or a step (a prompt whose best detections seed a visual expansion). */
export interface Source {
  text: string;
  /** Steps: how many of the text's detections seed the expansion (best first), and whether it runs. */
  seeds?: number;
  expand?: boolean;
}

/** A detection with where it came from (the source's index), its runs and its filter figures. */
export interface Candidate extends EmbeddedDetection {
  source: number;
  parsed: ParsedRle;
  values: FilterValues;
}

/** Expansion: at most this many negative exemplar boxes (the seeds' look-alikes of a negative crop). */
const MAX_NEGATIVES = 3;

/** The candidates of every source on one image, best score first (ties keep source order). */
export async function gather(
  runner: FindRunner,
  path: ImageSource,
  sources: Source[],
  prepared: PreparedFilter,
  className: string,
): Promise<Candidate[]> {
  const out: Candidate[] = [];
  const withValues = (dets: EmbeddedDetection[], source: number): Candidate[] => {
    const values = filterValues(
      dets.map((d) => d.vector),
      prepared,
      className,
    );
    return dets.map((d, i) => ({ ...d, source, parsed: parseRle(d.rle), values: values[i]! }));
  };
  for (const [k, s] of sources.entries()) {
    const text = withValues(await runner.detect(path, { text: s.text }), k);
    if (s.seeds === undefined) {
      out.push(...text);
      continue;
    }
    const ranked = [...text].sort((a, b) => b.score - a.score);
    const seeds = ranked.filter((c) => !likeNegative(c.values)).slice(0, s.seeds);
    out.push(...seeds);
    if (!s.expand || !seeds.length) continue;
    const negatives = ranked.filter((c) => likeNegative(c.values)).slice(0, MAX_NEGATIVES);
    const grown = await runner.detect(path, {
      positives: seeds.map((c) => c.bbox),
      negatives: negatives.map((c) => c.bbox),
    });
    out.push(...withValues(grown, k));
  }
  return out.sort((a, b) => b.score - a.score);
}

/** The filter, then de-duplication: a detection overlapping a kept one by more than `dedupIou` mask IoU is dropped. */
export function finalize(cands: Candidate[], filter: RecipeFilter | null, dedupIou: number): Candidate[] {
  const passed = cands.filter((c) => passes(c.values, filter));
  return rleNms(
    passed.map((c) => c.parsed),
    dedupIou,
  ).map((i) => passed[i]!);
}
