// Opens whichever layout a promptable model comes in, behind the one interface the Segmenter drives.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ModelUnsupportedError } from '@segkit/core';
import type { Dtype } from '../types.js';
import type { PromptableBackend } from './promptable-types.js';
import { SamBackend } from './sam.js';
import { SamPairBackend } from './sam-pair.js';
import { findPairFiles, type PairFileNames } from './sam-pair-files.js';
import { sam3FilesIn } from './sam3-contract.js';

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
  const concept = sam3FilesIn(dir);
  if (concept)
    throw new ModelUnsupportedError(
      `${label} is a SAM 3 concept model (${concept.layout}: text and exemplar boxes → every instance), not a click model; use it with \`segkit find --model\` and use sam3-tracker for clicks and boxes`,
    );
  return SamPairBackend.load(findPairFiles(dir, names, label), label);
}
