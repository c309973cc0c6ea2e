// The training loss, as the drywall report trains CLIPSeg: weighted binary cross-entropy on the logits plus soft
// Dice on their sigmoid, each averaged over the batch; and AdamW with decoupled weight decay.
import type { Params } from './layers.js';

export interface LossOptions {
  bceWeight?: number;
  diceWeight?: number;
  /**
   * Weight of positive pixels in the BCE. `auto` (default): negatives / positives over the batch, clamped to
   * [1, 20], so thin objects such as cracks are not drowned by background.
   */
  posWeight?: number | 'auto';
}

export interface LossValue {
  loss: number;
  bce: number;
  dice: number;
  posWeight: number;
  /** d(loss)/d(logits). */
  grad: Float32Array;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Loss and gradient for logits and 0/1 targets of the same layout [batch, pixels]. */
export function segLoss(
  logits: Float32Array,
  target: Uint8Array,
  batch: number,
  opts: LossOptions = {},
): LossValue {
  const n = logits.length;
  const per = n / batch;
  const wb = opts.bceWeight ?? 1;
  const wd = opts.diceWeight ?? 1;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += target[i]!;
  const pw =
    opts.posWeight === undefined || opts.posWeight === 'auto'
      ? Math.min(20, Math.max(1, (n - pos) / Math.max(1, pos)))
      : opts.posWeight;
  const grad = new Float32Array(n);
  let bce = 0;
  for (let i = 0; i < n; i++) {
    const x = logits[i]!;
    // Stable forms: −log σ(x) = softplus(−x), −log(1 − σ(x)) = softplus(x).
    const sp = Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    const s = sigmoid(x);
    if (target[i]) {
      bce += pw * (sp - x);
      grad[i] = (wb * pw * (s - 1)) / n;
    } else {
      bce += sp;
      grad[i] = (wb * s) / n;
    }
  }
  bce /= n;
  let dice = 0;
  const eps = 1;
  for (let b = 0; b < batch; b++) {
    let inter = 0;
    let sum = 0;
    const o = b * per;
    for (let i = 0; i < per; i++) {
      const s = sigmoid(logits[o + i]!);
      inter += s * target[o + i]!;
      sum += s + target[o + i]!;
    }
    const num = 2 * inter + eps;
    const den = sum + eps;
    dice += 1 - num / den;
    // d(1 − num/den)/ds_i = −(2 t_i den − num) / den²; then through the sigmoid.
    for (let i = 0; i < per; i++) {
      const s = sigmoid(logits[o + i]!);
      const ds = -(2 * target[o + i]! * den - num) / (den * den);
      grad[o + i]! += (wd * ds * s * (1 - s)) / batch;
    }
  }
  dice /= batch;
  return { loss: wb * bce + wd * dice, bce, dice, posWeight: pw, grad };
}

export interface AdamWOptions {
  lr: number;
  weightDecay: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

/** AdamW (Loshchilov & Hutter; PyTorch's defaults β = 0.9, 0.999, ε = 1e-8), updating the parameters in place. */
export class AdamW {
  step = 0;
  readonly m: Params = new Map();
  readonly v: Params = new Map();
  constructor(private readonly o: AdamWOptions) {}

  update(params: Params, grads: Params): void {
    this.step++;
    const { lr, weightDecay } = this.o;
    const b1 = this.o.beta1 ?? 0.9;
    const b2 = this.o.beta2 ?? 0.999;
    const eps = this.o.eps ?? 1e-8;
    const c1 = 1 - b1 ** this.step;
    const c2 = 1 - b2 ** this.step;
    for (const [name, g] of grads) {
      const w = params.get(name)!;
      let m = this.m.get(name);
      let v = this.v.get(name);
      if (!m || !v) {
        m = new Float32Array(w.length);
        v = new Float32Array(w.length);
        this.m.set(name, m);
        this.v.set(name, v);
      }
      for (let i = 0; i < w.length; i++) {
        m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
        v[i] = b2 * v[i]! + (1 - b2) * g[i]! * g[i]!;
        w[i] = w[i]! * (1 - lr * weightDecay) - (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + eps);
      }
    }
  }
}
