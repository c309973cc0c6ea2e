// A CLIPSeg decoder with random weights in the ONNX export's layouts, for any geometry: the full-size rd64-refined
// one (the bench) or a small one (tests). Linear weights are [in, out] (MatMul), FiLM's are [out, in] (Gemm).
import { seededRandom } from '@segkit/core';
import type { DecoderGeometry } from '../../src/clipseg-train/decoder.js';
import type { Params } from '../../src/clipseg-train/layers.js';

/** rd64-refined: 3 layers of width 64, 4 heads, a ViT-B/16 backbone at 352² (1.13 M parameters). */
export const RD64: DecoderGeometry = {
  depth: 3,
  reduceDim: 64,
  heads: 4,
  width: 768,
  condDim: 512,
  grid: 22,
  conditionalLayer: 0,
  complex: true,
  eps: 1e-5,
};

/** Freshly initialised weights (uniform, scaled by fan-in) with the refined head's 3×3 and two ×4 convolutions. */
export function randomDecoder(g: DecoderGeometry, seed = 1): Params {
  const r = seededRandom(seed);
  const p: Params = new Map();
  const R = g.reduceDim;
  const rand = (n: number, s: number) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * s);
  const lin = (name: string, i: number, o: number) => {
    p.set(`${name}.weight`, rand(i * o, 1 / Math.sqrt(i)));
    p.set(`${name}.bias`, rand(o, 0.01));
  };
  for (let l = 0; l < g.depth; l++) lin(`decoder.reduces.${l}`, g.width, R);
  for (const f of ['film_mul', 'film_add']) lin(`decoder.${f}`, g.condDim, R);
  for (let l = 0; l < g.depth; l++) {
    for (const q of ['q_proj', 'k_proj', 'v_proj', 'out_proj'])
      lin(`decoder.layers.${l}.self_attn.${q}`, R, R);
    lin(`decoder.layers.${l}.mlp.fc1`, R, 2048);
    lin(`decoder.layers.${l}.mlp.fc2`, 2048, R);
    for (const n of ['layer_norm1', 'layer_norm2']) {
      p.set(`decoder.layers.${l}.${n}.weight`, new Float32Array(R).fill(1));
      p.set(`decoder.layers.${l}.${n}.bias`, new Float32Array(R));
    }
  }
  const tc = 'decoder.transposed_convolution';
  p.set(`${tc}.0.weight`, rand(R * R * 9, 1 / Math.sqrt(R * 9)));
  p.set(`${tc}.0.bias`, rand(R, 0.01));
  p.set(`${tc}.2.weight`, rand(R * (R / 2) * 16, 1 / 8));
  p.set(`${tc}.2.bias`, rand(R / 2, 0.01));
  p.set(`${tc}.4.weight`, rand((R / 2) * 16, 1 / 6));
  p.set(`${tc}.4.bias`, rand(1, 0.01));
  return p;
}
