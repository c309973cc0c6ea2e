// Pulls a preset that lists its files: each from the hub repo or from a direct URL (GitHub release assets, mirrored
// through SEGKIT_ASSETS_URL), or all of them from one ZIP; sizes and SHA-256 checked where the preset names them.
// Same rules as hub pulls: resume through `.part` files, the cache layout, offline refusal (in store.ts).
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, rename, rm, unlink } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import {
  DownloadError,
  extractZip,
  ModelMissingError,
  type Progress,
  silentProgress,
  trackTemp,
  untrackTemp,
  writeFileAtomic,
} from '@segkit/core';
import { directUrl, hubUrl, MANIFEST } from './cache-dir.js';
import { downloadFile } from './download.js';
import { badFiles, type Manifest, readManifest } from './manifest.js';
import type { Preset, PresetFile, ResolvedModel } from './types.js';

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Checks a downloaded file against the preset's size and SHA-256; a mismatch removes it. Returns its SHA-256. */
async function verify(path: string, f: PresetFile, from: string): Promise<string> {
  const size = statSync(path).size;
  const sha = await sha256Of(path);
  const wrong =
    f.bytes !== undefined && size !== f.bytes
      ? `${size} bytes, not ${f.bytes}`
      : f.sha256 && sha !== f.sha256.toLowerCase()
        ? `SHA-256 ${sha}, not ${f.sha256}`
        : undefined;
  if (wrong) {
    await unlink(path).catch(() => {});
    throw new DownloadError(
      `${from} gave ${f.path} with ${wrong}; it was removed, pull again (or check the mirror)`,
    );
  }
  return sha;
}

/** Every file under `dir`, relative to it. */
const filesUnder = (dir: string) =>
  readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)));

/**
 * Unpacks the archive into a temporary folder and moves the preset's files into `dir`. The archive may hold them
 * under one top folder (`sam3_vit_h/…`): the folder holding the first listed file is taken as the root.
 */
async function unpack(zip: string, dir: string, files: PresetFile[], label: string): Promise<void> {
  const tmp = `${dir}.unpack-${process.pid}`;
  trackTemp(tmp);
  try {
    await rm(tmp, { recursive: true, force: true });
    await extractZip(zip, tmp);
    const all = filesUnder(tmp);
    const first = files[0]!.path;
    const hit = all.find((f) => f === first || f.endsWith(`/${first}`));
    if (!hit)
      throw new ModelMissingError(
        `${label}'s archive has no ${first}; it holds ${all.slice(0, 12).join(', ')}${all.length > 12 ? ', …' : ''}`,
      );
    const root = join(tmp, hit.slice(0, hit.length - first.length));
    for (const f of files) {
      const src = join(root, f.path);
      if (!existsSync(src)) {
        if (f.optional) continue;
        throw new ModelMissingError(`${label}'s archive has no ${f.path}`);
      }
      await mkdir(dirname(join(dir, f.path)), { recursive: true });
      await rename(src, join(dir, f.path));
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
    untrackTemp(tmp);
  }
}

/** Pulls a preset with an explicit file list (see {@link Preset.files}) and writes its manifest. */
export async function pullListed(
  model: ResolvedModel,
  preset: Preset,
  progress?: (file: string) => Progress,
): Promise<Manifest> {
  const { dir, repo, revision } = model as Required<Pick<ResolvedModel, 'dir' | 'repo' | 'revision'>>;
  const files = preset.files!;
  const old = readManifest(dir);
  const stale = new Set(old ? badFiles(dir, old) : []);
  const done = (f: PresetFile) => {
    const p = join(dir, f.path);
    return existsSync(p) && !stale.has(f.path) && old?.files[f.path] === statSync(p).size;
  };
  await mkdir(dir, { recursive: true });
  const urlOf = (f: PresetFile) =>
    f.url ? directUrl(f.url) : `${hubUrl()}/${repo}/resolve/${encodeURIComponent(revision)}/${f.path}`;
  const sha256: Record<string, string> = { ...(old?.sha256 ?? {}) };
  if (!files.every((f) => done(f) || f.optional)) {
    // Something required is about to change: until the pull completes, the model must not look ready.
    await unlink(join(dir, MANIFEST)).catch(() => {});
    if (preset.archive) {
      const a = preset.archive;
      const zip = join(dir, '.download', a.path);
      await mkdir(dirname(zip), { recursive: true });
      await downloadFile(urlOf(a), zip, { progress: progress?.(a.path) ?? silentProgress });
      sha256[a.path] = await verify(zip, a, urlOf(a));
      await unpack(zip, dir, files, preset.name);
      await rm(join(dir, '.download'), { recursive: true, force: true });
    } else {
      for (const f of files) {
        if (done(f)) continue;
        const dest = join(dir, f.path);
        await unlink(dest).catch(() => {});
        await mkdir(dirname(dest), { recursive: true });
        const got = await downloadFile(urlOf(f), dest, {
          optional: Boolean(f.optional),
          progress: progress?.(f.path) ?? silentProgress,
        });
        if (got) sha256[f.path] = await verify(dest, f, urlOf(f));
      }
    }
  }
  const sizes: Record<string, number> = {};
  for (const f of files) if (existsSync(join(dir, f.path))) sizes[f.path] = statSync(join(dir, f.path)).size;
  const manifest: Manifest = {
    name: model.name,
    repo,
    revision,
    dtype: model.dtype,
    modelType: preset.modelType,
    files: sizes,
    completedAt: new Date().toISOString(),
    sha256,
  };
  await writeFileAtomic(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
