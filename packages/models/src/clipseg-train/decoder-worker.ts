// A decoder-training worker thread: it runs the forward and backward passes of its share of each batch with its own
// WebAssembly backend, and keeps the tape (attention matrices in its own heap) between the two messages. The loss and
// the optimiser stay on the main thread (the loss's positive weight is the whole batch's); see parallel.ts.
import { parentPort } from 'node:worker_threads';
import type { DecoderGeometry, DecoderInput } from './decoder.js';
import { initMatmul } from './matmul.js';
import { LocalRunner } from './runner.js';

export type WorkerRequest =
  | {
      op: 'forward';
      params: [string, Float32Array][];
      g: DecoderGeometry;
      input: DecoderInput;
      keep: boolean;
    }
  | { op: 'backward'; dLogits: Float32Array };

export type WorkerReply = { logits: Float32Array } | { grads: [string, Float32Array][] } | { error: string };

const port = parentPort!;
const ready = initMatmul();
const runner = new LocalRunner();

const handle = async (m: WorkerRequest): Promise<WorkerReply> =>
  m.op === 'forward'
    ? { logits: await runner.forward(new Map(m.params), m.g, m.input, m.keep) }
    : { grads: [...(await runner.backward(m.dLogits))] };

port.on('message', async (m: WorkerRequest) => {
  await ready;
  let reply: WorkerReply;
  try {
    reply = await handle(m);
  } catch (e) {
    reply = { error: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply);
});
