// Decoder training on several cores. A batch is cut into contiguous shards: the main thread runs the first (unless
// it offloads), each worker thread (decoder-worker.ts, with its own WebAssembly backend) one more. The forward
// passes run at once; the loss is computed on the whole batch's logits here (its positive weight and means are the
// batch's); the backward passes run at once on each shard's slice of d(loss)/d(logits); and the parameter
// gradients, which are sums over samples, are added. The result equals the single-thread step up to float rounding.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InternalError, InvalidArgumentError } from '@segkit/core';
import type { DecoderGeometry, DecoderInput } from './decoder.js';
import type { WorkerReply, WorkerRequest } from './decoder-worker.js';
import { addInto, type Params } from './layers.js';
import type { LossValue } from './loss.js';
import { LocalRunner, type Runner } from './runner.js';

/** The default thread count: every core, at most 4 (past that a batch of 16 leaves each thread too little). */
export function defaultThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/** Starts the worker script: the built .js, or the .ts source through tsx when running from sources (tests, bench). */
function spawn(): Worker {
  const here = import.meta.url;
  if (here.endsWith('.js')) return new Worker(new URL('./decoder-worker.js', here));
  // tsx's ESM API registers its module hooks in the thread that calls it; its `import` entry, read from the
  // package's export map (a require-resolve would give the CommonJS one).
  const req = createRequire(here);
  const pkg = req.resolve('tsx/package.json');
  const entry = JSON.parse(readFileSync(pkg, 'utf8')).exports['./esm/api'].import.default as string;
  const api = pathToFileURL(join(dirname(pkg), entry)).href;
  const src = new URL('./decoder-worker.ts', here).href;
  return new Worker(
    `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(src)}); });`,
    { eval: true },
  );
}

class WorkerRunner implements Runner {
  private readonly worker = spawn();
  private pending: { resolve: (r: WorkerReply) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor() {
    this.worker.unref();
    this.worker.on('message', (r: WorkerReply) => this.settle((p) => p.resolve(r)));
    this.worker.on('error', (e) => this.stop(e.message));
    this.worker.on('exit', (code) => this.stop(`exit code ${code}`));
  }

  private settle(f: (p: NonNullable<WorkerRunner['pending']>) => void) {
    const p = this.pending;
    this.pending = undefined;
    this.worker.unref();
    if (p) f(p);
  }

  private stop(why: string) {
    this.failure ??= new InternalError(`A decoder-training thread stopped (${why})`);
    this.settle((p) => p.reject(this.failure!));
  }

  /** One request; the worker is referenced while it is busy, so a waiting process does not exit under it. */
  private request(m: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    // One request at a time: a pool's steps are awaited one after another.
    if (this.pending)
      return Promise.reject(
        new InternalError('A decoder-training thread is still busy with the previous step'),
      );
    return new Promise<WorkerReply>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.ref();
      this.worker.postMessage(m, transfer);
    }).then((reply) => {
      if ('error' in reply)
        throw new InternalError(`Decoder training failed in a worker thread: ${reply.error}`);
      return reply;
    });
  }

  async forward(p: Params, g: DecoderGeometry, input: DecoderInput, keep: boolean): Promise<Float32Array> {
    // The shard's hidden states were stacked for it alone: their buffers move to the worker without a copy.
    const transfer = [...new Set(input.hidden.map((h) => h.buffer as ArrayBuffer))];
    const r = await this.request({ op: 'forward', params: [...p], g, input, keep }, transfer);
    return (r as { logits: Float32Array }).logits;
  }

  async backward(dLogits: Float32Array): Promise<Params> {
    const r = await this.request({ op: 'backward', dLogits }, [dLogits.buffer as ArrayBuffer]);
    return new Map((r as { grads: [string, Float32Array][] }).grads);
  }

  drop(): void {
    // The worker frees a stale tape at its next forward pass.
  }

  terminate(): Promise<number> {
    this.failure ??= new InternalError('The decoder-training threads were closed');
    return this.worker.terminate();
  }
}

