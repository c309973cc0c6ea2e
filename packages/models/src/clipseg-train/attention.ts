// The decoder layers' multi-head self-attention (CLIP's: q scaled by head_dim^-0.5, softmax, no mask), forward and
// backward, batched over samples × heads.
import { linear, linearBack, type Params } from './layers.js';
import { matmul } from './matmul.js';

export interface AttentionSaved {
  x: Float32Array;
  qh: Float32Array;
  kh: Float32Array;
  vh: Float32Array;
  probs: Float32Array;
  o: Float32Array;
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
  const probs = matmul(qh, [t, hd], kh, [t, hd], { tb: true, batch: bh });
  const scale = 1 / Math.sqrt(hd);
  for (let r = 0; r < bh * t; r++) {
    const o = r * t;
    let max = -Infinity;
    for (let j = 0; j < t; j++) {
      const v = probs[o + j]! * scale;
      probs[o + j] = v;
      if (v > max) max = v;
    }
    let sum = 0;
    for (let j = 0; j < t; j++) {
      const e = Math.exp(probs[o + j]! - max);
      probs[o + j] = e;
      sum += e;
    }
    for (let j = 0; j < t; j++) probs[o + j]! /= sum;
  }
  const o = merge(matmul(probs, [t, t], vh, [t, hd], { batch: bh }), batch, t, heads, hd);
  const y = linear(p, `${name}.out_proj`, o, rows, dim);
  return { y, saved: { x, qh, kh, vh, probs, o } };
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
  const dprobs = matmul(doh, [t, hd], s.vh, [t, hd], { tb: true, batch: bh });
  const dvh = matmul(s.probs, [t, t], doh, [t, hd], { ta: true, batch: bh });
  const scale = 1 / Math.sqrt(hd);
  // softmax backward: dS = P ⊙ (dP − Σ dP ⊙ P), then the scale.
  for (let r = 0; r < bh * t; r++) {
    const o = r * t;
    let dot = 0;
    for (let j = 0; j < t; j++) dot += dprobs[o + j]! * s.probs[o + j]!;
    for (let j = 0; j < t; j++) dprobs[o + j] = s.probs[o + j]! * (dprobs[o + j]! - dot) * scale;
  }
  const dqh = matmul(dprobs, [t, t], s.kh, [t, hd], { batch: bh });
  const dkh = matmul(dprobs, [t, t], s.qh, [t, hd], { ta: true, batch: bh });
  const dx = linearBack(p, grads, `${name}.q_proj`, s.x, merge(dqh, batch, t, heads, hd), rows, dim)!;
  const dk = linearBack(p, grads, `${name}.k_proj`, s.x, merge(dkh, batch, t, heads, hd), rows, dim)!;
  const dv = linearBack(p, grads, `${name}.v_proj`, s.x, merge(dvh, batch, t, heads, hd), rows, dim)!;
  for (let i = 0; i < dx.length; i++) dx[i]! += dk[i]! + dv[i]!;
  return dx;
}
