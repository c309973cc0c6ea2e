// Matrix products for decoder training. Products of a million multiply-adds or more run on TensorFlow.js's
// WebAssembly backend (XNNPACK with SIMD); smaller ones, where its per-call cost dominates, in a JavaScript kernel
// (row-major, i-k-j order, four rows at a time). Never tfjs-node, which downloads a binary at install.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

let ready: Promise<void> | undefined;
let wasm = false;

/** Starts the WebAssembly backend once (its .wasm files ship inside the npm package). */
export function initMatmul(): Promise<void> {
  ready ??= (async () => {
    const file = createRequire(import.meta.url).resolve(
      '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm',
    );
    setWasmPaths(`${dirname(file)}/`);
    // The Emscripten module installs process-wide handlers that rethrow (printing its whole source); errors are
    // SegKit's to report, so they are removed again.
    const before = new Set([
      ...process.listeners('uncaughtException'),
      ...process.listeners('unhandledRejection'),
    ]);
    wasm = await tf.setBackend('wasm');
    await tf.ready();
    for (const l of process.listeners('uncaughtException'))
      if (!before.has(l)) process.removeListener('uncaughtException', l);
    for (const l of process.listeners('unhandledRejection'))
      if (!before.has(l)) process.removeListener('unhandledRejection', l);
  })();
  return ready;
}

/** The transpose of a rows×cols block of `x` read from `off`, in 32×32 tiles (column writes stay in cache). */
export function transpose(x: Float32Array, rows: number, cols: number, off = 0): Float32Array {
  const out = new Float32Array(rows * cols);
  const T = 32;
  for (let r0 = 0; r0 < rows; r0 += T)
    for (let c0 = 0; c0 < cols; c0 += T) {
      const r1 = Math.min(rows, r0 + T);
      const c1 = Math.min(cols, c0 + T);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) out[c * rows + r] = x[off + r * cols + c]!;
    }
  return out;
}

/** out[m×n] += a[m×k]·b[k×n], row-major, read from offsets; four rows at a time, so each b load serves four. */
function kernel(
  a: Float32Array,
  ao: number,
  b: Float32Array,
  bo: number,
  out: Float32Array,
  oo: number,
  m: number,
  k: number,
  n: number,
) {
  let i = 0;
  for (; i + 3 < m; i += 4) {
    const r0 = oo + i * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    const a0 = ao + i * k;
    for (let p = 0; p < k; p++) {
      const x0 = a[a0 + p]!;
      const x1 = a[a0 + k + p]!;
      const x2 = a[a0 + 2 * k + p]!;
      const x3 = a[a0 + 3 * k + p]!;
      const br = bo + p * n;
      for (let j = 0; j < n; j++) {
        const v = b[br + j]!;
        out[r0 + j]! += x0 * v;
        out[r1 + j]! += x1 * v;
        out[r2 + j]! += x2 * v;
        out[r3 + j]! += x3 * v;
      }
    }
  }
  for (; i < m; i++) {
    const row = oo + i * n;
    for (let p = 0; p < k; p++) {
      const x = a[ao + i * k + p]!;
      const br = bo + p * n;
      for (let j = 0; j < n; j++) out[row + j]! += x * b[br + j]!;
    }
  }
}

/** The product on the WebAssembly backend: operands transposed here first (its transposed kernels are slow). */
function wasmProduct(
  a: Float32Array,
  aShape: [number, number],
  b: Float32Array,
  bShape: [number, number],
  m: number,
  k: number,
  n: number,
  batch: number,
  opts: { ta?: boolean; tb?: boolean },
): Float32Array {
  const as = aShape[0] * aShape[1];
  const bs = bShape[0] * bShape[1];
  let A = a;
  let B = b;
  if (opts.ta) {
    A = new Float32Array(batch * as);
    for (let s = 0; s < batch; s++) A.set(transpose(a, aShape[0], aShape[1], s * as), s * as);
  }
  if (opts.tb) {
    B = new Float32Array(batch * bs);
    for (let s = 0; s < batch; s++) B.set(transpose(b, bShape[0], bShape[1], s * bs), s * bs);
  }
  // Not inside tf.tidy: tidy walks a returned typed array element by element.
  const ta = tf.tensor3d(A.subarray(0, batch * as), [batch, m, k]);
  const tb = tf.tensor3d(B.subarray(0, batch * bs), [batch, k, n]);
  const tc = tf.matMul(ta, tb);
  const out = tc.dataSync() as Float32Array;
  ta.dispose();
  tb.dispose();
  tc.dispose();
  return out;
}

/**
 * C = op(A)·op(B) for row-major A and B, batched over `batch` (A holds batch×rows×cols, and so on). `ta`/`tb`
 * transpose the last two axes. Returns a new array of batch×m×n.
 */
export function matmul(
  a: Float32Array,
  aShape: [number, number],
  b: Float32Array,
  bShape: [number, number],
  opts: { ta?: boolean; tb?: boolean; batch?: number } = {},
): Float32Array {
  const batch = opts.batch ?? 1;
  const [m, k] = opts.ta ? [aShape[1], aShape[0]] : aShape;
  const n = opts.tb ? bShape[0] : bShape[1];
  if ((opts.tb ? bShape[1] : bShape[0]) !== k)
    throw new Error(`matmul: inner sizes ${k} and ${opts.tb ? bShape[1] : bShape[0]} differ`);
  if (wasm && m * k * n >= 1 << 20) return wasmProduct(a, aShape, b, bShape, m, k, n, batch, opts);
  const out = new Float32Array(batch * m * n);
  const as = aShape[0] * aShape[1];
  const bs = bShape[0] * bShape[1];
  for (let s = 0; s < batch; s++) {
    const A = opts.ta ? transpose(a, aShape[0], aShape[1], s * as) : a;
    const B = opts.tb ? transpose(b, bShape[0], bShape[1], s * bs) : b;
    kernel(A, opts.ta ? 0 : s * as, B, opts.tb ? 0 : s * bs, out, s * m * n, m, k, n);
  }
  return out;
}