export interface PoolOptions {
  /**
   * Run every shard on a worker and none on this thread, so that this thread's event loop stays free (the server's
   * jobs). Default false: this thread takes the first shard.
   */
  offload?: boolean;
}

export class DecoderPool {
  private readonly runners: Runner[];
  private busy = false;

  private constructor(
    private readonly workers: WorkerRunner[],
    offload: boolean,
  ) {
    this.runners = offload ? workers : [new LocalRunner(), ...workers];
  }

  /** A pool of `threads` computing threads: with `offload`, that many workers; else this one and threads − 1. */
  static start(threads = defaultThreads(), opts: PoolOptions = {}): DecoderPool {
    if (!Number.isInteger(threads) || threads < 1 || threads > 64)
      throw new InvalidArgumentError(`Expected a thread count from 1 to 64, got ${threads}`);
    const workers = Array.from({ length: opts.offload ? threads : threads - 1 }, () => new WorkerRunner());
    return new DecoderPool(workers, opts.offload === true);
  }

  /** How many shards a batch is cut into at most. */
  get threads(): number {
    return this.runners.length;
  }

  /** Runs one step or inference at a time: each runner holds one shard's tape between its two passes. */
  private async exclusive<T>(f: () => Promise<T>): Promise<T> {
    if (this.busy)
      throw new InvalidArgumentError('The decoder pool is still busy with the previous step: await it first');
    this.busy = true;
    try {
      return await f();
    } finally {
      this.busy = false;
    }
  }

  /** Each shard's forward pass on its runner, workers first (a local call runs at once); logits concatenated. */
  private async forwardAll(
    p: Params,
    g: DecoderGeometry,
    shards: DecoderInput[],
    keep: boolean,
  ): Promise<{ used: Runner[]; order: number[]; logits: Float32Array; slices: [number, number][] }> {
    if (shards.length > this.threads)
      throw new InvalidArgumentError(`${shards.length} shards for ${this.threads} threads`);
    const used = this.runners.slice(0, shards.length);
    const order = used
      .map((_, i) => i)
      .sort((a, b) => Number(used[a] instanceof LocalRunner) - Number(used[b] instanceof LocalRunner));
    const forward: Promise<Float32Array>[] = [];
    for (const i of order) forward[i] = used[i]!.forward(p, g, shards[i]!, keep);
    const settled = await Promise.allSettled(forward);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) {
      for (const r of used) r.drop();
      throw (failed as PromiseRejectedResult).reason;
    }
    const parts = settled.map((r) => (r as PromiseFulfilledResult<Float32Array>).value);
    const logits = new Float32Array(parts.reduce((s, l) => s + l.length, 0));
    const slices: [number, number][] = [];
    let o = 0;
    for (const l of parts) {
      logits.set(l, o);
      slices.push([o, o + l.length]);
      o += l.length;
    }
    return { used, order, logits, slices };
  }

  /**
   * Forward and backward of one batch given as shards (at most `threads`). A shard that goes to a worker gives up
   * its hidden-state buffers. `loss` takes the whole batch's logits, shard after shard, and returns its value with
   * d(loss)/d(logits).
   */
  async step(
    p: Params,
    g: DecoderGeometry,
    shards: DecoderInput[],
    loss: (logits: Float32Array) => LossValue,
  ): Promise<{ value: LossValue; grads: Params }> {
    return this.exclusive(async () => {
      const { used, order, logits, slices } = await this.forwardAll(p, g, shards, true);
      const value = loss(logits);
      const backward: Promise<Params>[] = [];
      for (const i of order) backward[i] = used[i]!.backward(value.grad.slice(...slices[i]!));
      const grads: Params = new Map();
      for (const part of await Promise.all(backward)) for (const [name, d] of part) addInto(grads, name, d);
      return { value, grads };
    });
  }

  /** The logits of a batch given as shards, shard after shard (validation and inference: nothing kept). */
  async infer(p: Params, g: DecoderGeometry, shards: DecoderInput[]): Promise<Float32Array> {
    return this.exclusive(async () => (await this.forwardAll(p, g, shards, false)).logits);
  }

  async close(): Promise<void> {
    for (const r of this.runners) r.drop();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
