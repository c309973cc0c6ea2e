// The messages between the page and the decoder worker. The worker holds the ONNX sessions and the current image
// embedding; the page sends prompts and gets full-size masks back (their pixels transferred, not copied).
import type { BrowserPrompt, DecoderLayout, EmbeddingTensors } from '@segkit/models/browser';

/** Where the decoder runs: WebGPU when the browser has an adapter, else WebAssembly (with threads when isolated). */
export interface Backend {
  name: 'webgpu' | 'wasm';
  threads: number;
  /** Why WebGPU is not used, when it is not. */
  note: string;
}

/** Which backend a person asked for (Settings, kept in this browser): auto picks WebGPU on a hardware adapter. */
export type BackendChoice = 'auto' | 'webgpu' | 'wasm';

export type Request =
  | {
      kind: 'init';
      graphs: GraphBytes[];
      want: BackendChoice;
    }
  | { kind: 'embedding'; key: number; emb: EmbeddingTensors }
  | { kind: 'decode'; key: number; graph: number; prompt: BrowserPrompt };

export interface DecodedOut {
  candidates: { width: number; height: number; data: Uint8Array; score: number }[];
  inputs: Record<string, number[]>;
  outputs: Record<string, number[]>;
  /** The model run alone, in ms (the rest of a click is feeds, post-processing and drawing). */
  runMs: number;
}

export type Reply =
  | { id: number; ok: true; value: Backend | DecodedOut | null }
  | { id: number; ok: false; message: string };

/** One decoder graph's bytes and its external-data side files (named as the graph refers to them). */
export interface GraphBytes {
  index: number;
  layout: DecoderLayout;
  bytes: ArrayBuffer;
  data: { name: string; bytes: ArrayBuffer }[];
}
