// Training a head from labelled samples, and predicting with one: labels ranked by calibrated probability, the
// margin between the top two, and an "unsure" flag.
import { InvalidArgumentError, type Progress } from '@segkit/core';
import { type CropSettings, DEFAULT_CROP, embedModelId, embedSamples, type Sample } from './crops.js';
import { HEAD_FORMAT, type Head } from './head.js';
import {
  argmaxRows,
  classReport,
  confusion,
  type EpochMetrics,
  fitTemperature,
  logits,
  type Matrix,
  softmaxRows,
  trainSoftmax,
} from './softmax.js';

export interface TrainHeadOptions {
  embedModel?: string;
  crop?: Partial<CropSettings>;
  cacheDir?: string | false;
  /** Inverse regularisation, as scikit-learn's C (default 1). */
  c?: number;
  balanced?: boolean;
  epochs?: number;
  seed?: number;
  progress?: Progress;
  onEpoch?: (m: EpochMetrics) => void | Promise<void>;
  /** Reads an image by its `Sample.image` (default: the file at that path); the server reads blobs by hash. */
  read?: (image: string) => Promise<Uint8Array>;
}

export interface TrainHeadResult {
  head: Head;
  /** Embeddings computed in this run, and read from the cache. */
  embeddings: { computed: number; cached: number };
  /** The samples' vectors, in order (for benchmarks and reference checks). */
  vectors: Float32Array[];
}

export const toMatrix = (vectors: Float32Array[], dim: number): Matrix => {
  const data = new Float32Array(vectors.length * dim);
  vectors.forEach((v, i) => {
    data.set(v, i * dim);
  });
  return { data, rows: vectors.length, cols: dim };
};

/**
 * Trains a softmax head: samples whose split is `val` are the validation set (early stopping, the temperature),
 * `test` samples are left out, every other sample trains. Labels are ordered by name.
 */
export async function trainHead(samples: Sample[], opts: TrainHeadOptions = {}): Promise<TrainHeadResult> {
  if (!samples.length) throw new InvalidArgumentError('No labelled boxes or masks to train on');
  const labels = [...new Set(samples.map((s) => s.label))].sort();
  if (labels.length < 2)
    throw new InvalidArgumentError(
      `A head needs at least two labels; the samples have only ${JSON.stringify(labels[0])}`,
    );
  const crop = { ...DEFAULT_CROP, ...opts.crop };
  const embedded = await embedSamples(samples, {
    ...(opts.embedModel ? { model: opts.embedModel } : {}),
    crop,
    ...(opts.cacheDir !== undefined ? { cacheDir: opts.cacheDir } : {}),
    ...(opts.progress ? { progress: opts.progress } : {}),
    ...(opts.read ? { read: opts.read } : {}),
  });
  const index = new Map(labels.map((l, i) => [l, i]));
  const pick = (which: (s: Sample) => boolean) => {
    const rows = samples.map((s, i) => [s, i] as const).filter(([s]) => which(s));
    return {
      x: toMatrix(
        rows.map(([, i]) => embedded.vectors[i]!),
        embedded.dim,
      ),
      y: Int32Array.from(rows.map(([s]) => index.get(s.label)!)),
    };
  };
  const train = pick((s) => s.split !== 'val' && s.split !== 'test');
  const val = pick((s) => s.split === 'val');
  if (!train.y.length)
    throw new InvalidArgumentError('Every sample is in the val or test split: nothing to train on');
  const seed = opts.seed ?? 42;
  const { model, history, bestEpoch } = await trainSoftmax(train.x, train.y, {
    classes: labels.length,
    ...(opts.c !== undefined ? { c: opts.c } : {}),
    balanced: opts.balanced ?? false,
    ...(opts.epochs !== undefined ? { epochs: opts.epochs } : {}),
    seed,
    ...(val.y.length ? { val } : {}),
    ...(opts.onEpoch ? { onEpoch: opts.onEpoch } : {}),
  });
  const temperature = val.y.length ? fitTemperature(logits(model, val.x), val.y, labels.length) : 1;
  const last = history.find((h) => h.epoch === bestEpoch);
  const head: Head = {
    info: {
      format: HEAD_FORMAT,
      kind: 'softmax',
      labels,
      embedModel: embedModelId(opts.embedModel),
      dim: embedded.dim,
      crop,
      training: {
        c: opts.c ?? 1,
        balanced: opts.balanced ?? false,
        epochs: history.length,
        bestEpoch,
        seed,
        samples: { train: train.y.length, val: val.y.length },
        temperature,
      },
      metrics: { valAccuracy: last?.valAccuracy ?? null, valMacroF1: last?.valMacroF1 ?? null, history },
      createdAt: new Date().toISOString(),
    },
    model,
  };
  return {
    head,
    embeddings: { computed: embedded.computed, cached: embedded.cached },
    vectors: embedded.vectors,
  };
}

export interface HeadPrediction {
  ranked: { label: string; probability: number }[];
  /** Top probability minus the second. */
  margin: number;
  /** The top probability is under the threshold: a person should look. */
  unsure: boolean;
}

/** Ranks the head's labels for each vector (temperature-calibrated softmax); `unsure` under `threshold` (0.5). */
export function predictWithHead(head: Head, vectors: Float32Array[], threshold = 0.5): HeadPrediction[] {
  const c = head.model.classes;
  const p = softmaxRows(
    logits(head.model, toMatrix(vectors, head.info.dim)),
    c,
    head.info.training.temperature,
  );
  return vectors.map((_, i) => {
    const ranked = head.info.labels
      .map((label, k) => ({ label, probability: p[i * c + k]! }))
      .sort((a, b) => b.probability - a.probability);
    const margin = ranked[0]!.probability - (ranked[1]?.probability ?? 0);
    return { ranked, margin, unsure: ranked[0]!.probability < threshold };
  });
}

/** Accuracy, macro-F1, per-class precision/recall/F1/support and the confusion matrix of a head on vectors. */
export function evaluateHead(head: Head, vectors: Float32Array[], labels: string[]) {
  const c = head.model.classes;
  const index = new Map(head.info.labels.map((l, i) => [l, i]));
  const unknown = labels.filter((l) => !index.has(l));
  if (unknown.length)
    throw new InvalidArgumentError(
      `Labels the head does not know: ${[...new Set(unknown)].slice(0, 5).join(', ')}`,
    );
  const truth = Int32Array.from(labels.map((l) => index.get(l)!));
  const p = softmaxRows(logits(head.model, toMatrix(vectors, head.info.dim)), c);
  const matrix = confusion(truth, argmaxRows(p, c), c);
  return { ...classReport(matrix), matrix, labels: head.info.labels };
}
