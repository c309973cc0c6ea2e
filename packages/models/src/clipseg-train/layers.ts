// The CLIPSeg decoder's building blocks, forward and backward, on row-major Float32Arrays. Weights keep the layout of
// their ONNX initializers: MatMul weights [in, out], Gemm weights [out, in], Conv [out, in, k, k], ConvTranspose
// [in, out, k, k]. Each backward returns the input's gradient and adds the parameters' gradients into `grads`.
import { matmul } from './matmul.js';

export type Params = Map<string, Float32Array>;

export function addInto(grads: Params, name: string, g: Float32Array): void {
  const have = grads.get(name);
  if (!have) grads.set(name, g);
  else for (let i = 0; i < g.length; i++) have[i]! += g[i]!;
}

/** Sum over rows of a [rows, cols] array. */
function colSums(x: Float32Array, rows: number, cols: number): Float32Array {
  const s = new Float32Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0, o = r * cols; c < cols; c++) s[c]! += x[o + c]!;
  return s;
}

/** y = x·W + b with W [in, out] (a MatMul + Add of the graph). */
export function linear(p: Params, name: string, x: Float32Array, rows: number, inDim: number): Float32Array {
  const w = p.get(`${name}.weight`)!;
  const b = p.get(`${name}.bias`)!;
  const out = b.length;
  const y = matmul(x, [rows, inDim], w, [inDim, out]);
  for (let r = 0; r < rows; r++) for (let c = 0, o = r * out; c < out; c++) y[o + c]! += b[c]!;
  return y;
}

export function linearBack(
  p: Params,
  grads: Params,
  name: string,
  x: Float32Array,
  dy: Float32Array,
  rows: number,
  inDim: number,
  needInput = true,
): Float32Array | null {
  const w = p.get(`${name}.weight`)!;
  const out = w.length / inDim;
  addInto(grads, `${name}.weight`, matmul(x, [rows, inDim], dy, [rows, out], { ta: true }));
  addInto(grads, `${name}.bias`, colSums(dy, rows, out));
  return needInput ? matmul(dy, [rows, out], w, [inDim, out], { tb: true }) : null;
}

export interface NormSaved {
  xhat: Float32Array;
  inv: Float32Array;
}

/** LayerNorm over the last axis. */
export function layerNorm(
  p: Params,
  name: string,
  x: Float32Array,
  rows: number,
  dim: number,
  eps: number,
): { y: Float32Array; saved: NormSaved } {
  const g = p.get(`${name}.weight`)!;
  const b = p.get(`${name}.bias`)!;
  const y = new Float32Array(x.length);
  const xhat = new Float32Array(x.length);
  const inv = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let mean = 0;
    for (let c = 0; c < dim; c++) mean += x[o + c]!;
    mean /= dim;
    let v = 0;
    for (let c = 0; c < dim; c++) v += (x[o + c]! - mean) ** 2;
    const s = 1 / Math.sqrt(v / dim + eps);
    inv[r] = s;
    for (let c = 0; c < dim; c++) {
      const h = (x[o + c]! - mean) * s;
      xhat[o + c] = h;
      y[o + c] = h * g[c]! + b[c]!;
    }
  }
  return { y, saved: { xhat, inv } };
}

export function layerNormBack(
  p: Params,
  grads: Params,
  name: string,
  saved: NormSaved,
  dy: Float32Array,
  rows: number,
  dim: number,
): Float32Array {
  const g = p.get(`${name}.weight`)!;
  const dg = new Float32Array(dim);
  const db = new Float32Array(dim);
  const dx = new Float32Array(dy.length);
  const { xhat, inv } = saved;
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let sum = 0;
    let dot = 0;
    for (let c = 0; c < dim; c++) {
      const dh = dy[o + c]! * g[c]!;
      sum += dh;
      dot += dh * xhat[o + c]!;
      dg[c]! += dy[o + c]! * xhat[o + c]!;
      db[c]! += dy[o + c]!;
    }
    for (let c = 0; c < dim; c++)
      dx[o + c] = (inv[r]! / dim) * (dim * dy[o + c]! * g[c]! - sum - xhat[o + c]! * dot);
  }
  addInto(grads, `${name}.weight`, dg);
  addInto(grads, `${name}.bias`, db);
  return dx;
}

export function relu(x: Float32Array): Float32Array {
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = x[i]! > 0 ? x[i]! : 0;
  return y;
}

/** dy masked by where the ReLU's output was positive (in place). */
export function reluBack(y: Float32Array, dy: Float32Array): Float32Array {
  for (let i = 0; i < dy.length; i++) if (!(y[i]! > 0)) dy[i] = 0;
  return dy;
}

/**
 * For each output pixel and each of the 9 taps of a 3×3 window (padding 1), the input pixel it reads, or −1 outside
 * the image: [batch·h·w·9]. The forward pass gathers through it, the backward pass scatters.
 */
function tapMap(batch: number, h: number, w: number): Int32Array {
  const taps = new Int32Array(batch * h * w * 9);
  let q = 0;
  for (let b = 0; b < batch; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < 9; k++) {
          const sy = y + Math.floor(k / 3) - 1;
          const sx = x + (k % 3) - 1;
          taps[q++] = sy < 0 || sy >= h || sx < 0 || sx >= w ? -1 : (b * h + sy) * w + sx;
        }
  return taps;
}

/**
 * 3×3 convolution, padding 1, on channel-last images [batch, h, w, cin] → [batch, h, w, cout], as an im2col product.
 * Returns the columns for the backward pass.
 */
