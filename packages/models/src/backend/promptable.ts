// The one interface the Segmenter drives, whichever layout a SAM model comes in.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RawImage } from '@segkit/core';
import type { DecoderLayout } from '../decoder-feeds.js';
import type { Dtype } from '../types.js';
import type { PromptSupport } from './sam-decoders.js';
import { SamPairBackend } from './sam-pair.js';
import { findPairFiles, type PairFileNames } from './sam-pair-files.js';
import { type DecoderPrompt, SamBackend, type SamDecoded, type SamEmbedding } from './transformers.js';

/** One decoder graph on disk: its layout and the prompt parts its inputs take. */
export interface DecoderFile {
  path: string;
  layout: DecoderLayout;
  points: boolean;
  boxes: boolean;
}

/** A loaded SAM or SAM 2 model: transformers.js layout, Meta's official decoder pair, or the SAM 2 pair. */
export interface PromptableBackend {
  readonly family: 'sam' | 'sam2';
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

/** A folder in the transformers.js layout: config.json and onnx/vision_encoder*.onnx. */
export const isTransformersLayout = (dir: string) =>
  existsSync(join(dir, 'config.json')) && existsSync(join(dir, 'onnx'));

/**
 * Opens a SAM model folder in whichever layout it has. Naming an encoder or decoder file, or a folder that is not in
 * the transformers.js layout, means an encoder + decoder pair (see {@link findPairFiles}).
 */
export async function loadPromptable(
  dir: string,
  dtype: Dtype,
  label: string,
  names: PairFileNames = {},
): Promise<PromptableBackend> {
  if (!names.encoderFile && !names.decoderFile && isTransformersLayout(dir))
    return SamBackend.load(dir, dtype, label);
  return SamPairBackend.load(findPairFiles(dir, names, label), label);
}
