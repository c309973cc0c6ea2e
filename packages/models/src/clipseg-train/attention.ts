// The decoder layers' multi-head self-attention (CLIP's: q scaled by head_dim^-0.5, softmax, no mask), forward and
// backward, batched over samples × heads. The tokens × tokens matrices (60 MB per layer at batch 16) never leave
// the WebAssembly heap: scores, softmax and their gradients are TensorFlow.js ops there, and only the small
// per-head inputs and outputs cross into JavaScript.
import * as tf from '@tensorflow/tfjs-core';
import { linear, linearBack, type Params } from './layers.js';

export interface AttentionSaved {
  x: Float32Array;
  /** [batch·heads, tokens, hd] each, in the WebAssembly heap; disposed by the backward pass. */
  q: tf.Tensor3D;
  k: tf.Tensor3D;
  v: tf.Tensor3D;
  probs: tf.Tensor3D;
  o: Float32Array;
}

/** Frees what a forward pass kept for the backward pass. */
export function disposeAttention(s: AttentionSaved): void {
  for (const t of [s.q, s.k, s.v, s.probs]) t.dispose();
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
  const qh = split(linear(p, `${name}.q_proj`, x, rows, dim), batch, t, heads, hd);
  const kh = split(linear(p, `${name}.k_proj`, x, rows, dim), batch, t, heads, hd);
  const vh = split(linear(p, `${name}.v_proj`, x, rows, dim), batch, t, heads, hd);
  const bh = batch * heads;
  const q = tf.tensor3d(qh, [bh, t, hd]);
  const k = tf.tensor3d(kh, [bh, t, hd]);
  const v = tf.tensor3d(vh, [bh, t, hd]);
  const probs = tf.tidy(() =>
    tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd))),
  ) as tf.Tensor3D;
  const ot = tf.matMul(probs, v);
  const o = merge(ot.dataSync() as Float32Array, batch, t, heads, hd);
  ot.dispose();
  const y = linear(p, `${name}.out_proj`, o, rows, dim);
  return { y, saved: { x, q, k, v, probs, o } };
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
  const doh = split(linearBack(p, grads, `${name}.out_proj`, s.o, dy, rows, dim)!, batch, t, heads, hd);
  const scale = 1 / Math.sqrt(hd);
  const [dqt, dkt, dvt] = tf.tidy(() => {
    const dO = tf.tensor3d(doh, [bh, t, hd]);
    const dV = tf.matMul(s.probs, dO, true, false);
    const dP = tf.matMul(dO, s.v, false, true);
    // softmax backward: dS = P ⊙ (dP − Σ dP ⊙ P), then the scale.
    const dS = tf.mul(tf.mul(s.probs, tf.sub(dP, tf.sum(tf.mul(dP, s.probs), -1, true))), scale);
    return [tf.matMul(dS, s.k), tf.matMul(dS, s.q, true, false), dV];
  });
  const read = (x: tf.Tensor) => {
    const d = x.dataSync() as Float32Array;
    x.dispose();
    return merge(d, batch, t, heads, hd);
  };
  const dqh = read(dqt!);
  const dkh = read(dkt!);
  const dvh = read(dvt!);
  disposeAttention(s);
  const dx = linearBack(p, grads, `${name}.q_proj`, s.x, dqh, rows, dim)!;
  const dk = linearBack(p, grads, `${name}.k_proj`, s.x, dkh, rows, dim)!;
  const dv = linearBack(p, grads, `${name}.v_proj`, s.x, dvh, rows, dim)!;
  for (let i = 0; i < dx.length; i++) dx[i]! += dk[i]! + dv[i]!;
  return dx;
}
