// The types every promptable backend (SAM, SAM 2, the pairs, the SAM 3 tracker) shares; each backend imports these
// and nothing imports a backend but the loader in promptable.ts, so the arrows run one way.
import type { Tensor } from '@huggingface/transformers';
import type { RawImage } from '@segkit/core';
import type { DecoderLayout } from '../decoder-feeds.js';
import type { PromptSupport } from './sam-decoders.js';

/** Tensors that stand for one encoded image, plus the geometry needed to map prompts and masks. */
export interface SamEmbedding {
  tensors: Record<string, Tensor>;
  /** [height, width] of the original image. */
  originalSize: [number, number];
  /** [height, width] of the image after the processor's resize (before padding). */
  reshapedSize: [number, number];
  /** [height, width] of the frame the low-res masks cover (the padded input). */
  frameSize: [number, number];
  bytes: number;
}

/** The raw decoder output for one prompt. */
export interface SamDecoded {
  /** Predicted IoU per candidate. */
  scores: Float32Array;
  /** Candidate mask logits, [candidates, lowH, lowW] in the frame. */
  logits: Float32Array;
  candidates: number;
  lowSize: [number, number];
}

/** Prompt geometry in original-image pixels, ready for the decoder. */
export interface DecoderPrompt {
  points: [number, number][];
  labels: number[];
  /** [x0, y0, x1, y1] */
  box?: [number, number, number, number];
}

/** One decoder graph on disk: its layout and the prompt parts its inputs take. */
export interface DecoderFile {
  path: string;
  layout: DecoderLayout;
  points: boolean;
  boxes: boolean;
  /** The side files holding its weights (`<file>_data`, `<file>.data`), which a client must load with it. */
  externalData: string[];
}

/** A loaded promptable model: transformers.js layout (SAM, SAM 2, SAM 3 tracker) or an encoder + decoder pair. */
export interface PromptableBackend {
  readonly family: 'sam' | 'sam2' | 'sam3-tracker';
  /** The prompt parts its decoder graphs take. */
  readonly accepts: PromptSupport;
  /** Candidates per prompt: 3, or 1 for single-mask exports. */
  readonly candidates: number;
  /** The decoder graph files, for a client that runs the decoder itself (the browser app). */
  readonly decoders: DecoderFile[];
  encoderRunMs: number;
  decoderRunMs: number;
  /**
   * What determines its image encodings: the files (the embedding cache stamps each by size and time) and the
   * pre-processing settings. Replacing any of them gives new cache keys, so stale embeddings are never served.
   */
  readonly encoding: { files: string[]; settings: string };
  /** Throws E_PROMPT_UNSUPPORTED, before any encoder run, for a prompt no decoder graph takes. */
  checkPrompt(prompt: DecoderPrompt): void;
  encode(image: RawImage): Promise<SamEmbedding>;
  decode(emb: SamEmbedding, prompt: DecoderPrompt): Promise<SamDecoded>;
  decodeBatch(emb: SamEmbedding, points: [number, number][]): Promise<SamDecoded & { prompts: number }>;
}
