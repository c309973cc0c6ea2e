// A cascade: several recipes applied in order, each step with an optional output class, a de-duplication group,
// whether it takes part in cross-class de-duplication, and stricter thresholds; then one de-duplication over all
// steps, per class and across classes (within a group, or globally), keeping the more confident detection.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseRle, RecipeInvalidError, rleIouMatrix } from '@segkit/core';
import { applyRecipe, type LoadedRecipe, prepareRecipe } from './apply.js';
import { readRecipe } from './archive.js';
import { stricter } from './filter.js';
import type { FindRunner, ImageSource } from './runner.js';
import type { RecipeBundle, RecipeDetection } from './types.js';

const THRESHOLDS = ['minProbability', 'minMargin', 'minPositive', 'maxNegative'] as const;

/** One step of a cascade file. */
export interface CascadeStep {
  /** The recipe ZIP, relative to the cascade file. */
  recipe: string;
  classAs?: string;
  group?: string;
  /** Take part in cross-class de-duplication (default true). */
  crossClass?: boolean;
  minProbability?: number;
  minMargin?: number;
  minPositive?: number;
  maxNegative?: number;
}

/** A cascade file (`cascade.json`). */
export interface Cascade {
  steps: CascadeStep[];
  /** Mask IoU above which two detections are one (default 0.5); across classes: by `group` (default) or `global`. */
  dedup?: { iou?: number; across?: 'group' | 'global' };
}

export interface LoadedCascade {
  cascade: Cascade;
  steps: { step: CascadeStep; bundle: RecipeBundle; loaded?: LoadedRecipe }[];
}

/** A cascade's detection: which step made it. */
export interface CascadeDetection extends RecipeDetection {
  step: number;
}

const bad = (file: string, why: string) => new RecipeInvalidError(`${file}: ${why}`);

/** Checks a cascade's JSON. */
export function checkCascade(json: unknown, file: string): Cascade {
  const c = json as Cascade;
  if (!c || typeof c !== 'object' || !Array.isArray(c.steps) || !c.steps.length || c.steps.length > 50)
    throw bad(file, 'a cascade is {"steps": [{"recipe": "NAME.zip", …}, …]} with 1–50 steps');
  c.steps.forEach((s, i) => {
    if (!s || typeof s.recipe !== 'string' || !s.recipe) throw bad(file, `step ${i + 1} names no recipe`);
    for (const k of ['classAs', 'group'] as const)
      if (s[k] !== undefined && (typeof s[k] !== 'string' || !s[k]!.trim() || s[k]!.length > 100))
        throw bad(file, `step ${i + 1}: ${k} must be a name`);
    if (s.crossClass !== undefined && typeof s.crossClass !== 'boolean')
      throw bad(file, `step ${i + 1}: crossClass must be true or false`);
    for (const k of THRESHOLDS)
      if (s[k] !== undefined && !(typeof s[k] === 'number' && Number.isFinite(s[k])))
        throw bad(file, `step ${i + 1}: ${k} must be a number`);
  });
  const iou = c.dedup?.iou ?? 0.5;
  if (!(typeof iou === 'number' && iou > 0 && iou <= 1)) throw bad(file, 'dedup.iou must be in (0, 1]');
  if (c.dedup?.across !== undefined && c.dedup.across !== 'group' && c.dedup.across !== 'global')
    throw bad(file, 'dedup.across must be "group" or "global"');
  return c;
}

/** Reads a cascade file and the recipes it names (relative to it). */
export async function readCascade(file: string): Promise<LoadedCascade> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw bad(file, `not a readable JSON file (${(e as Error).message.split('\n')[0]})`);
  }
  const cascade = checkCascade(json, file);
  const steps = [];
  for (const step of cascade.steps)
    steps.push({ step, bundle: await readRecipe(resolve(dirname(file), step.recipe)) });
  return { cascade, steps };
}

/** Applies a cascade to the image at `path`: every step, then de-duplication per class and across classes. */
export async function applyCascade(
  c: LoadedCascade,
  runner: FindRunner,
  path: ImageSource,
): Promise<CascadeDetection[]> {
  const all: (CascadeDetection & { group: string; cross: boolean })[] = [];
  for (const [k, s] of c.steps.entries()) {
    s.loaded ??= await prepareRecipe(s.bundle, runner);
    const extra = Object.fromEntries(
      THRESHOLDS.filter((t) => s.step[t] !== undefined).map((t) => [t, s.step[t]]),
    );
    const dets = await applyRecipe(s.loaded, runner, path, {
      ...(s.step.classAs ? { classAs: s.step.classAs } : {}),
      filter: stricter(s.bundle.recipe.filter, extra),
    });
    for (const d of dets)
      all.push({ ...d, step: k, group: s.step.group ?? '', cross: s.step.crossClass ?? true });
  }
  all.sort((a, b) => b.score - a.score); // stable: ties keep step order
  const iou = c.cascade.dedup?.iou ?? 0.5;
  const global = c.cascade.dedup?.across === 'global';
  const parsed = all.map((d) => parseRle(d.rle));
  const m = rleIouMatrix(parsed, parsed);
  const kept: number[] = [];
  for (let i = 0; i < all.length; i++) {
    const a = all[i]!;
    const clash = kept.some((j) => {
      const b = all[j]!;
      if (m[i * all.length + j]! <= iou) return false;
      if (a.className === b.className) return true;
      return a.cross && b.cross && (global || a.group === b.group);
    });
    if (!clash) kept.push(i);
  }
  return kept.map((i) => {
    const { group: _g, cross: _c, ...d } = all[i]!;
    return d;
  });
}
