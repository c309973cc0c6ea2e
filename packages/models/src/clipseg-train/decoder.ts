// The CLIPSeg decoder (transformers' CLIPSegDecoder), forward and backward. For each sample of a batch: the reduces
// project the backbone's hidden states to reduce_dim and are summed in, deepest first; FiLM from the conditional
// embedding before the conditional layer; one post-norm transformer layer per extracted layer (ReLU MLP); the CLS
// token dropped; then the "refined" head (3×3 conv, ReLU, two transposed convs) or a single transposed conv.
import { type AttentionSaved, attention, attentionBack, disposeAttention } from './attention.js';
import { disposeFfn, type FfnSaved, feedForward, feedForwardBack } from './ffn.js';
import {
  addInto,
  conv3x3,
  conv3x3Back,
  convTranspose,
  convTransposeBack,
  layerNorm,
  layerNormBack,
  linear,
  linearBack,
  type NormSaved,
  type Params,
  relu,
  reluBack,
} from './layers.js';
import { matmul } from './matmul.js';

export interface DecoderGeometry {
  depth: number;
  reduceDim: number;
  heads: number;
  /** Vision width (the hidden states' last axis). */
  width: number;
  /** Conditional embedding size (projection_dim). */
  condDim: number;
  /** Patch grid side (352 / 16 = 22); tokens = grid² + 1. */
  grid: number;
  conditionalLayer: number;
  complex: boolean;
  eps: number;
}

/**
 * The batch's inputs. `hidden[l]` is [batch·tokens, width] for reduce l; with `reduced`, `hidden[l]` is already the
 * reduce's output [batch·tokens, reduceDim] (frozen reduces, the small cache) and the reduces are not trained.
 */
export interface DecoderInput {
  hidden: Float32Array[];
  cond: Float32Array;
  batch: number;
  reduced?: boolean;
}

interface LayerSaved {
  attn: AttentionSaved;
  ln1: NormSaved;
  ffn: FfnSaved;
  ln2: NormSaved;
}

export interface DecoderTape {
  input: DecoderInput;
  filmIn: Float32Array;
  mul: Float32Array;
  layers: LayerSaved[];
  z: Float32Array;
  c0?: { y: Float32Array; cols: Float32Array; wcol: Float32Array };
  r0?: Float32Array;
  t1?: { y: Float32Array; wm: Float32Array; k: number };
  r1?: Float32Array;
  t2: { wm: Float32Array; k: number };
  t2In: Float32Array;
}

const TC = 'decoder.transposed_convolution';

/**
 * Logits [batch, side, side] for each sample. With `keep`, also the tape for {@link decoderBackward} (which frees
 * the attention matrices it holds in the WebAssembly heap); without, they are freed at once.
 */
