// A decoder-training worker thread: it runs the forward and backward passes of its share of each batch with its own
// WebAssembly backend, and keeps the tape (attention matrices in its own heap) between the two messages. The loss and
// the optimiser stay on the main thread (the loss's positive weight is the whole batch's); see parallel.ts.
import { parentPort } from 'node:worker_threads';
import {
  type DecoderGeometry,
  type DecoderInput,
  type DecoderTape,
  decoderBackward,
  decoderForward,
  disposeTape,
} from './decoder.js';
import type { Params } from './layers.js';
import { initMatmul } from './matmul.js';

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
let held: { p: Params; g: DecoderGeometry; tape: DecoderTape } | undefined;

const handle = (m: WorkerRequest): WorkerReply => {
  if (m.op === 'forward') {
    if (held) disposeTape(held.tape);
    held = undefined;
    const p: Params = new Map(m.params);
    const { logits, tape } = decoderForward(p, m.g, m.input, { keep: m.keep });
    if (m.keep) held = { p, g: m.g, tape };
    return { logits };
  }
  if (!held) throw new Error('backward without a forward pass');
  const { p, g, tape } = held;
  held = undefined;
  return { grads: [...decoderBackward(p, g, tape, m.dLogits)] };
};

port.on('message', async (m: WorkerRequest) => {
  await ready;
  let reply: WorkerReply;
  try {
    reply = handle(m);
  } catch (e) {
    reply = { error: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply);
});
