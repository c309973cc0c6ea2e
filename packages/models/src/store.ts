import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cp, mkdir, rename, rm, unlink } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import {
  InvalidArgumentError,
  ModelCorruptError,
  ModelMissingError,
  ModelUnsupportedError,
  type Progress,
  parseJson,
  silentProgress,
  trackTemp,
  untrackTemp,
  writeFileAtomic,
} from '@segkit/core';
import { findPairFiles } from './backend/sam-pair-files.js';
import { sam3FilesIn } from './backend/sam3-contract.js';
import { cacheRoot, hubUrl, importedDir, isOffline, MANIFEST, snapshotDir } from './cache-dir.js';
import { downloadFile } from './download.js';
import { badFiles, type Manifest, type ModelStatus, readManifest } from './manifest.js';
import { isValidImportName, resolveModelRef } from './model-ref.js';
import {
  boxDecoderFile,
  findPreset,
  OPTIONAL_FILES,
  onnxFiles,
  PAIR_TYPE,
  PRESETS,
  REQUIRED_CONFIGS,
} from './presets.js';
import { pullListed } from './pull-listed.js';
import type { Preset, ResolvedModel } from './types.js';

/** Whether a model can be used now: all files present with the sizes recorded when it was pulled. */
export function modelStatus(model: ResolvedModel): ModelStatus {
  if (model.kind === 'dir') return 'ready';
  const m = readManifest(model.dir);
  if (!m) return 'missing';
  return badFiles(model.dir, m).length ? 'corrupt' : 'ready';
}

/**
 * Whether a model folder is one of SegKit's test fixtures (`npm run fixtures`): its config.json says
 * `"segkit_fixture": true`, or (layouts without a config.json) its README is headed TEST FIXTURE. Their masks follow a
 * simple checkable rule, not a real model, and the app marks them as test-model output.
 */
export function isTestModel(model: ResolvedModel): boolean {
  if (!existsSync(model.dir)) return false;
  try {
    const config = join(model.dir, 'config.json');
    if (existsSync(config)) return JSON.parse(readFileSync(config, 'utf8')).segkit_fixture === true;
    const readme = join(model.dir, 'README.md');
    return existsSync(readme) && /^#[^\n]*TEST FIXTURE/.test(readFileSync(readme, 'utf8'));
  } catch {
    return false;
  }
}

/** The command that makes a model available: `segkit models pull NAME`, or import for an imported name. */
export const pullHint = (model: ResolvedModel) =>
  model.kind === 'imported'
    ? `segkit models import DIR --as ${model.name}`
    : `segkit models pull ${model.preset ? model.name : model.ref}`;

/**
 * Returns the model's directory if it is ready to load, or throws `E_MODEL_MISSING` / `E_MODEL_CORRUPT`
 * with the command that fixes it. Never downloads.
 */
export function requireModel(model: ResolvedModel): string {
  const status = modelStatus(model);
  if (status === 'missing') {
    throw new ModelMissingError(
      `Model ${model.name} is not downloaded. Get it with \`${pullHint(model)}\`${model.kind === 'imported' ? '' : `, or on an air-gapped machine \`segkit models import DIR --as ${model.name}\``}`,
    );
  }
  if (status === 'corrupt') {
    const m = readManifest(model.dir)!;
    throw new ModelCorruptError(
      `Model ${model.name} is damaged (${badFiles(model.dir, m).join(', ')} truncated or changed). Fetch it again with \`${pullHint(model)}\``,
    );
  }
  return model.dir;
}

/** Options for {@link pullModel}. */
export interface PullOptions {
  /** Makes a progress reporter for each file (the CLI draws bars on a TTY). */
  progress?: (file: string) => Progress;
  /** For an encoder + decoder pair: the two files' names in the repo (default: what its config.json names, else
   * `encoder.onnx` and `decoder.onnx`). */
  encoderFile?: string;
  decoderFile?: string;
}

/**
 * Downloads a preset or hub repo into the cache from `SEGKIT_HUB_URL` (`{repo}/resolve/{revision}/{file}`),
 * resuming partial files. Files already complete are kept. Refuses in offline mode.
 * @example await pullModel(resolveModelRef('sam'));
 */