export function decoderForward(
  p: Params,
  g: DecoderGeometry,
  input: DecoderInput,
  opts: { keep?: boolean } = {},
): { logits: Float32Array; tape: DecoderTape; side: number } {
  const { batch } = input;
  const t = g.grid * g.grid + 1;
  const rows = batch * t;
  const R = g.reduceDim;
  const reduce = (l: number) =>
    input.reduced ? input.hidden[l]! : linear(p, `decoder.reduces.${l}`, input.hidden[l]!, rows, g.width);
  const mul = matmul(input.cond, [batch, g.condDim], p.get('decoder.film_mul.weight')!, [R, g.condDim], {
    tb: true,
  });
  const add = matmul(input.cond, [batch, g.condDim], p.get('decoder.film_add.weight')!, [R, g.condDim], {
    tb: true,
  });
  const bm = p.get('decoder.film_mul.bias')!;
  const ba = p.get('decoder.film_add.bias')!;
  for (let b = 0; b < batch; b++)
    for (let c = 0; c < R; c++) {
      mul[b * R + c]! += bm[c]!;
      add[b * R + c]! += ba[c]!;
    }
  let x: Float32Array = new Float32Array(0);
  let filmIn: Float32Array = new Float32Array(0);
  const layers: LayerSaved[] = [];
  for (let l = 0; l < g.depth; l++) {
    const r = reduce(l);
    if (l === 0) x = Float32Array.from(r);
    else for (let i = 0; i < x.length; i++) x[i]! += r[i]!;
    if (l === g.conditionalLayer) {
      filmIn = x;
      x = new Float32Array(filmIn.length);
      for (let b = 0; b < batch; b++)
        for (let i = 0; i < t; i++)
          for (let c = 0, o = (b * t + i) * R; c < R; c++)
            x[o + c] = filmIn[o + c]! * mul[b * R + c]! + add[b * R + c]!;
    }
    const name = `decoder.layers.${l}`;
    const a = attention(p, `${name}.self_attn`, x, batch, t, R, g.heads);
    for (let i = 0; i < x.length; i++) a.y[i]! += x[i]!;
    const n1 = layerNorm(p, `${name}.layer_norm1`, a.y, rows, R, g.eps);
    const ffn = feedForward(p, `${name}.mlp`, n1.y, rows, R);
    const f = ffn.y;
    for (let i = 0; i < f.length; i++) f[i]! += n1.y[i]!;
    const n2 = layerNorm(p, `${name}.layer_norm2`, f, rows, R, g.eps);
    layers.push({ attn: a.saved, ln1: n1.saved, ffn: ffn.saved, ln2: n2.saved });
    x = n2.y;
  }
  // Drop the CLS token: the patch tokens in row-major order are a channel-last image [batch, grid, grid, R].
  const G = g.grid;
  const z = new Float32Array(batch * G * G * R);
  for (let b = 0; b < batch; b++) z.set(x.subarray((b * t + 1) * R, (b + 1) * t * R), b * G * G * R);
  const tape: Partial<DecoderTape> = { input, filmIn, mul, layers, z };
  let out: { y: Float32Array; wm: Float32Array; k: number };
  let side: number;
  if (g.complex) {
    tape.c0 = conv3x3(p, `${TC}.0`, z, batch, G, G, R);
    tape.r0 = relu(tape.c0.y);
    tape.t1 = convTranspose(p, `${TC}.2`, tape.r0, batch, G, G, R);
    tape.r1 = relu(tape.t1.y);
    const s1 = G * tape.t1.k;
    tape.t2In = tape.r1;
    out = convTranspose(p, `${TC}.4`, tape.r1, batch, s1, s1, tape.r1.length / (batch * s1 * s1));
    side = s1 * out.k;
  } else {
    tape.t2In = z;
    out = convTranspose(p, TC, z, batch, G, G, R);
    side = G * out.k;
  }
  tape.t2 = { wm: out.wm, k: out.k };
  if (!opts.keep) disposeTape(tape as DecoderTape);
  return { logits: out.y, tape: tape as DecoderTape, side };
}

/** Frees the WebAssembly-heap tensors a kept tape holds, when its backward pass will not run. */
export function disposeTape(tape: DecoderTape): void {
  for (const l of tape.layers) {
    disposeAttention(l.attn);
    disposeFfn(l.ffn);
  }
}

