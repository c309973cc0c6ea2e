import { resolveModelRef } from './model-ref.js';
import { requireModel } from './store.js';
import type { Dtype } from './types.js';

const loaded = new Map<string, Promise<unknown>>();

/**
 * Resolves a model reference, checks it is available (`E_MODEL_MISSING` / `E_MODEL_CORRUPT` otherwise), and loads it
 * once per directory and dtype; concurrent callers share the load, and a failed load is forgotten.
 */
export function cachedBackend<T>(
  kind: string,
  ref: string,
  load: (dir: string, dtype: Dtype) => Promise<T>,
  dtype?: Dtype,
): Promise<T> {
  const model = resolveModelRef(ref, dtype ? { dtype } : {});
  const dir = requireModel(model);
  const key = `${kind}|${dir}|${model.dtype}`;
  let b = loaded.get(key) as Promise<T> | undefined;
  if (!b) {
    b = load(dir, model.dtype);
    loaded.set(key, b);
    b.catch(() => loaded.delete(key));
  }
  return b;
}
