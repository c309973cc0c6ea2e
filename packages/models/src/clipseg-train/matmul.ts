// Matrix products for decoder training. Most run in a JavaScript kernel (row-major, i-k-j order, four rows at a
// time: 1.5-3 GFLOP/s per core here). Products with a small result and a long inner axis (the weight gradients, attention's P·V) run on
// TensorFlow.js's WebAssembly backend, XNNPACK with SIMD, which is 4-10× faster there; reading a large result back
// out of its heap costs more than it saves, so large results stay in JavaScript. Never tfjs-node, which downloads a
// binary at install.
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
    const before = new Set([...process.listeners('uncaughtException'), ...process.listeners('unhandledRejection')]);
    wasm = await tf.setBackend('wasm');
    await tf.ready();
    for (const event of ['uncaughtException', 'unhandledRejection'] as const)
      for (const l of process.listeners(event)) if (!before.has(l)) process.removeListener(event, l as () => void);
  })();
  return ready;
}

function transpose(x: Float32Array, rows: number, cols: number, off = 0): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = x[off + r * cols + c]!;
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
  if (wasm && m * n <= 1 << 18 && m * k * n >= 4e6) {
    return tf.tidy(() => {
      const A = tf.tensor3d(a, [batch, aShape[0], aShape[1]]);
      const B = tf.tensor3d(b, [batch, bShape[0], bShape[1]]);
      return tf.matMul(A, B, opts.ta ?? false, opts.tb ?? false).dataSync() as Float32Array;
    });
  }
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
