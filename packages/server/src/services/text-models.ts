// Fine-tuned CLIPSeg models of a project (`train-text` jobs): where they live, how a project names them, and the
// manifest a training reads, built from the project's labelled masks (one PNG per image and label, the union of that
// label's masks). A trained model is kept in the blob store like a head, so every replica and worker can load it:
// a project names it `text-models/<name>`, and each process makes its own copy in its data directory when needed.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelMissingError, rleMerge, rleToMask, UnsafePathError, writeMask } from '@segkit/core';
import { type ManifestRow, splitImages, writeManifest } from '@segkit/datasets';
import type { ServerContext } from '../context.js';
import { labelledAnnotations } from '../repo/annotations.js';
import { artifactOf } from '../repo/artifacts.js';
import { localFolder, storeFolder } from './artifacts.js';

const NAME = '[A-Za-z0-9][\\w.-]{0,63}';
export const TEXT_MODEL_NAME = new RegExp(`^${NAME}$`);

/** `<data>/text-models/project-<id>/<name>`: a model folder `segkit text --model` and the project settings load. */
export function textModelDir(ctx: ServerContext, projectId: number, name: string): string {
  if (!TEXT_MODEL_NAME.test(name)) throw new UnsafePathError(`Bad text model name ${JSON.stringify(name)}`);
  return join(ctx.dataDir, 'text-models', `project-${projectId}`, name);
}

/** The artifact kind of a trained text model, and how a project's settings or a request name one. */
const KIND = 'text-model';
const REF = new RegExp(`^text-models/(${NAME})$`);

/** The trained model a reference names (`text-models/<name>`), or undefined for any other reference. */
const trainedName = (ref: string | undefined) => (ref === undefined ? undefined : REF.exec(ref)?.[1]);

/** The reference a project uses for its trained model `name`. */
export const textModelRef = (name: string) => `text-models/${name}`;

/** Records a trained model folder in the blob store under its name (replacing one of that name). */
export function storeTextModel(
  ctx: ServerContext,
  projectId: number,
  name: string,
  dir: string,
): Promise<void> {
  return storeFolder(ctx, projectId, KIND, name, dir);
}

/**
 * The model a request may load for a project: `text-models/<name>` is the project's trained model of that name (a
 * local copy, made from the blob store when this process has none, E_MODEL_MISSING when the project has no such
 * model); anything else goes through the server's usual check of model references.
 */
export async function resolveTextModel<T extends string | undefined>(
  ctx: ServerContext,
  projectId: number,
  ref: T,
): Promise<T | string> {
  const name = trainedName(ref);
  if (name === undefined) return ctx.allowModel(ref);
  const dir = await localFolder(
    ctx,
    projectId,
    KIND,
    name,
    textModelDir(ctx, projectId, name),
    'config.json',
  );
  if (!dir)
    throw new ModelMissingError(
      `This project has no trained text model ${name} (POST /projects/${projectId}/text-models trains one)`,
    );
  return dir;
}

/** Whether `ref` names a trained model of the project, and if so whether it is recorded. */
export async function textModelState(
  ctx: ServerContext,
  projectId: number,
  ref: string | undefined,
): Promise<'ready' | 'missing' | undefined> {
  const name = trainedName(ref);
  if (name === undefined) return undefined;
  if (await artifactOf(ctx.db, projectId, KIND, name)) return 'ready';
  // Trained here before models were kept as blobs: recorded when first used.
  return existsSync(join(textModelDir(ctx, projectId, name), 'config.json')) ? 'ready' : 'missing';
}

/**
 * Writes the project's masks and a manifest into `dir`: images by content hash, masks per (image, label), and a
 * seeded train/val split by image. Returns the manifest path and the labels found.
 */
export async function projectManifest(
  ctx: ServerContext,
  projectId: number,
  dir: string,
  opts: { val: number; seed: number },
): Promise<{ manifest: string; labels: string[]; images: number }> {
  const rows = (await labelledAnnotations(ctx.db, projectId)).filter((r) => r.rle);
  const split = splitImages(rows, [...new Set(rows.map((r) => r.imageId))], {
    seed: opts.seed,
    ratios: [1 - opts.val, opts.val, 0],
  });
  const groups = new Map<string, typeof rows>();
  for (const r of rows)
    groups.set(`${r.imageId}\n${r.label}`, [...(groups.get(`${r.imageId}\n${r.label}`) ?? []), r]);
  await mkdir(join(dir, 'images'), { recursive: true });
  const written = new Set<string>();
  const manifest: ManifestRow[] = [];
  for (const group of groups.values()) {
    const { sha256, label, imageId } = group[0]!;
    const image = join(dir, 'images', `${sha256}.img`);
    if (!written.has(sha256)) {
      await writeFile(image, await ctx.blobs.get(sha256));
      written.add(sha256);
    }
    const maskPath = join(dir, 'masks', label, `${sha256}.png`);
    await mkdir(join(dir, 'masks', label), { recursive: true });
    await writeMask(maskPath, rleToMask(rleMerge(group.map((g) => g.rle!))));
    manifest.push({
      image_id: String(imageId),
      image_path: image,
      mask_path: maskPath,
      label,
      split: split.get(imageId) ?? 'train',
      source_dataset: `project-${projectId}`,
    });
  }
  const path = join(dir, 'manifest.csv');
  await writeManifest(manifest, path);
  return { manifest: path, labels: [...new Set(manifest.map((m) => m.label))].sort(), images: written.size };
}
