// Decoder training on several threads: a batch cut into shards, forward and backward on worker threads, the loss on
// the whole batch, gradients summed, must give the single-thread step's loss and gradients; and a worker's failure is
// a clear error, never a hang.
import { seededRandom } from '@segkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DecoderGeometry,
  type DecoderInput,
  decoderBackward,
  decoderForward,
} from '../src/clipseg-train/decoder.js';
import { segLoss } from '../src/clipseg-train/loss.js';
import { initMatmul } from '../src/clipseg-train/matmul.js';
import { DecoderPool } from '../src/clipseg-train/parallel.js';
import { randomDecoder } from './helpers/random-decoder.js';

const g: DecoderGeometry = {
  depth: 2,
  reduceDim: 16,
  heads: 2,
  width: 32,
  condDim: 24,
  grid: 6,
  conditionalLayer: 0,
  complex: true,
  eps: 1e-5,
};
const params = randomDecoder(g, 3);
const t = g.grid * g.grid + 1;
const side = g.grid * 16;
const batch = 5;
const r = seededRandom(4);
const hidden = Array.from({ length: g.depth }, () =>
  Float32Array.from({ length: batch * t * g.width }, () => r() * 2 - 1),
);
const cond = Float32Array.from({ length: batch * g.condDim }, () => r() * 2 - 1);
const target = Uint8Array.from({ length: batch * side * side }, (_, i) => (i % side < 30 + (i % 7) ? 1 : 0));

/** The batch's samples [b0, b1) with arrays of their own, as the trainer stacks a shard. */
function shard(b0: number, b1: number): DecoderInput {
  return {
    hidden: hidden.map((h) => h.slice(b0 * t * g.width, b1 * t * g.width)),
    cond: cond.slice(b0 * g.condDim, b1 * g.condDim),
    batch: b1 - b0,
  };
}

/**
 * The largest difference relative to the tensor's largest entry; with a floor of 1e-8 for tensors whose gradient is
 * 0 in exact arithmetic (the key bias: softmax ignores a shift shared by a row), where both are rounding noise.
 */
function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let scale = 1e-8;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]!));
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  }
  return diff / scale;
}

describe('decoder training on worker threads', () => {
  let single: { logits: Float32Array; loss: number; grads: Map<string, Float32Array> };
  const pools: DecoderPool[] = [];
  beforeAll(async () => {
    await initMatmul();
    const { logits, tape } = decoderForward(params, g, shard(0, batch), { keep: true });
    const value = segLoss(logits, target, batch);
    single = { logits, loss: value.loss, grads: decoderBackward(params, g, tape, value.grad) };
  });
  afterAll(async () => {
    for (const p of pools) await p.close();
  });

  for (const offload of [false, true])
    it(`a batch cut into 2 shards (${offload ? 'both on workers' : 'one here, one on a worker'}) gives the single-thread loss, gradients and logits`, async () => {
      const pool = DecoderPool.start(2, { offload });
      pools.push(pool);
      expect(pool.threads).toBe(2);
      const shards = [shard(0, 3), shard(3, 5)];
      const { value, grads } = await pool.step(params, g, shards, (l) => segLoss(l, target, batch));
      // A worker's shard gives up its buffers (moved, not copied); this thread's shard keeps them.
      expect(shards[1]!.hidden[0]!.byteLength).toBe(0);
      expect(shards[0]!.hidden[0]!.byteLength).toBe(offload ? 0 : 3 * t * g.width * 4);
      expect(value.loss).toBeCloseTo(single.loss, 5);
      expect([...grads.keys()].sort()).toEqual([...single.grads.keys()].sort());
      for (const [name, d] of single.grads) expect(maxRelDiff(d, grads.get(name)!), name).toBeLessThan(1e-5);
      // The pool is reused: a second step with the same inputs gives the same result.
      const again = await pool.step(params, g, [shard(0, 3), shard(3, 5)], (l) => segLoss(l, target, batch));
      expect(again.value.loss).toBe(value.loss);
      // Inference (validation) shares the batch the same way.
      const logits = await pool.infer(params, g, [shard(0, 2), shard(2, 5)]);
      expect(maxRelDiff(single.logits, logits)).toBeLessThan(1e-6);
    });

  it("a worker's failure rejects the step with E_INTERNAL and the pool goes on; a closed pool refuses at once", async () => {
    const pool = DecoderPool.start(2);
    pools.push(pool);
    const bad = shard(3, 5);
    bad.hidden = bad.hidden.slice(0, 1); // a layer's hidden states missing
    await expect(
      pool.step(params, g, [shard(0, 3), bad], (l) => segLoss(l, target, batch)),
    ).rejects.toMatchObject({
      code: 'E_INTERNAL',
      message: expect.stringMatching(/^Decoder training failed in a worker thread: /),
    });
    const ok = await pool.step(params, g, [shard(0, 3), shard(3, 5)], (l) => segLoss(l, target, batch));
    expect(ok.value.loss).toBeCloseTo(single.loss, 5);
    // Steps are awaited one after another; a second one while the first runs is refused, not mixed with it.
    const first = pool.step(params, g, [shard(0, 3), shard(3, 5)], (l) => segLoss(l, target, batch));
    await expect(
      pool.step(params, g, [shard(0, 3), shard(3, 5)], (l) => segLoss(l, target, batch)),
    ).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT', message: expect.stringMatching(/still busy/) });
    expect((await first).value.loss).toBeCloseTo(single.loss, 5);
    await pool.close();
    await expect(
      pool.step(params, g, [shard(0, 3), shard(3, 5)], (l) => segLoss(l, target, batch)),
    ).rejects.toMatchObject({
      code: 'E_INTERNAL',
      message: 'The decoder-training threads were closed',
    });
    await expect(
      pool.step(params, g, [shard(0, 1), shard(1, 2), shard(2, 3)], (l) => segLoss(l, target, 3)),
    ).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    expect(() => DecoderPool.start(0)).toThrow(/^Expected a thread count from 1 to 64, got 0$/);
  });
});
