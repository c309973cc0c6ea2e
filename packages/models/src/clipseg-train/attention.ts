// The decoder layers' multi-head self-attention (CLIP's: q scaled by head_dim^-0.5, softmax, no mask), forward and
// backward, batched over samples × heads. The tokens × tokens matrices (60 MB per layer at batch 16) never leave
// the WebAssembly heap: scores, softmax and their gradients are TensorFlow.js ops there, and only the small
// per-head inputs and outputs cross into JavaScript.
import * as tf from '@tensorflow/tfjs-core';
import { linear, linearBack, type Params } from './layers.js';

export interface AttentionSaved {
  x: Float32Array;
  /**
   * In the WebAssembly heap, disposed by the backward pass: Qᵀ and Vᵀ [batch·heads, hd, tokens], K [batch·heads,
   * tokens, hd], and the attention probabilities. Transposed operands are laid out here so that every product is a
   * plain one (the backend's transposed products are 3-4× slower).
   */
  qT: tf.Tensor3D;
  k: tf.Tensor3D;
  vT: tf.Tensor3D;
  probs: tf.Tensor3D;
  o: Float32Array;
}

/** Frees what a forward pass kept for the backward pass. */
export function disposeAttention(s: AttentionSaved): void {
  for (const t of [s.qT, s.k, s.vT, s.probs]) t.dispose();
}

/** [batch·tokens, heads·hd] → [batch·heads, tokens, hd] */
function split(x: Float32Array, batch: number, t: number, heads: number, hd: number): Float32Array {
  const out = new Float32Array(x.length);
  const dim = heads * hd;
  for (let b = 0; b < batch; b++)
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < t; i++) {
        const src = (b * t + i) * dim + h * hd;
        out.set(x.subarray(src, src + hd), ((b * heads + h) * t + i) * hd);
      }
  return out;
}

function merge(x: Float32Array, batch: number, t: number, heads: number, hd: number): Float32Array {
  const out = new Float32Array(x.length);
  const dim = heads * hd;
  for (let b = 0; b < batch; b++)
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < t; i++) {
        const src = ((b * heads + h) * t + i) * hd;
        out.set(x.subarray(src, src + hd), (b * t + i) * dim + h * hd);
      }
  return out;
}

/** [batch·tokens, heads·hd] → [batch·heads, hd, tokens] */
function splitT(x: Float32Array, batch: number, t: number, heads: number, hd: number): Float32Array {
  const out = new Float32Array(x.length);
  const dim = heads * hd;
  for (let b = 0; b < batch; b++)
    for (let h = 0; h < heads; h++) {
      const base = (b * heads + h) * hd * t;
      for (let i = 0; i < t; i++) {
        const src = (b * t + i) * dim + h * hd;
        for (let d = 0; d < hd; d++) out[base + d * t + i] = x[src + d]!;
      }
    }
  return out;
}

/** [batch·heads, hd, tokens] → [batch·tokens, heads·hd] */
function mergeT(x: Float32Array, batch: number, t: number, heads: number, hd: number): Float32Array {
  const out = new Float32Array(x.length);
  const dim = heads * hd;
  for (let b = 0; b < batch; b++)
    for (let h = 0; h < heads; h++) {
      const base = (b * heads + h) * hd * t;
      for (let i = 0; i < t; i++) {
        const dst = (b * t + i) * dim + h * hd;
        for (let d = 0; d < hd; d++) out[dst + d] = x[base + d * t + i]!;
      }
    }
  return out;
}

export function attention(
  p: Params,
  name: string,
  x: Float32Array,
  batch: number,
  t: number,
  dim: number,
  heads: number,
): { y: Float32Array; saved: AttentionSaved } {
  const hd = dim / heads;
  const rows = batch * t;
  const q = linear(p, `${name}.q_proj`, x, rows, dim);
  const k = linear(p, `${name}.k_proj`, x, rows, dim);
  const v = linear(p, `${name}.v_proj`, x, rows, dim);
  const bh = batch * heads;
  const saved = {
    qT: tf.tensor3d(splitT(q, batch, t, heads, hd), [bh, hd, t]),
    k: tf.tensor3d(split(k, batch, t, heads, hd), [bh, t, hd]),
    vT: tf.tensor3d(splitT(v, batch, t, heads, hd), [bh, hd, t]),
  };
  // The scale goes on Q before the product (a small array), not on the tokens × tokens scores.
  const qs = split(q, batch, t, heads, hd);
  const scale = 1 / Math.sqrt(hd);
  for (let i = 0; i < qs.length; i++) qs[i]! *= scale;
  const probs = tf.tidy(() =>
    tf.softmax(
      tf.matMul(tf.tensor3d(qs, [bh, t, hd]), tf.tensor3d(splitT(k, batch, t, heads, hd), [bh, hd, t])),
    ),
  ) as tf.Tensor3D;
  const ot = tf.tidy(() => tf.matMul(probs, tf.tensor3d(split(v, batch, t, heads, hd), [bh, t, hd])));
  const o = merge(ot.dataSync() as Float32Array, batch, t, heads, hd);
  ot.dispose();
  const y = linear(p, `${name}.out_proj`, o, rows, dim);
  return { y, saved: { x, ...saved, probs, o } };
}

export function attentionBack(
  p: Params,
  grads: Params,
  name: string,
  s: AttentionSaved,
  dy: Float32Array,
  batch: number,
  t: number,
  dim: number,
  heads: number,
): Float32Array {
  const hd = dim / heads;
  const rows = batch * t;
  const bh = batch * heads;
  const dout = linearBack(p, grads, `${name}.out_proj`, s.o, dy, rows, dim)!;
  const scale = 1 / Math.sqrt(hd);
  const [dqt, dkTt, dvTt] = tf.tidy(() => {
    const dO = tf.tensor3d(split(dout, batch, t, heads, hd), [bh, t, hd]);
    const dOT = tf.tensor3d(splitT(dout, batch, t, heads, hd), [bh, hd, t]);
    const dVT = tf.matMul(dOT, s.probs); // dVᵀ = dOᵀ·P
    // softmax backward with the scale folded into dO: dS = P ⊙ (dP − Σ dP ⊙ P), dP = (scale·dO)·Vᵀ.
    const dP = tf.matMul(tf.mul(dO, scale), s.vT);
    const dS = tf.mul(s.probs, tf.sub(dP, tf.sum(tf.mul(dP, s.probs), -1, true)));
    return [tf.matMul(dS, s.k), tf.matMul(s.qT, dS), dVT]; // dQ = dS·K, dKᵀ = Qᵀ·dS
  });
  const read = (x: tf.Tensor, transposed: boolean) => {
    const d = x.dataSync() as Float32Array;
    x.dispose();
    return transposed ? mergeT(d, batch, t, heads, hd) : merge(d, batch, t, heads, hd);
  };
  const dqh = read(dqt!, false);
  const dkh = read(dkTt!, true);
  const dvh = read(dvTt!, true);
  disposeAttention(s);
  const dx = linearBack(p, grads, `${name}.q_proj`, s.x, dqh, rows, dim)!;
  const dk = linearBack(p, grads, `${name}.k_proj`, s.x, dkh, rows, dim)!;
  const dv = linearBack(p, grads, `${name}.v_proj`, s.x, dvh, rows, dim)!;
  for (let i = 0; i < dx.length; i++) dx[i]! += dk[i]! + dv[i]!;
  return dx;
}
