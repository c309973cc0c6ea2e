// Mining: for each class, the questions, crops and thresholds that find it best on the validation split. Every
// find-all goes through the runner's cache, so mining again with another target precision runs no model.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { embedModelId, type Head, loadHead } from '@segkit/analytics';
import { InvalidArgumentError } from '@segkit/core';
import type { Dataset } from '@segkit/datasets';
import { type Bank, mineBank } from './bank.js';
import type { PreparedFilter } from './filter.js';
import { type Candidate, finalize, gather, type Source } from './gather.js';
import { finalScores, type MineReport } from './mine-report.js';
import { type PoolImage, poolImage } from './pool.js';
import { FindRunner, type RunnerModels } from './runner.js';
import { curve, type Setting, selectGreedy, selectSteps, tuneFilter } from './select.js';
import { type LabelledImages, readTruth, splitTruth, truthOf } from './truth.js';
import { RECIPE_SCHEMA_VERSION, type Recipe, type RecipeBundle, type RecipeFilter } from './types.js';

export interface MineOptions {
  models?: RunnerModels;
  /** Classes to mine (default: every class with masks). */
  classes?: string[];
  /** Share of images held out for validation (default 0.2) and the split's seed (default 42). */
  val?: number;
  seed?: number;
  /** Extra prompts per class name, tried besides the name itself. */
  prompts?: Record<string, string[]>;
  /** A classifier head folder: its gate is the filter of the classes it knows. */
  head?: string;
  mode?: 'greedy' | 'steps';
  /** The precision each class's filter aims for (default 0.9). */
  targetPrecision?: number;
  /** Mask IoU at which a detection matches an instance (default 0.5) and above which two detections are one (0.5). */
  iou?: number;
  dedupIou?: number;
  /** Steps: the longest chain (default 3) and the seeds each step keeps (default 3). */
  maxSteps?: number;
  seeds?: number;
  /** Crops per bank side (default 12), and training images searched for negative crops (default 12). */
  crops?: number;
  negativeImages?: number;
  cacheDir?: string;
  onProgress?: (e: MineProgress) => void;
}

/** Mining's progress: per class, the stage, and how far it is. */
export interface MineProgress {
  className: string;
  classIndex: number;
  classes: number;
  stage: 'crops' | 'validation' | 'tuning' | 'done';
  done: number;
  total: number;
}

export interface MineResult {
  report: MineReport;
  bundles: Map<string, RecipeBundle>;
}

/** Unique prompts, the class name first. */
function promptBank(className: string, extra: string[] = []): string[] {
  const seen = new Set<string>();
  return [className, ...extra]
    .map((p) => String(p).trim())
    .filter((p) => p && !seen.has(p.toLowerCase()) && seen.add(p.toLowerCase()));
}

function headFiles(dir: string): Map<string, Uint8Array> {
  return new Map(
    readdirSync(dir)
      .filter((f) => ['head.json', 'weights.npy', 'bias.npy'].includes(f))
      .map((f) => [f, readFileSync(join(dir, f))]),
  );
}

/**
 * Mines one recipe per class from a labelled dataset (a folder or one in memory): see docs/recipes.md.
 * @example const { report, bundles } = await mineRecipes('shapes/', { models: { find: 'sam3' } });
 */
