// transformers.js set-up and the helpers every transformers.js backend shares (SAM, CLIPSeg, DETR, CLIP).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { env, RawImage as HfImage } from '@huggingface/transformers';
import { ModelCorruptError, ModelMissingError, ModelUnsupportedError, type RawImage } from '@segkit/core';

// SegKit downloads models itself; transformers.js only ever reads local directories.
env.allowRemoteModels = false;
env.allowLocalModels = true;

/** Wraps a SegKit image as a transformers.js image, sharing its pixels. */
export function toHfImage(image: RawImage): HfImage {
  return new HfImage(
    new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length),
    image.width,
    image.height,
    image.channels,
  );
}

interface ModelConfig {
  model_type?: string;
  id2label?: Record<string, string>;
}

/**
 * Reads a model directory's config.json and checks that its `model_type` is one of `accepted`
 * (`E_MODEL_CORRUPT` when it cannot be read, `E_MODEL_UNSUPPORTED` naming `purpose` otherwise).
 */
export function readModelConfig<T extends string>(
  dir: string,
  accepted: readonly T[],
  purpose: string,
): ModelConfig & { model_type: T } {
  let config: ModelConfig;
  try {
    config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as ModelConfig;
  } catch (e) {
    throw new ModelCorruptError(`${dir}/config.json cannot be read: ${(e as Error).message}`);
  }
  if (config.model_type === undefined)
    throw new ModelUnsupportedError(
      `${dir}/config.json has no model_type, so it is not a model in the transformers.js layout; ${purpose}`,
    );
  if (!accepted.includes(config.model_type as T))
    throw new ModelUnsupportedError(`${dir} is a ${JSON.stringify(config.model_type)} model; ${purpose}`);
  return config as ModelConfig & { model_type: T };
}

export function timeRuns(session: { run: (...a: unknown[]) => Promise<unknown> }, add: (ms: number) => void) {
  const run = session.run.bind(session);
  session.run = async (...args: unknown[]) => {
    const t0 = performance.now();
    try {
      return await run(...args);
    } finally {
      add(performance.now() - t0);
    }
  };
}

export function loadError(e: unknown, dir: string): Error {
  const msg = e instanceof Error ? e.message : String(e);
  if (/could not locate file|ENOENT|no such file|not found locally/i.test(msg)) {
    const file = /"([^"]+\.onnx)"/.exec(msg)?.[1];
    const onnx = join(dir, 'onnx');
    const has = existsSync(onnx) ? readdirSync(onnx).filter((f) => f.endsWith('.onnx')) : [];
    return new ModelMissingError(
      file
        ? `${dir} lacks ${relative(dir, file)} (the weights of the dtype asked for); its onnx/ has ${has.join(', ') || 'nothing'}`
        : `${dir} is missing a model file: ${msg.split('\n')[0]}`,
    );
  }
  return new ModelCorruptError(`${dir} cannot be loaded (${msg.split('\n')[0]}); pull or import it again`);
}
