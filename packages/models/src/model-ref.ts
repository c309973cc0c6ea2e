import { existsSync, readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ModelMissingError, ModelUnknownError } from '@segkit/core';
import { importedDir, snapshotDir } from './cache-dir.js';
import { findPreset, PRESETS } from './presets.js';
import type { Dtype, ResolvedModel } from './types.js';

const REPO_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;
const IMPORT_NAME = /^[A-Za-z0-9][\w.-]*$/;

/** Checks a name given to `segkit models import --as`. */
export function isValidImportName(name: string): boolean {
  return IMPORT_NAME.test(name) && !findPreset(name);
}

/**
 * Resolves what a user typed for `--model`: a directory in hub layout, a preset name, an imported name,
 * or a hub repo id `org/name` (optionally `@revision`). Nothing is read from the network.
 * @example resolveModelRef('sam').repo // 'Xenova/slimsam-77-uniform'
 */
export function resolveModelRef(ref: string, opts: { dtype?: Dtype } = {}): ResolvedModel {
  if (typeof ref !== 'string' || ref.trim() === '')
    throw new ModelUnknownError('Expected a model name, repo id or directory');
  const asPath = resolve(ref);
  if (existsSync(asPath) && statSync(asPath).isDirectory()) {
    const hasOnnx = readdirSync(asPath).some((f) => f.endsWith('.onnx'));
    if (!existsSync(resolve(asPath, 'config.json')) && !hasOnnx) {
      throw new ModelMissingError(
        `${ref} is a directory with neither a config.json (hub layout) nor .onnx files (an encoder and decoder pair)`,
      );
    }
    return { ref, kind: 'dir', name: ref, dtype: opts.dtype ?? 'fp32', dir: asPath };
  }
  const preset = findPreset(ref);
  if (preset) {
    return {
      ref,
      kind: 'preset',
      name: preset.name,
      repo: preset.repo,
      revision: preset.revision,
      dtype: opts.dtype ?? preset.dtype,
      dir: snapshotDir(preset.repo, preset.revision),
      preset,
    };
  }
  if (IMPORT_NAME.test(ref) && existsSync(importedDir(ref))) {
    return { ref, kind: 'imported', name: ref, dtype: opts.dtype ?? 'fp32', dir: importedDir(ref) };
  }
  const [repo, revision = 'main'] = ref.split('@') as [string, string?];
  if (REPO_ID.test(repo) && /^[\w./-]+$/.test(revision) && !ref.startsWith('.') && !ref.startsWith('/')) {
    return {
      ref,
      kind: 'repo',
      name: repo,
      repo,
      revision,
      dtype: opts.dtype ?? 'fp32',
      dir: snapshotDir(repo, revision),
    };
  }
  if (ref.startsWith('.') || ref.startsWith('/') || ref.includes('\\')) {
    throw new ModelMissingError(`Model directory not found: ${ref}`);
  }
  throw new ModelUnknownError(
    `Unknown model ${JSON.stringify(ref)}: not a preset (${PRESETS.map((p) => p.name).join(', ')}), an imported model, a directory or an org/name repo id`,
  );
}
