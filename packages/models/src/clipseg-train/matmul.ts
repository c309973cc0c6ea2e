// Matrix products for decoder training, on TensorFlow.js's WebAssembly backend (XNNPACK with SIMD: about 8 GFLOP/s
// on one core here, against 0.6 for its pure-JavaScript backend). Only products go through it; the rest of the
// forward and backward passes are loops over Float32Arrays (decoder.ts). Never tfjs-node, which downloads a binary.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

let ready: Promise<void> | undefined;

/** Starts the WebAssembly backend once (its .wasm files ship inside the npm package). */
export function initMatmul(): Promise<void> {
  ready ??= (async () => {
    const wasm = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
    setWasmPaths(`${dirname(wasm)}/`);
    if (!(await tf.setBackend('wasm'))) throw new Error('the TensorFlow.js WebAssembly backend did not start');
    await tf.ready();
  })();
  return ready;
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
  return tf.tidy(() => {
    const A = tf.tensor3d(a, [batch, aShape[0], aShape[1]]);
    const B = tf.tensor3d(b, [batch, bShape[0], bShape[1]]);
    return tf.matMul(A, B, opts.ta ?? false, opts.tb ?? false).dataSync() as Float32Array;
  });
}
