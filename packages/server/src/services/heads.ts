// Classifier heads of a project: trained by the `train-head` job from the project's labelled boxes and masks, kept as
// blobs (the `artifact` table, services/artifacts.ts) with a local copy in each process's data directory under
// heads/project-<id>/<name>/; one of them active per project (its settings' `head`).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  checkHead,
  embedSamples,
  type Head,
  loadHead,
  predictWithHead,
  type Sample,
} from '@segkit/analytics';
import { InvalidArgumentError, NotFoundError, rleBbox } from '@segkit/core';
import { splitImages } from '@segkit/datasets';
import type { ServerContext } from '../context.js';
import { labelledAnnotations } from '../repo/annotations.js';
import { listArtifacts } from '../repo/artifacts.js';
import { localFolder, storeFolder } from './artifacts.js';

export const HEAD_NAME = /^[A-Za-z0-9][\w.-]{0,63}$/;

export const headsDir = (ctx: ServerContext, projectId: number) =>
  join(ctx.dataDir, 'heads', `project-${projectId}`);

export function headDir(ctx: ServerContext, projectId: number, name: string): string {
  if (!HEAD_NAME.test(name))
    throw new InvalidArgumentError(
      `A head name is 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit; not ${JSON.stringify(name)}`,
    );
  return join(headsDir(ctx, projectId), name);
}

/** The heads trained for a project (recorded, or only in this data directory from before), newest first. */
export async function listHeads(
  ctx: ServerContext,
  projectId: number,
): Promise<{ name: string; head: Head }[]> {
  const names = new Set((await listArtifacts(ctx.db, projectId, 'head')).map((r) => r.name));
  const root = headsDir(ctx, projectId);
  if (existsSync(root))
    for (const name of readdirSync(root))
      if (HEAD_NAME.test(name) && existsSync(join(root, name, 'head.json'))) names.add(name);
  const out: { name: string; head: Head }[] = [];
  for (const name of names) out.push({ name, head: await openHead(ctx, projectId, name) });
  return out.sort((a, b) => b.head.info.createdAt.localeCompare(a.head.info.createdAt));
}

/** The local folder of a head of the project, made from its blobs when this process has no current copy. */
export async function localHead(ctx: ServerContext, projectId: number, name: string): Promise<string> {
  const dir = await localFolder(ctx, projectId, 'head', name, headDir(ctx, projectId, name), 'head.json');
  if (!dir) throw new NotFoundError(`Project ${projectId} has no head ${JSON.stringify(name)}`);
  return dir;
}

/** Records a head the train-head job wrote into its local folder, for every replica and worker. */
export const storeHead = (ctx: ServerContext, projectId: number, name: string) =>
  storeFolder(ctx, projectId, 'head', name, headDir(ctx, projectId, name));

const loaded = new Map<string, { mtime: number; head: Promise<Head> }>();

/** A head of the project, loaded once per version of its head.json. */
export async function openHead(ctx: ServerContext, projectId: number, name: string): Promise<Head> {
  const dir = await localHead(ctx, projectId, name);
  const mtime = statSync(join(dir, 'head.json')).mtimeMs;
  const hit = loaded.get(dir);
  if (hit && hit.mtime === mtime) return hit.head;
  const head = loadHead(dir);
  loaded.set(dir, { mtime, head });
  head.catch(() => loaded.delete(dir));
  return head;
}

/** The project's labelled boxes and masks as samples (image = blob hash), split by image (seeded, label-aware). */
export async function projectSamples(
  ctx: ServerContext,
  projectId: number,
  opts: { val: number; seed: number },
): Promise<Sample[]> {
  const rows = await labelledAnnotations(ctx.db, projectId);
  const split = splitImages(rows, [...new Set(rows.map((r) => r.imageId))], {
    seed: opts.seed,
    ratios: [1 - opts.val, opts.val, 0],
  });
  return rows.map((r) => ({
    image: r.sha256,
    label: r.label,
    bbox: r.bbox,
    ...(r.rle ? { rle: r.rle } : {}),
    split: split.get(r.imageId) ?? 'train',
  }));
}

/** Ranks a head's labels for a box or a mask of an image (a blob), embedded as the head's crops were. */
export async function classifyWithHead(
  ctx: ServerContext,
  head: Head,
  sha256: string,
  region: { box?: [number, number, number, number]; rle?: { size: [number, number]; counts: string } },
) {
  const bbox = region.box ?? rleBbox(region.rle!);
  const { vectors, dim } = await embedSamples(
    [{ image: sha256, label: '', bbox, ...(region.rle ? { rle: region.rle } : {}) }],
    {
      model: ctx.allowModel(head.info.embedModel.ref) ?? 'clip',
      crop: head.info.crop,
      read: (sha) => ctx.blobs.get(sha),
    },
  );
  checkHead(head.info, 'the active head', { dim });
  return predictWithHead(head, vectors);
}
