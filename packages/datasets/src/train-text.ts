// `segkit text train`: decoder-only fine-tuning of CLIPSeg on a manifest's train split, validated every epoch on its
// val split exactly as `segkit eval text` scores it, keeping the best epoch as a model folder.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  InvalidArgumentError,
  type Progress,
  seededRandom,
  silentProgress,
  writeFileAtomic,
} from '@segkit/core';
import {
  AdamW,
  cacheRoot,
  DecoderTraining,
  type Example,
  type PromptSet,
  requireModel,
  resolveModelRef,
} from '@segkit/models';
import { manifestSource } from './eval-sources.js';
import { drawPrompt, epochOrder, loadTargets, splitRows } from './train-text-data.js';
import {
  clearState,
  type EpochRow,
  loadState,
  saveState,
  type ValScore,
  writeCurve,
} from './train-text-state.js';
import { valScorer } from './train-text-val.js';

export interface TrainTextOptions {
  model?: string;
  epochs?: number;
  lr?: number;
  weightDecay?: number;
  batch?: number;
  size?: number;
  bceWeight?: number;
  diceWeight?: number;
  balance?: 'label' | 'dataset';
  seed?: number;
  valSplit?: string;
  freezeReduces?: boolean;
  cacheDir?: string;
  cacheDtype?: 'fp32' | 'fp16';
  resume?: boolean;
  /** Also write the 8-bit copy, onnx/model_quantized.onnx, with the best epoch's model. */
  q8?: boolean;
  /** Threads that share each batch (default: every core, at most 4). */
  threads?: number;
  /** Train on worker threads only, so that the caller's event loop stays free (the server's jobs). */
  offload?: boolean;
  /** Thresholds swept on val each epoch (default 0.1 … 0.9). */
  thresholds?: number[];
  /** A progress bar per epoch. */
  progress?: (epoch: number, epochs: number) => Progress;
  onEpoch?: (row: EpochRow) => void;
  /** The untrained model's val scores, before the first epoch of a new training. */
  onZeroShot?: (score: ValScore) => void;
  /** Stops after the current batch; the best checkpoint and the resume state stay. */
  signal?: AbortSignal;
}

/**
 * Decoder-only training with a frozen backbone; AdamW. The default learning rate, 3e-4, moves a freshly initialised
 * decoder almost as fast as 1e-3 and is gentle enough for a pretrained one (see docs/train-text.md).
 */
export const DEFAULT_LR = 3e-4;
const MEMORY_BUDGET = 1.5 * 2 ** 30;
export const SWEEP = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

export interface TrainTextResult {
  out: string;
  history: EpochRow[];
  best: EpochRow | null;
  /** The base model's val scores before training (the zero-shot baseline). */
  zeroShot: ValScore | null;
  interrupted: boolean;
  backbonePasses: number;
  cache: { dir: string; bytes: number; entries: number; hits: number; misses: number };
}

