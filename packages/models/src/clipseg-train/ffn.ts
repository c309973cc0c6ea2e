// A decoder layer's MLP (fc1, ReLU, fc2), forward and backward, kept in the WebAssembly heap: its hidden activations
// (tokens × 2048 per sample at full size) never cross into JavaScript, which would cost more than the products.
import * as tf from '@tensorflow/tfjs-core';
import { addInto, type Params } from './layers.js';
import { transpose } from './matmul.js';

export interface FfnSaved {
  x: tf.Tensor2D;
  h: tf.Tensor2D;
}

export function disposeFfn(s: FfnSaved): void {
  s.x.dispose();
  s.h.dispose();
}

/** y = relu(x·W1 + b1)·W2 + b2, with W1 [dim, hidden] and W2 [hidden, dim] (the MatMul layout). */
export function feedForward(
  p: Params,
  name: string,
  x: Float32Array,
  rows: number,
  dim: number,
): { y: Float32Array; saved: FfnSaved } {
  const b1 = p.get(`${name}.fc1.bias`)!;
  const hidden = b1.length;
  const X = tf.tensor2d(x, [rows, dim]);
  // One fused kernel for the product, the bias and the ReLU: the hidden activations are written once.
  const H = tf.tidy(() =>
    tf.fused.matMul({
      a: X,
      b: tf.tensor2d(p.get(`${name}.fc1.weight`)!, [dim, hidden]),
      bias: tf.tensor1d(b1),
      activation: 'relu',
    }),
  ) as tf.Tensor2D;
  const Y = tf.tidy(() =>
    tf.add(
      tf.matMul(H, tf.tensor2d(p.get(`${name}.fc2.weight`)!, [hidden, dim])),
      tf.tensor1d(p.get(`${name}.fc2.bias`)!),
    ),
  );
  const y = Y.dataSync() as Float32Array;
  Y.dispose();
  return { y, saved: { x: X, h: H } };
}

/** The input's gradient; the four parameters' gradients are added into `grads`. Frees the saved tensors. */
export function feedForwardBack(
  p: Params,
  grads: Params,
  name: string,
  saved: FfnSaved,
  dy: Float32Array,
  rows: number,
  dim: number,
): Float32Array {
  const w1 = p.get(`${name}.fc1.weight`)!;
  const w2 = p.get(`${name}.fc2.weight`)!;
  const hidden = w1.length / dim;
  const out = tf.tidy(() => {
    const dY = tf.tensor2d(dy, [rows, dim]);
    // dW2 = hᵀ·dY, computed as (dYᵀ·h)ᵀ so that only the small dY is transposed in the heap.
    const dW2T = tf.matMul(tf.transpose(dY), saved.h);
    const db2 = tf.sum(dY, 0);
    const dH = tf.mul(
      tf.matMul(dY, tf.tensor2d(transpose(w2, hidden, dim), [dim, hidden])),
      tf.step(saved.h),
    );
    const dW1 = tf.matMul(tf.transpose(saved.x), dH);
    const db1 = tf.sum(dH, 0);
    const dX = tf.matMul(dH, tf.tensor2d(transpose(w1, dim, hidden), [hidden, dim]));
    return [dW1, db1, dW2T, db2, dX];
  });
  const [dW1, db1, dW2T, db2, dX] = out.map((t) => {
    const d = t.dataSync() as Float32Array;
    t.dispose();
    return d;
  }) as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  addInto(grads, `${name}.fc1.weight`, dW1);
  addInto(grads, `${name}.fc1.bias`, db1);
  addInto(grads, `${name}.fc2.weight`, transpose(dW2T, dim, hidden));
  addInto(grads, `${name}.fc2.bias`, db2);
  disposeFfn(saved);
  return dX;
}
