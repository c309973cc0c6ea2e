// Multinomial logistic regression (softmax) on embeddings: mini-batch Adam on the L2-regularised cross-entropy,
// optional class-balanced weights, early stopping on a validation set. Deterministic: zero init, a seeded shuffle.
import { seededRandom } from '@segkit/core';

/** n rows of d features, row-major. */
export interface Matrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

export interface SoftmaxModel {
  classes: number;
  dim: number;
  /** classes × dim, row-major. */
  weights: Float32Array;
  bias: Float32Array;
}

export interface EpochMetrics {
  epoch: number;
  loss: number;
  trainAccuracy: number;
  valLoss: number | null;
  valAccuracy: number | null;
  valMacroF1: number | null;
}

export interface SoftmaxOptions {
  classes: number;
  /** Inverse regularisation strength, as scikit-learn's `C` (default 1). */
  c?: number;
  /** Weight each class by n / (classes · count), as scikit-learn's class_weight='balanced'. */
  balanced?: boolean;
  /** Most passes over the training set (default 60). */
  epochs?: number;
  /** Adam step size (default 0.05). */
  learningRate?: number;
  /** Stop after this many epochs without a better validation (else training) loss (default 5). */
  patience?: number;
  /** Rows per Adam step (default: n/8, between 16 and 256). */
  batchSize?: number;
  /** Seed of the per-epoch shuffle (default 42): the same data and seed give the same weights. */
  seed?: number;
  val?: { x: Matrix; y: Int32Array };
  onEpoch?: (m: EpochMetrics) => void | Promise<void>;
}

/** Logits x·Wᵀ + b for every row, into `out` (rows × classes). */
export function logits(m: SoftmaxModel, x: Matrix, out = new Float32Array(x.rows * m.classes)): Float32Array {
  const { classes: c, dim: d, weights: w, bias: b } = m;
  for (let i = 0; i < x.rows; i++) {
    const xo = i * d;
    for (let k = 0; k < c; k++) {
      const wo = k * d;
      let s = b[k]!;
      for (let j = 0; j < d; j++) s += x.data[xo + j]! * w[wo + j]!;
      out[i * c + k] = s;
    }
  }
  return out;
}

/** Softmax of each row of logits, in place, optionally divided by a temperature first. */
export function softmaxRows(z: Float32Array, classes: number, temperature = 1): Float32Array {
  for (let o = 0; o < z.length; o += classes) {
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < classes; k++) max = Math.max(max, z[o + k]! / temperature);
    let sum = 0;
    for (let k = 0; k < classes; k++) {
      const e = Math.exp(z[o + k]! / temperature - max);
      z[o + k] = e;
      sum += e;
    }
    for (let k = 0; k < classes; k++) z[o + k]! /= sum;
  }
  return z;
}

export const argmaxRows = (p: Float32Array, classes: number): Int32Array => {
  const out = new Int32Array(p.length / classes);
  for (let i = 0; i < out.length; i++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (p[i * classes + k]! > p[i * classes + best]!) best = k;
    out[i] = best;
  }
  return out;
};

/** Mean cross-entropy of probabilities against labels. */
export function crossEntropy(p: Float32Array, y: Int32Array, classes: number): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s -= Math.log(Math.max(p[i * classes + y[i]!]!, 1e-12));
  return s / Math.max(1, y.length);
}

/** A confusion matrix (rows: true class, columns: predicted). */
export function confusion(truth: Int32Array, predicted: Int32Array, classes: number): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < truth.length; i++) m[truth[i]!]![predicted[i]!]!++;
  return m;
}

/** Per-class precision, recall, F1 and support, then accuracy and the macro-F1 over classes that occur. */
export function classReport(matrix: number[][]) {
  const c = matrix.length;
  const perClass = matrix.map((row, k) => {
    const tp = row[k]!;
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = matrix.reduce((a, r) => a + r[k]!, 0);
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { precision, recall, f1, support };
  });
  const total = perClass.reduce((a, r) => a + r.support, 0);
  const correct = matrix.reduce((a, row, k) => a + row[k]!, 0);
  const present = perClass.filter((r) => r.support > 0);
  return {
    perClass,
    accuracy: total ? correct / total : 0,
    macroF1: present.length ? present.reduce((a, r) => a + r.f1, 0) / present.length : 0,
    classes: c,
  };
}

