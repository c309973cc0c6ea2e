// A classifier head on disk: head.json (labels in order, the embedding model and dimension, crop and training
// settings, metrics) and its weights as numpy-loadable .npy files. The backbone and the label map always travel
// together: a head is refused with any other embedding model or dimension.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { HeadInvalidError, HeadMismatchError, writeFileAtomic } from '@segkit/core';
import { encodeNpy, readNpy } from '../npy.js';
import type { CropSettings, EmbedModelId } from './crops.js';
import type { EpochMetrics, SoftmaxModel } from './softmax.js';

export const HEAD_FORMAT = 1;

export interface HeadInfo {
  format: number;
  kind: 'softmax';
  labels: string[];
  embedModel: EmbedModelId;
  dim: number;
  crop: CropSettings;
  training: {
    c: number;
    balanced: boolean;
    epochs: number;
    bestEpoch: number;
    seed: number;
    samples: { train: number; val: number };
    /** Logits are divided by it before the softmax (fitted on the validation split; 1 without one). */
    temperature: number;
  };
  metrics: { valAccuracy: number | null; valMacroF1: number | null; history: EpochMetrics[] };
  createdAt: string;
}

export interface Head {
  info: HeadInfo;
  model: SoftmaxModel;
}

/** Writes a head folder (head.json, weights.npy [classes, dim], bias.npy [classes]) atomically. */
export async function writeHead(dir: string, head: Head): Promise<void> {
  const target = resolve(dir);
  const tmp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await writeFileAtomic(
    join(tmp, 'weights.npy'),
    encodeNpy(head.model.weights, [head.model.classes, head.model.dim]),
  );
  await writeFileAtomic(join(tmp, 'bias.npy'), encodeNpy(head.model.bias, [head.model.classes]));
  await writeFileAtomic(join(tmp, 'head.json'), `${JSON.stringify(head.info, null, 2)}\n`);
  rmSync(target, { recursive: true, force: true });
  renameSync(tmp, target);
}

/** Refuses, with E_HEAD_MISMATCH naming both, a head used with another embedding model or dimension. */
export function checkHead(
  info: HeadInfo,
  dir: string,
  expect: { embedModel?: EmbedModelId; dim?: number },
): void {
  if (expect.embedModel && expect.embedModel.id !== info.embedModel?.id)
    throw new HeadMismatchError(
      `${dir} was trained on ${info.embedModel?.ref} (${info.embedModel?.id}) embeddings, not ${expect.embedModel.ref} (${expect.embedModel.id}); use --embed-model ${info.embedModel?.ref} or train a head for this model`,
    );
  if (expect.dim !== undefined && expect.dim !== info.dim)
    throw new HeadMismatchError(`${dir} takes ${info.dim}-d embeddings, not ${expect.dim}-d ones`);
}

/**
 * Reads a head folder. With `embedModel` (and the dimension of its vectors), a head trained on another model or
 * dimension is refused with E_HEAD_MISMATCH naming both.
 */
export async function loadHead(
  dir: string,
  expect: { embedModel?: EmbedModelId; dim?: number } = {},
): Promise<Head> {
  const file = join(dir, 'head.json');
  if (!existsSync(file))
    throw new HeadInvalidError(`${dir} has no head.json: not a head folder written by segkit classify train`);
  let info: HeadInfo;
  try {
    info = JSON.parse(readFileSync(file, 'utf8')) as HeadInfo;
  } catch (e) {
    throw new HeadInvalidError(`${file} is not JSON: ${(e as Error).message}`);
  }
  if (info.format !== HEAD_FORMAT || info.kind !== 'softmax' || !Array.isArray(info.labels))
    throw new HeadInvalidError(
      `${file} is a head of format ${JSON.stringify(info.format)}; this SegKit reads format ${HEAD_FORMAT}`,
    );
  checkHead(info, dir, expect);
  const weights = await readNpy(join(dir, 'weights.npy')).catch(() => undefined);
  const bias = await readNpy(join(dir, 'bias.npy')).catch(() => undefined);
  const c = info.labels.length;
  if (!weights || !bias || weights.shape.join() !== `${c},${info.dim}` || bias.shape.join() !== `${c}`)
    throw new HeadInvalidError(
      `${dir}: weights.npy and bias.npy must be [${c}, ${info.dim}] and [${c}] float32`,
    );
  return { info, model: { classes: c, dim: info.dim, weights: weights.data, bias: bias.data } };
}