export async function pullModel(model: ResolvedModel, opts: PullOptions = {}): Promise<Manifest> {
  if (model.kind === 'dir' || model.kind === 'imported') {
    throw new InvalidArgumentError(`${model.name} is a local model; there is nothing to pull`);
  }
  if (isOffline()) {
    throw new ModelMissingError(
      `Offline mode (SEGKIT_OFFLINE=1) forbids downloading ${model.name}; unset it or use \`segkit models import\``,
    );
  }
  if (model.preset?.files) return pullListed(model, model.preset, opts.progress);
  const { dir, repo, revision } = model as Required<Pick<ResolvedModel, 'dir' | 'repo' | 'revision'>>;
  const old = readManifest(dir);
  const stale = new Set(old ? badFiles(dir, old) : []);
  await mkdir(dir, { recursive: true });
  let manifestDropped = false;
  const baseOf = (rev: string) =>
    `${hubUrl()}/${repo}/resolve/${encodeURIComponent(rev).replace(/%2F/g, '/')}`;
  const fetchOne = async (file: string, optional = false, from?: { revision: string; remote: string }) => {
    const dest = join(dir, file);
    if (existsSync(dest) && !stale.has(file) && old?.files[file] === statSync(dest).size) return true;
    if (!optional && !manifestDropped) {
      // A required file is about to change: until the pull completes, the model must not look ready.
      await unlink(join(dir, MANIFEST)).catch(() => {});
      manifestDropped = true;
    }
    await unlink(dest).catch(() => {});
    await mkdir(dirname(dest), { recursive: true });
    return downloadFile(`${baseOf(from?.revision ?? revision)}/${from?.remote ?? file}`, dest, {
      optional,
      progress: opts.progress?.(file) ?? silentProgress,
    });
  };
  // An encoder + decoder pair (no model_type) may come without config.json when its files are named.
  const named = Boolean(opts.encoderFile || opts.decoderFile);
  const hasConfig = await fetchOne('config.json', named);
  const config = (
    hasConfig ? parseJson(readFileSync(join(dir, 'config.json')), `${model.name}/config.json`) : {}
  ) as { model_type?: string; encoder_path?: string; decoder_path?: string };
  const isPair = named || config.model_type === undefined || model.preset?.modelType === PAIR_TYPE;
  const modelType = isPair ? PAIR_TYPE : (config.model_type ?? '');
  let weights: string[];
  if (isPair) {
    weights = [
      opts.encoderFile ?? config.encoder_path ?? 'encoder.onnx',
      opts.decoderFile ?? config.decoder_path ?? 'decoder.onnx',
    ];
  } else {
    weights = onnxFiles(modelType, model.dtype);
    if (!weights.length)
      throw new ModelUnsupportedError(
        `${model.name} has model_type ${JSON.stringify(modelType)}, which SegKit cannot run`,
      );
    await fetchOne('preprocessor_config.json');
  }
  for (const f of weights) await fetchOne(f);
  const companion = boxDecoderFile(model.preset, model.dtype);
  if (companion) await fetchOne(companion.local, false, companion);
  for (const f of OPTIONAL_FILES) await fetchOne(f, true);
  const files: Record<string, number> = {};
  for (const f of [
    ...REQUIRED_CONFIGS,
    ...weights,
    ...(companion ? [companion.local] : []),
    ...OPTIONAL_FILES,
  ]) {
    if (f === 'preprocessor_config.json' && isPair) continue;
    if (existsSync(join(dir, f))) files[f] = statSync(join(dir, f)).size;
  }
  const manifest: Manifest = {
    name: model.name,
    repo,
    revision,
    dtype: model.dtype,
    modelType,
    files,
    completedAt: new Date().toISOString(),
  };
  await writeFileAtomic(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .filter((f) => f !== MANIFEST && !f.endsWith('.part'));
}

/**
 * The files of `dir` that a preset needs, checked as a pull would: the model type must match and every required file
 * must be there. Throws a coded error naming what is wrong and what the folder holds.
 */
function presetFiles(dir: string, src: string, preset: Preset, modelType: string): string[] {
  if (preset.files) {
    const missing = preset.files
      .filter((f) => !f.optional && !existsSync(join(dir, f.path)))
      .map((f) => f.path);
    if (missing.length)
      throw new ModelMissingError(
        `${src} lacks ${missing.join(', ')}, which ${preset.name} needs; it has ${listFiles(dir).join(', ')}`,
      );
    return preset.files.map((f) => f.path).filter((f) => existsSync(join(dir, f)));
  }
  if (preset.modelType === PAIR_TYPE) {
    const pair = findPairFiles(dir, {}, src);
    return [relative(dir, pair.encoder), relative(dir, pair.decoder), 'config.json'].filter((f) =>
      existsSync(join(dir, f)),
    );
  }
  if (modelType !== preset.modelType)
    throw new ModelUnsupportedError(
      `${src} holds a ${JSON.stringify(modelType)} model, but ${preset.name} is a ${preset.modelType} model (${preset.repo})`,
    );
  const needed = [...REQUIRED_CONFIGS, ...onnxFiles(preset.modelType, preset.dtype)];
  const missing = needed.filter((f) => !existsSync(join(dir, f)));
  if (missing.length)
    throw new ModelMissingError(
      `${src} lacks ${missing.join(', ')}, which ${preset.name} (${preset.dtype}) needs; it has ${listFiles(dir).join(', ')}`,
    );
  const companion = boxDecoderFile(preset, preset.dtype)?.local;
  const optional = [...(companion ? [companion] : []), ...OPTIONAL_FILES];
  return [...needed, ...optional.filter((f) => existsSync(join(dir, f)))];
}

/**
 * Copies a hub-layout model directory into the cache under `name`, for air-gapped machines. Under a preset's name
 * (`--as sam`) the folder must satisfy the preset, checked as a pull would, and then stands in for a pull: commands
 * that use the preset by default find it.
 * @example await importModel('/media/usb/slimsam', 'sam-offline');  // then --model sam-offline
 */
export async function importModel(src: string, name: string): Promise<ResolvedModel> {
  const preset = findPreset(name);
  if (!preset && !isValidImportName(name)) {
    throw new InvalidArgumentError(
      `Expected a preset or a simple name (letters, digits, . _ -) for --as but received ${JSON.stringify(name)}`,
    );
  }
  const from = resolveModelRef(src);
  if (from.kind !== 'dir')
    throw new ModelMissingError(`${src} is not a model directory (it needs config.json or .onnx files)`);
  // Layouts of bare ONNX files (the pairs, SAM 3's) may come without a config.json.
  const configFile = join(from.dir, 'config.json');
  const config = (
    existsSync(configFile) ? parseJson(readFileSync(configFile), join(src, 'config.json')) : {}
  ) as { model_type?: string };
  const modelType = preset?.files
    ? preset.modelType
    : (config.model_type ?? sam3FilesIn(from.dir)?.layout ?? '');
  const only = preset ? presetFiles(from.dir, src, preset, modelType) : undefined;
  const dest = preset ? snapshotDir(preset.repo, preset.revision) : importedDir(name);
  const tmp = `${dest}.tmp-${process.pid}`;
  trackTemp(tmp);
  try {
    await rm(tmp, { recursive: true, force: true });
    await mkdir(dirname(dest), { recursive: true });
    if (only) {
      for (const f of only) {
        await mkdir(dirname(join(tmp, f)), { recursive: true });
        await cp(join(from.dir, f), join(tmp, f));
      }
    } else await cp(from.dir, tmp, { recursive: true });
    const files: Record<string, number> = {};
    for (const f of listFiles(tmp)) files[f] = statSync(join(tmp, f)).size;
    const manifest: Manifest = {
      name,
      ...(preset ? { repo: preset.repo, revision: preset.revision } : {}),
      dtype: preset?.dtype ?? 'fp32',
      modelType,
      files,
      completedAt: new Date().toISOString(),
    };
    await writeFileAtomic(join(tmp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    await rm(dest, { recursive: true, force: true });
    await rename(tmp, dest);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    untrackTemp(tmp);
  }
  return resolveModelRef(name);
}

/** Deletes a cached or imported model. Returns false when there was nothing to delete. */
export async function removeModel(model: ResolvedModel): Promise<boolean> {
  if (model.kind === 'dir')
    throw new InvalidArgumentError(`${model.name} is a directory you own; SegKit does not delete it`);
  if (!existsSync(model.dir)) return false;
  await rm(model.dir, { recursive: true, force: true });
  return true;
}

/** Bytes on disk under a directory. */
function diskBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  return listFiles(dir).reduce((s, f) => s + statSync(join(dir, f)).size, 0);
}

/** One row of `segkit models list`. */
export interface ModelListing {
  name: string;
  source: string;
  status: ModelStatus;
  bytes: number;
  description: string;
  /** What a preset is for (segment, text-segment, embed, panoptic, find); absent for imported and other models. */
  task?: string;
}

/** The presets with their cache status, plus imported models and other cached repos. */
export function listModels(): ModelListing[] {
  const rows: ModelListing[] = PRESETS.map((p) => {
    const r = resolveModelRef(p.name);
    const status = modelStatus(r);
    return {
      name: p.name,
      source: `${p.repo} (${p.dtype})`,
      status,
      bytes: status === 'missing' ? p.approxBytes : diskBytes(r.dir),
      description: p.description,
      task: p.task,
    };
  });
  const localRoot = join(cacheRoot(), 'local');
  if (existsSync(localRoot)) {
    for (const name of readdirSync(localRoot).filter((n) => !n.includes('.tmp-'))) {
      const r = resolveModelRef(name);
      rows.push({
        name,
        source: 'imported',
        status: modelStatus(r),
        bytes: diskBytes(r.dir),
        description: readManifest(r.dir)?.modelType ?? '',
      });
    }
  }
  const presetDirs = new Set(PRESETS.map((p) => snapshotDir(p.repo, p.revision)));
  const modelsRoot = join(cacheRoot(), 'models');
  if (existsSync(modelsRoot)) {
    for (const org of readdirSync(modelsRoot)) {
      for (const repoName of readdirSync(join(modelsRoot, org))) {
        for (const rev of readdirSync(join(modelsRoot, org, repoName))) {
          const dir = join(modelsRoot, org, repoName, rev);
          if (presetDirs.has(dir)) continue;
          const ref = `${org}/${repoName}${rev === 'main' ? '' : `@${rev}`}`;
          const r = resolveModelRef(ref);
          rows.push({
            name: ref,
            source: 'hub',
            status: modelStatus(r),
            bytes: diskBytes(dir),
            description: readManifest(dir)?.modelType ?? '',
          });
        }
      }
    }
  }
  return rows;
}
