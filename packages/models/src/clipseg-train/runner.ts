// One shard's runner in decoder training: a forward pass that keeps its tape, then the backward pass that uses it.
import {
  type DecoderGeometry,
  type DecoderInput,
  type DecoderTape,
  decoderBackward,
  decoderForward,
  disposeTape,
} from './decoder.js';
import type { Params } from './layers.js';

/** Runs one shard's forward pass, keeps its tape, then its backward pass. */
export interface Runner {
  /** With `keep`, the tape stays for {@link backward}; without, the pass frees what it held. */
  forward(params: Params, g: DecoderGeometry, input: DecoderInput, keep: boolean): Promise<Float32Array>;
  backward(dLogits: Float32Array): Promise<Params>;
  /** Frees a kept tape whose backward pass will not run. */
  drop(): void;
}

/** Runs on the calling thread (this one, or a worker's): its calls compute synchronously, before they return. */
export class LocalRunner implements Runner {
  private held: { p: Params; g: DecoderGeometry; tape: DecoderTape } | undefined;
  async forward(p: Params, g: DecoderGeometry, input: DecoderInput, keep: boolean): Promise<Float32Array> {
    this.drop();
    const { logits, tape } = decoderForward(p, g, input, { keep });
    if (keep) this.held = { p, g, tape };
    return logits;
  }
  async backward(dLogits: Float32Array): Promise<Params> {
    if (!this.held) throw new Error('a backward pass without a forward pass');
    const { p, g, tape } = this.held;
    this.held = undefined;
    return decoderBackward(p, g, tape, dLogits);
  }
  drop(): void {
    if (this.held) disposeTape(this.held.tape);
    this.held = undefined;
  }
}
