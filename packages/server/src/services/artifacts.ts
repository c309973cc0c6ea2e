// Folders a job trains for a project (classifier heads, fine-tuned text models) live in the blob store and the
// `artifact` table, so that a folder trained by one worker is used by every replica. Each process keeps a local copy
// in its data directory, the folder the code that reads it opens; the copy carries the blob keys it was made from and
// is made again when the recorded folder changes (retrained under the same name elsewhere).
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UnsafePathError, writeFileAtomic } from '@segkit/core';
import type { ServerContext } from '../context.js';
import { type ArtifactRow, artifactOf, putArtifact } from '../repo/artifacts.js';

/** The file in a local copy that names the blobs it was made from. */
const SOURCE = '.segkit-blobs.json';

/** Stores a local folder's files as blobs and records it under its kind and name (replacing one of that name). */
export async function storeFolder(
  ctx: ServerContext,
  projectId: number,
  kind: string,
  name: string,
  dir: string,
): Promise<void> {
  const files: Record<string, string> = {};
  for (const f of filesUnder(dir)) files[f] = await ctx.blobs.put(await readFile(join(dir, f)));
  await putArtifact(ctx.db, projectId, kind, name, files);
  await writeFileAtomic(join(dir, SOURCE), JSON.stringify(files));
}

/**
 * The files of a folder, by their path inside it (`onnx/model.onnx`), sorted; the copy's own record and hidden
 * entries (a training's resume state) are left out.
 */
function filesUnder(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const f of readdirSync(join(dir, prefix)).sort()) {
    if (f.startsWith('.')) continue;
    const rel = prefix ? `${prefix}/${f}` : f;
    const st = statSync(join(dir, rel));
    if (st.isDirectory()) out.push(...filesUnder(dir, rel));
    else if (st.isFile()) out.push(rel);
  }
  return out;
}

/** A recorded file's path inside its folder, refused if it could leave it. */
function inside(file: string): string {
  const parts = file.split('/');
  if (!file || parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\')))
    throw new UnsafePathError(`Recorded file ${JSON.stringify(file)} would leave its folder`);
  return join(...parts);
}

/** Whether the local copy `dir` was made from exactly these blobs. */
function sameFiles(dir: string, files: Record<string, string>): boolean {
  try {
    const had = JSON.parse(readFileSync(join(dir, SOURCE), 'utf8')) as Record<string, string>;
    const keys = Object.keys(files);
    return keys.length === Object.keys(had).length && keys.every((k) => had[k] === files[k]);
  } catch {
    return false; // no copy yet, or one made before folders were recorded
  }
}

/**
 * The local folder `dir` of a recorded folder, made from its blobs when it is missing or was made from other blobs;
 * a folder only this data directory has (trained before folders were recorded) is recorded now if it holds
 * `required`. Undefined when neither the table nor the data directory has it.
 */
export async function localFolder(
  ctx: ServerContext,
  projectId: number,
  kind: string,
  name: string,
  dir: string,
  required: string,
): Promise<string | undefined> {
  const row = await artifactOf(ctx.db, projectId, kind, name);
  if (!row) {
    if (!existsSync(join(dir, required))) return undefined;
    await storeFolder(ctx, projectId, kind, name, dir);
    return dir;
  }
  if (!sameFiles(dir, row.files)) {
    // Requests that need the same copy at once share one making of it.
    let making = pending.get(dir);
    if (!making) {
      making = materialize(ctx, row, dir).finally(() => pending.delete(dir));
      pending.set(dir, making);
    }
    await making;
  }
  return dir;
}

const pending = new Map<string, Promise<void>>();

/** Writes a recorded folder's files into a fresh folder beside `dir`, then swaps it in. */
async function materialize(ctx: ServerContext, row: ArtifactRow, dir: string): Promise<void> {
  const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}-${randomUUID().slice(0, 8)}`);
  await mkdir(tmp, { recursive: true });
  try {
    for (const [file, key] of Object.entries(row.files)) {
      const path = join(tmp, inside(file));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, await ctx.blobs.get(key));
    }
    await writeFile(join(tmp, SOURCE), JSON.stringify(row.files));
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir).catch((e) => {
      // Another process sharing this data directory made the same copy meanwhile: that one serves.
      if (!sameFiles(dir, row.files)) throw e;
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