export async function trainText(
  manifest: string,
  prompts: PromptSet,
  out: string,
  opts: TrainTextOptions = {},
): Promise<TrainTextResult> {
  const settings = {
    manifest,
    model: opts.model ?? 'clipseg',
    epochs: opts.epochs ?? 8,
    lr: opts.lr ?? DEFAULT_LR,
    weightDecay: opts.weightDecay ?? 1e-4,
    batch: opts.batch ?? 16,
    size: opts.size ?? 352,
    bceWeight: opts.bceWeight ?? 1,
    diceWeight: opts.diceWeight ?? 1,
    balance: opts.balance ?? null,
    seed: opts.seed ?? 42,
    valSplit: opts.valSplit ?? 'val',
    freezeReduces: opts.freezeReduces ?? false,
    cacheDtype: opts.cacheDtype ?? 'fp32',
    thresholds: opts.thresholds ?? SWEEP,
    prompts,
  };
  if (settings.size !== 352)
    throw new InvalidArgumentError(
      `--size must be 352: the CLIPSeg export's position embeddings are fixed at 352×352`,
    );
  for (const [k, v, min] of [
    ['epochs', settings.epochs, 1],
    ['batch', settings.batch, 1],
    ['threads', opts.threads ?? 1, 1],
  ] as const)
    if (!Number.isInteger(v) || v < min)
      throw new InvalidArgumentError(`Expected an integer ≥ ${min} for ${k}, got ${v}`);
  if (!(settings.lr > 0)) throw new InvalidArgumentError(`Expected a learning rate > 0, got ${settings.lr}`);
  const train = await splitRows(manifest, 'train', prompts);
  const val = await splitRows(manifest, settings.valSplit, prompts);
  const resolved = resolveModelRef(settings.model, { dtype: 'fp32' });
  const modelDir = requireModel(resolved);
  const unfinished = existsSync(join(out, '.segkit-train'));
  if (unfinished && !opts.resume)
    throw new InvalidArgumentError(
      `${out} holds an unfinished training: continue it with --resume, or choose another -o`,
    );
  if (!unfinished && existsSync(join(out, 'config.json')))
    throw new InvalidArgumentError(
      `${out} already holds a ${existsSync(join(out, 'training.json')) ? 'finished training' : 'model'}; choose another -o`,
    );
  const state = opts.resume ? loadState(out, settings) : null;
  mkdirSync(out, { recursive: true });
  const trainer = await DecoderTraining.open(modelDir, {
    cacheDir: opts.cacheDir ?? join(cacheRoot(), 'clipseg-features'),
    cacheDtype: settings.cacheDtype,
    freezeReduces: settings.freezeReduces,
    ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
    offload: opts.offload === true,
  });
  try {
    if (state) for (const [k, v] of state.params) trainer.params.get(k)!.set(v);
    const optimizer = new AdamW({ lr: settings.lr, weightDecay: settings.weightDecay });
    if (state) state.restoreOptimizer(optimizer);
    const labels = [...new Set(train.map((r) => r.label))];
    const texts = [...new Set(labels.flatMap((l) => prompts[l]!))];
    const embeddings = await trainer.textEmbeddings(texts);
    const trainTargets = await loadTargets(manifest, 'train', train, trainer.size);
    // Features stay in memory up to a budget (1.5 GiB); past it they are read back from the disk cache when needed,
    // so 6,400 full-size images (28 GB of features) train without holding them all.
    const features = new Map<string, Float32Array[]>();
    let held = 0;
    const featuresOf = async (image: string) => {
      let f = features.get(image);
      if (!f) {
        f = await trainer.imageFeatures(image);
        const bytes = f.reduce((s, a) => s + a.byteLength, 0);
        if (held + bytes <= MEMORY_BUDGET) {
          features.set(image, f);
          held += bytes;
        }
      }
      return f;
    };
    const gt = await manifestSource(manifest, settings.valSplit);
    const scoreVal = valScorer(trainer, val, {
      prompts,
      embeddings,
      featuresOf,
      gt,
      thresholds: settings.thresholds,
    });
    const history: EpochRow[] = state?.history ?? [];
    let best: EpochRow | null = state?.best ?? null;
    let zeroShot: ValScore | null = state?.zeroShot ?? null;
    let interrupted = false;
    const t0 = performance.now();
    /** training.json (every setting and metric so far) and the curve, after every epoch and at the end. */
    const report = async (status: 'running' | 'complete' | 'interrupted') => {
      const cache = {
        dir: trainer.cache.dir,
        ...trainer.cache.size(),
        hits: trainer.cache.hits,
        misses: trainer.cache.misses,
      };
      await writeFileAtomic(
        join(out, 'training.json'),
        `${JSON.stringify(
          {
            status,
            settings,
            baseModel: modelDir,
            trainedTensors: trainer.trainable.length,
            parameters: trainer.parameterCount,
            examples: { train: train.length, val: val.length },
            zeroShot,
            history,
            best,
            backbonePasses: trainer.features.imagePasses,
            cache,
            threads: trainer.pool.threads,
            q8: opts.q8 === true,
            seconds: (performance.now() - t0) / 1000,
          },
          null,
          2,
        )}\n`,
      );
      if (history.length) await writeCurve(join(out, 'training-curve.png'), history);
      return cache;
    };
    if (!state) {
      zeroShot = await scoreVal();
      opts.onZeroShot?.(zeroShot);
    }
    for (let epoch = history.length + 1; epoch <= settings.epochs; epoch++) {
      const started = performance.now();
      const order = epochOrder(train, settings.seed, epoch, settings.balance ?? undefined);
      const rand = seededRandom(settings.seed * 7919 + epoch);
      const progress = opts.progress?.(epoch, settings.epochs) ?? silentProgress;
      let lossSum = 0;
      let steps = 0;
      for (let s = 0; s < order.length; s += settings.batch) {
        if (opts.signal?.aborted) break;
        const batch: Example[] = [];
        for (const i of order.slice(s, s + settings.batch)) {
          const row = train[i]!;
          batch.push({
            hidden: await featuresOf(row.image),
            cond: embeddings.get(drawPrompt(prompts, row.label, rand))!,
            target: trainTargets[i]!,
          });
        }
        lossSum += (
          await trainer.step(batch, optimizer, {
            bceWeight: settings.bceWeight,
            diceWeight: settings.diceWeight,
          })
        ).loss;
        steps++;
        progress.update(Math.min(s + settings.batch, order.length), order.length);
      }
      progress.finish();
      if (opts.signal?.aborted) {
        interrupted = true;
        break;
      }
      const scored = await scoreVal();
      const row: EpochRow = {
        epoch,
        trainLoss: lossSum / Math.max(1, steps),
        ...scored,
        seconds: (performance.now() - started) / 1000,
      };
      history.push(row);
      if (!best || row.bestMiou > best.bestMiou) {
        best = row;
        await trainer.writeModel(out, { q8: opts.q8 === true });
      }
      await saveState(out, settings, trainer.params, optimizer, history, best, zeroShot);
      await report('running');
      opts.onEpoch?.(row);
    }
    const done = !interrupted && history.length === settings.epochs;
    const cache = await report(done ? 'complete' : 'interrupted');
    const result: TrainTextResult = {
      out,
      history,
      best,
      zeroShot,
      interrupted,
      backbonePasses: trainer.features.imagePasses,
      cache,
    };
    if (done) clearState(out);
    return result;
  } finally {
    await trainer.close();
  }
}