export async function mineRecipes(
  source: string | Dataset | LabelledImages,
  opts: MineOptions = {},
): Promise<MineResult> {
  const started = performance.now();
  const target = opts.targetPrecision ?? 0.9;
  if (!(target > 0 && target <= 1))
    throw new InvalidArgumentError(`Expected a target precision in (0, 1] but received ${target}`);
  const setting: Setting = { matchIou: opts.iou ?? 0.5, dedupIou: opts.dedupIou ?? 0.5 };
  if (!(setting.matchIou > 0 && setting.matchIou <= 1) || !(setting.dedupIou > 0 && setting.dedupIou <= 1))
    throw new InvalidArgumentError('Expected IoU thresholds in (0, 1]');
  const mode = opts.mode ?? 'greedy';
  if (mode !== 'greedy' && mode !== 'steps')
    throw new InvalidArgumentError(`Expected greedy or steps for --mode but received ${String(mode)}`);
  const splitOpts = { val: opts.val ?? 0.2, seed: opts.seed ?? 42 };
  const truth =
    typeof source !== 'string' && !('categories' in source)
      ? splitTruth(source, splitOpts)
      : await readTruth(source, splitOpts);
  const classes = opts.classes?.length ? opts.classes : truth.classes;
  const unknown = classes.filter((c) => !truth.classes.includes(c));
  if (unknown.length)
    throw new InvalidArgumentError(
      `No masks of class ${unknown.map((u) => JSON.stringify(u)).join(', ')}; the dataset has ${truth.classes.join(', ')}`,
    );
  const runner = new FindRunner(opts.models ?? {}, opts.cacheDir);
  const head: Head | undefined = opts.head
    ? await loadHead(opts.head, { embedModel: embedModelId(opts.models?.embed ?? 'clip') })
    : undefined;
  const train = truth.images.filter((i) => i.split === 'train');
  const val = truth.images.filter((i) => i.split === 'val');
  const report: MineReport = {
    mode,
    targetPrecision: target,
    iou: setting.matchIou,
    split: { seed: opts.seed ?? 42, val: opts.val ?? 0.2, trainImages: train.length, valImages: val.length },
    classes: {},
    cache: runner.stats,
    seconds: 0,
  };
  const bundles = new Map<string, RecipeBundle>();
  for (const [ci, className] of classes.entries()) {
    const tell = (stage: MineProgress['stage'], done: number, total: number) =>
      opts.onProgress?.({ className, classIndex: ci, classes: classes.length, stage, done, total });
    const prompts = promptBank(className, opts.prompts?.[className]);
    const negImages = Math.min(train.length, opts.negativeImages ?? 12);
    let seen = 0;
    const bank: Bank = await mineBank(runner, train, className, prompts, {
      size: opts.crops ?? 12,
      images: negImages,
      onImage: () => tell('crops', ++seen, negImages),
    });
    const useHead = head?.info.labels.includes(className) ? head : undefined;
    const prepared: PreparedFilter = {
      filter: null,
      positives: bank.positives.map((p) => p.vector),
      negatives: bank.negatives.map((p) => p.vector),
      ...(useHead ? { head: useHead } : {}),
    };
    const sources: Source[] = prompts.map((text) =>
      mode === 'steps' ? { text, seeds: opts.seeds ?? 3, expand: true } : { text },
    );
    const gts = val.map((img) => truthOf(img, className));
    const pool: PoolImage[] = [];
    for (const [i, img] of val.entries()) {
      pool.push(poolImage(img.path, gts[i]!, await gather(runner, img.path, sources, prepared, className)));
      tell('validation', i + 1, val.length);
    }
    tell('tuning', 0, 1);
    const chosenList =
      mode === 'steps'
        ? selectSteps(pool, sources.length, setting, opts.maxSteps ?? 3)
        : selectGreedy(pool, sources.length, setting);
    const chosen = new Set(chosenList);
    const base: RecipeFilter = useHead
      ? { kind: 'head', label: className, minProbability: 0, minMargin: -1 }
      : { kind: 'crops', minPositive: -2, maxNegative: 2 };
    const tuned = chosen.size ? tuneFilter(pool, chosen, base, target, setting) : undefined;
    const filter = tuned?.filter ?? null;
    // The recipe's own figures come from the same two stages applying it runs.
    const finals = pool.map((p) =>
      finalize(
        p.cands.filter((c) => chosen.has(c.source)),
        filter,
        setting.dedupIou,
      ),
    );
    const scores = finalScores(val, gts, finals, className, setting.matchIou);
    const unfiltered = finalScores(
      val,
      gts,
      pool.map((p) =>
        finalize(
          p.cands.filter((c) => chosen.has(c.source)),
          null,
          setting.dedupIou,
        ),
      ),
      className,
      setting.matchIou,
    );
    // The baseline: the class name as the only prompt, no expansion, no filter.
    const named: Candidate[][] = [];
    for (const img of val)
      named.push(await gather(runner, img.path, [{ text: className }], prepared, className));
    const baseline = finalScores(
      val,
      gts,
      named.map((c) => finalize(c, null, setting.dedupIou)),
      className,
      setting.matchIou,
    );
    const notes: string[] = [];
    if (!val.some((v) => v.instances.get(className)?.length))
      notes.push(
        'no validation image has this class: the figures say nothing; label more images or raise --val',
      );
    if (!chosen.size)
      notes.push('no prompt found any instance: add prompts that name this class (--prompts)');
    if (scores.coverage < 0.5)
      notes.push(
        `low coverage (${scores.coverage.toFixed(2)}): the prompts miss most instances; add prompts that name this class`,
      );
    if (tuned && !tuned.reached)
      notes.push(
        `the target precision ${target} was not reached; the best precision is ${scores.precision.toFixed(2)}`,
      );
    const recipe: Recipe = {
      schemaVersion: RECIPE_SCHEMA_VERSION,
      name: className,
      className,
      mode,
      models: runner.tags,
      prompts: mode === 'greedy' ? chosenList.map((k) => prompts[k]!) : [],
      steps:
        mode === 'steps'
          ? chosenList.map((k) => ({ text: prompts[k]!, seeds: opts.seeds ?? 3, expand: true }))
          : [],
      crops: { positives: bank.positives.map((p) => p.name), negatives: bank.negatives.map((p) => p.name) },
      filter,
      dedupIou: setting.dedupIou,
      targetPrecision: target,
      matchIou: setting.matchIou,
      scores,
      createdAt: new Date().toISOString(),
    };
    bundles.set(className, {
      recipe,
      crops: new Map([...bank.positives, ...bank.negatives].map((c) => [c.name, c.png])),
      head: useHead && opts.head ? headFiles(opts.head) : new Map(),
    });
    report.classes[className] = {
      ...scores,
      prompts: chosenList.map((k) => prompts[k]!),
      filter,
      reachedTarget: tuned?.reached ?? false,
      baseline: {
        precision: baseline.precision,
        coverage: baseline.coverage,
        detections: baseline.detections,
      },
      unfiltered: {
        precision: unfiltered.precision,
        coverage: unfiltered.coverage,
        detections: unfiltered.detections,
      },
      curve: filter ? curve(pool, chosen, filter, setting) : [],
      notes,
    };
    tell('done', 1, 1);
  }
  report.seconds = (performance.now() - started) / 1000;
  return { report, bundles };
}