/** Trains the model; returns the weights of the epoch with the best validation loss (or the last epoch). */
export async function trainSoftmax(
  x: Matrix,
  y: Int32Array,
  opts: SoftmaxOptions,
): Promise<{ model: SoftmaxModel; history: EpochMetrics[]; bestEpoch: number }> {
  const c = opts.classes;
  const d = x.cols;
  const n = x.rows;
  // scikit-learn minimises C·Σ loss + ½‖W‖²; per sample that is the mean loss + ‖W‖² / (2·C·n).
  const l2 = 1 / ((opts.c ?? 1) * Math.max(1, n));
  const epochs = opts.epochs ?? 60;
  const lr = opts.learningRate ?? 0.05;
  const patience = opts.patience ?? 5;
  // At least 8 steps per pass on small sets; 256 rows a step on large ones.
  const batchSize = Math.max(1, Math.min(n, opts.batchSize ?? Math.max(16, Math.min(256, Math.ceil(n / 8)))));
  const rand = seededRandom(opts.seed ?? 42);
  const counts = new Float64Array(c);
  for (let i = 0; i < n; i++) counts[y[i]!]!++;
  const classWeight = new Float64Array(c).map((_, k) =>
    opts.balanced && counts[k]! > 0 ? n / (c * counts[k]!) : 1,
  );
  const model: SoftmaxModel = {
    classes: c,
    dim: d,
    weights: new Float32Array(c * d),
    bias: new Float32Array(c),
  };
  const size = c * d + c;
  const m1 = new Float64Array(size);
  const m2 = new Float64Array(size);
  const grad = new Float64Array(size);
  const p = new Float64Array(c);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const valZ = opts.val ? new Float32Array(opts.val.x.rows * c) : undefined;
  const history: EpochMetrics[] = [];
  let best = {
    loss: Number.POSITIVE_INFINITY,
    epoch: 0,
    weights: model.weights.slice(),
    bias: model.bias.slice(),
  };
  const b1 = 0.9;
  const b2 = 0.999;
  let step = 0;
  // Locals in float64, not property loads of float32 arrays, in the hot loops; copied back at the end.
  const xs = Float64Array.from(x.data);
  const w = new Float64Array(c * d);
  const bias = new Float64Array(c);
  const sync = () => {
    model.weights.set(w);
    model.bias.set(bias);
  };
  for (let epoch = 1; epoch <= epochs; epoch++) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let seenLoss = 0;
    let seenWeight = 0;
    let seenCorrect = 0;
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(n, start + batchSize);
      grad.fill(0);
      let wsum = 0;
      for (let t = start; t < end; t++) wsum += classWeight[y[order[t]!]!]!;
      for (let t = start; t < end; t++) {
        const i = order[t]!;
        const xo = i * d;
        let max = Number.NEGATIVE_INFINITY;
        for (let k = 0; k < c; k++) {
          const wo = k * d;
          // Four accumulators: the additions do not wait on each other.
          let s0 = 0;
          let s1 = 0;
          let s2 = 0;
          let s3 = 0;
          let j = 0;
          for (; j + 3 < d; j += 4) {
            s0 += xs[xo + j]! * w[wo + j]!;
            s1 += xs[xo + j + 1]! * w[wo + j + 1]!;
            s2 += xs[xo + j + 2]! * w[wo + j + 2]!;
            s3 += xs[xo + j + 3]! * w[wo + j + 3]!;
          }
          for (; j < d; j++) s0 += xs[xo + j]! * w[wo + j]!;
          const s = bias[k]! + s0 + s1 + s2 + s3;
          p[k] = s;
          if (s > max) max = s;
        }
        let sum = 0;
        for (let k = 0; k < c; k++) {
          p[k] = Math.exp(p[k]! - max);
          sum += p[k]!;
        }
        const wi = classWeight[y[i]!]! / wsum;
        // Running training metrics, from the forward pass before this batch's step.
        seenLoss -= classWeight[y[i]!]! * Math.log(Math.max(p[y[i]!]! / sum, 1e-12));
        seenWeight += classWeight[y[i]!]!;
        let top = 0;
        for (let k = 1; k < c; k++) if (p[k]! > p[top]!) top = k;
        if (top === y[i]) seenCorrect++;
        for (let k = 0; k < c; k++) {
          const g = (p[k]! / sum - (k === y[i] ? 1 : 0)) * wi;
          // Classes the row is already sure are wrong add nothing measurable: skip them.
          if (g > -1e-9 && g < 1e-9) continue;
          const go = k * d;
          for (let j = 0; j < d; j++) grad[go + j]! += g * xs[xo + j]!;
          grad[c * d + k]! += g;
        }
      }
      for (let j = 0; j < c * d; j++) grad[j]! += l2 * w[j]!;
      step++;
      const bc1 = 1 - b1 ** step;
      const bc2 = 1 - b2 ** step;
      for (let j = 0; j < size; j++) {
        m1[j] = b1 * m1[j]! + (1 - b1) * grad[j]!;
        m2[j] = b2 * m2[j]! + (1 - b2) * grad[j]! * grad[j]!;
        const delta = (lr * (m1[j]! / bc1)) / (Math.sqrt(m2[j]! / bc2) + 1e-8);
        if (j < c * d) w[j]! -= delta;
        else bias[j - c * d]! -= delta;
      }
    }
    sync();
    const loss = seenLoss / seenWeight + (l2 / 2) * sumSquares(model.weights);
    const trainAccuracy = seenCorrect / n;
    let valLoss: number | null = null;
    let valAccuracy: number | null = null;
    let valMacroF1: number | null = null;
    if (opts.val && valZ && opts.val.y.length) {
      softmaxRows(logits(model, opts.val.x, valZ), c);
      valLoss = crossEntropy(valZ, opts.val.y, c);
      const report = classReport(confusion(opts.val.y, argmaxRows(valZ, c), c));
      valAccuracy = report.accuracy;
      valMacroF1 = report.macroF1;
    }
    const metrics = { epoch, loss, trainAccuracy, valLoss, valAccuracy, valMacroF1 };
    history.push(metrics);
    // Awaited between epochs: a job streams each epoch's metrics while training goes on.
    await opts.onEpoch?.(metrics);
    const score = valLoss ?? loss;
    // An epoch counts as better when it lowers the loss by more than 0.1% (or 1e-4): creeping gains do not
    // postpone early stopping.
    if (best.epoch === 0 || score < best.loss - Math.max(1e-4, 1e-3 * best.loss))
      best = { loss: score, epoch, weights: model.weights.slice(), bias: model.bias.slice() };
    else if (epoch - best.epoch >= patience) break;
  }
  model.weights.set(best.weights);
  model.bias.set(best.bias);
  return { model, history, bestEpoch: best.epoch };
}

const sumSquares = (v: Float32Array) => v.reduce((s, x) => s + x * x, 0);

/**
 * The temperature that minimises the validation cross-entropy (golden-section search on [0.05, 20]): dividing the
 * logits by it calibrates the probabilities without changing the ranking.
 */
export function fitTemperature(z: Float32Array, y: Int32Array, classes: number): number {
  const nll = (t: number) => crossEntropy(softmaxRows(z.slice(), classes, t), y, classes);
  let a = Math.log(0.05);
  let b = Math.log(20);
  const g = (Math.sqrt(5) - 1) / 2;
  for (let i = 0; i < 60; i++) {
    const c1 = b - g * (b - a);
    const c2 = a + g * (b - a);
    if (nll(Math.exp(c1)) < nll(Math.exp(c2))) b = c2;
    else a = c1;
  }
  return Math.exp((a + b) / 2);
}