export function conv3x3(
  p: Params,
  name: string,
  x: Float32Array,
  batch: number,
  h: number,
  w: number,
  cin: number,
): { y: Float32Array; cols: Float32Array; wcol: Float32Array } {
  const weight = p.get(`${name}.weight`)!;
  const bias = p.get(`${name}.bias`)!;
  const cout = bias.length;
  const wcol = new Float32Array(9 * cin * cout);
  for (let co = 0; co < cout; co++)
    for (let ci = 0; ci < cin; ci++)
      for (let k = 0; k < 9; k++) wcol[(k * cin + ci) * cout + co] = weight[(co * cin + ci) * 9 + k]!;
  const taps = tapMap(batch, h, w);
  const cols = new Float32Array(taps.length * cin);
  for (let q = 0; q < taps.length; q++) {
    const src = taps[q]!;
    if (src >= 0) cols.set(x.subarray(src * cin, (src + 1) * cin), q * cin);
  }
  const n = batch * h * w;
  const y = matmul(cols, [n, 9 * cin], wcol, [9 * cin, cout]);
  for (let r = 0; r < n; r++) for (let c = 0; c < cout; c++) y[r * cout + c]! += bias[c]!;
  return { y, cols, wcol };
}

export function conv3x3Back(
  grads: Params,
  name: string,
  saved: { cols: Float32Array; wcol: Float32Array },
  dy: Float32Array,
  batch: number,
  h: number,
  w: number,
  cin: number,
): Float32Array {
  const n = batch * h * w;
  const cout = dy.length / n;
  const dwcol = matmul(saved.cols, [n, 9 * cin], dy, [n, cout], { ta: true });
  const dw = new Float32Array(dwcol.length);
  for (let co = 0; co < cout; co++)
    for (let ci = 0; ci < cin; ci++)
      for (let k = 0; k < 9; k++) dw[(co * cin + ci) * 9 + k] = dwcol[(k * cin + ci) * cout + co]!;
  addInto(grads, `${name}.weight`, dw);
  addInto(grads, `${name}.bias`, colSums(dy, n, cout));
  const dcols = matmul(dy, [n, cout], saved.wcol, [9 * cin, cout], { tb: true });
  const dx = new Float32Array(n * cin);
  const taps = tapMap(batch, h, w);
  for (let q = 0; q < taps.length; q++) {
    const dst = taps[q]!;
    if (dst < 0) continue;
    for (let c = 0; c < cin; c++) dx[dst * cin + c]! += dcols[q * cin + c]!;
  }
  return dx;
}

/** ConvTranspose with kernel = stride = k and no padding, channel-last: [batch, h, w, cin] → [batch, h·k, w·k, cout]. */
export function convTranspose(
  p: Params,
  name: string,
  x: Float32Array,
  batch: number,
  h: number,
  w: number,
  cin: number,
): { y: Float32Array; wm: Float32Array; k: number } {
  const weight = p.get(`${name}.weight`)!;
  const bias = p.get(`${name}.bias`)!;
  const cout = bias.length;
  const k = Math.round(Math.sqrt(weight.length / (cin * cout)));
  const kk = k * k;
  const wm = new Float32Array(cin * kk * cout);
  for (let ci = 0; ci < cin; ci++)
    for (let co = 0; co < cout; co++)
      for (let q = 0; q < kk; q++) wm[ci * kk * cout + q * cout + co] = weight[(ci * cout + co) * kk + q]!;
  const n = batch * h * w;
  const prod = matmul(x, [n, cin], wm, [cin, kk * cout]);
  const y = new Float32Array(n * kk * cout);
  const W = w * k;
  for (let b = 0; b < batch; b++)
    for (let yy = 0; yy < h; yy++)
      for (let xx = 0; xx < w; xx++) {
        const src = ((b * h + yy) * w + xx) * kk * cout;
        for (let q = 0; q < kk; q++) {
          const dst = ((b * h * k + yy * k + Math.floor(q / k)) * W + xx * k + (q % k)) * cout;
          for (let c = 0; c < cout; c++) y[dst + c] = prod[src + q * cout + c]! + bias[c]!;
        }
      }
  return { y, wm, k };
}

export function convTransposeBack(
  p: Params,
  grads: Params,
  name: string,
  saved: { wm: Float32Array; k: number },
  x: Float32Array,
  dy: Float32Array,
  batch: number,
  h: number,
  w: number,
  cin: number,
  needInput = true,
): Float32Array | null {
  const cout = p.get(`${name}.bias`)!.length;
  const { k, wm } = saved;
  const kk = k * k;
  const n = batch * h * w;
  const W = w * k;
  const dprod = new Float32Array(n * kk * cout);
  for (let b = 0; b < batch; b++)
    for (let yy = 0; yy < h; yy++)
      for (let xx = 0; xx < w; xx++) {
        const dst = ((b * h + yy) * w + xx) * kk * cout;
        for (let q = 0; q < kk; q++) {
          const src = ((b * h * k + yy * k + Math.floor(q / k)) * W + xx * k + (q % k)) * cout;
          for (let c = 0; c < cout; c++) dprod[dst + q * cout + c] = dy[src + c]!;
        }
      }
  const dwm = matmul(x, [n, cin], dprod, [n, kk * cout], { ta: true });
  const dw = new Float32Array(dwm.length);
  for (let ci = 0; ci < cin; ci++)
    for (let co = 0; co < cout; co++)
      for (let q = 0; q < kk; q++) dw[(ci * cout + co) * kk + q] = dwm[ci * kk * cout + q * cout + co]!;
  addInto(grads, `${name}.weight`, dw);
  addInto(grads, `${name}.bias`, colSums(dy, dy.length / cout, cout));
  return needInput ? matmul(dprod, [n, kk * cout], wm, [cin, kk * cout], { tb: true }) : null;
}