/** Gradients of every trained parameter, given d(loss)/d(logits). */
export function decoderBackward(
  p: Params,
  g: DecoderGeometry,
  tape: DecoderTape,
  dLogits: Float32Array,
): Params {
  const grads: Params = new Map();
  const { batch } = tape.input;
  const G = g.grid;
  const R = g.reduceDim;
  const t = G * G + 1;
  const rows = batch * t;
  let dz: Float32Array;
  if (g.complex) {
    const s1 = G * tape.t1!.k;
    const c1 = tape.r1!.length / (batch * s1 * s1);
    const dr1 = convTransposeBack(p, grads, `${TC}.4`, tape.t2, tape.r1!, dLogits, batch, s1, s1, c1)!;
    const dr0 = convTransposeBack(
      p,
      grads,
      `${TC}.2`,
      tape.t1!,
      tape.r0!,
      reluBack(tape.r1!, dr1),
      batch,
      G,
      G,
      R,
    )!;
    dz = conv3x3Back(grads, `${TC}.0`, tape.c0!, reluBack(tape.r0!, dr0), batch, G, G, R);
  } else {
    dz = convTransposeBack(p, grads, TC, tape.t2, tape.z, dLogits, batch, G, G, R)!;
  }
  // The CLS token's output is dropped: its gradient is 0.
  let dx: Float32Array = new Float32Array(rows * R);
  for (let b = 0; b < batch; b++) dx.set(dz.subarray(b * G * G * R, (b + 1) * G * G * R), (b * t + 1) * R);
  for (let l = g.depth - 1; l >= 0; l--) {
    const name = `decoder.layers.${l}`;
    const s = tape.layers[l]!;
    const df = layerNormBack(p, grads, `${name}.layer_norm2`, s.ln2, dx, rows, R);
    const dx1 = feedForwardBack(p, grads, `${name}.mlp`, s.ffn, df, rows, R);
    for (let i = 0; i < dx1.length; i++) dx1[i]! += df[i]!;
    const dr = layerNormBack(p, grads, `${name}.layer_norm1`, s.ln1, dx1, rows, R);
    dx = attentionBack(p, grads, `${name}.self_attn`, s.attn, dr, batch, t, R, g.heads);
    for (let i = 0; i < dx.length; i++) dx[i]! += dr[i]!;
    if (l === g.conditionalLayer) dx = filmBack(grads, g, tape, dx);
    if (!tape.input.reduced)
      linearBack(p, grads, `decoder.reduces.${l}`, tape.input.hidden[l]!, dx, rows, g.width, false);
  }
  return grads;
}

function filmBack(grads: Params, g: DecoderGeometry, tape: DecoderTape, dy: Float32Array): Float32Array {
  const { batch, cond } = tape.input;
  const R = g.reduceDim;
  const t = g.grid * g.grid + 1;
  const dmul = new Float32Array(batch * R);
  const dadd = new Float32Array(batch * R);
  const dx = new Float32Array(dy.length);
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < t; i++)
      for (let c = 0, o = (b * t + i) * R; c < R; c++) {
        const d = dy[o + c]!;
        dmul[b * R + c]! += d * tape.filmIn[o + c]!;
        dadd[b * R + c]! += d;
        dx[o + c] = d * tape.mul[b * R + c]!;
      }
  for (const [name, d] of [
    ['decoder.film_mul', dmul],
    ['decoder.film_add', dadd],
  ] as const) {
    // Gemm weights are [out, in]: dW = dᵀ·cond.
    addInto(grads, `${name}.weight`, matmul(d, [batch, R], cond, [batch, g.condDim], { ta: true }));
    const db = new Float32Array(R);
    for (let b = 0; b < batch; b++) for (let c = 0; c < R; c++) db[c]! += d[b * R + c]!;
    addInto(grads, `${name}.bias`, db);
  }
  return dx;
}

/** The decoder's geometry from a CLIPSeg config and its weights. */
export function decoderGeometry(
  config: {
    extract_layers: number[];
    reduce_dim: number;
    decoder_num_attention_heads: number;
    conditional_layer: number;
    use_complex_transposed_convolution?: boolean;
    projection_dim: number;
    vision_config: { hidden_size: number; patch_size: number; layer_norm_eps?: number };
  },
  size = 352,
): DecoderGeometry {
  return {
    depth: config.extract_layers.length,
    reduceDim: config.reduce_dim,
    heads: config.decoder_num_attention_heads,
    width: config.vision_config.hidden_size,
    condDim: config.projection_dim,
    grid: size / config.vision_config.patch_size,
    conditionalLayer: config.conditional_layer,
    complex: config.use_complex_transposed_convolution === true,
    eps: config.vision_config.layer_norm_eps ?? 1e-5,
  };
}
