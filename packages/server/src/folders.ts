// `segkit serve FOLDER…`: a project of a folder's images, created on first start and reused after.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { FileNotFoundError, imageSize } from '@segkit/core';
import type { ServerContext } from './context.js';
import { addImage } from './repo/images.js';
import { folderProject } from './repo/projects.js';

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff']);

/**
 * Adds the images of each folder (not recursive) to a project named after the folder, creating the project (owned
 * by the admin) when no project has that name. Returns the project ids and how many images were new.
 */
export async function importFolders(
  ctx: ServerContext,
  folders: string[],
): Promise<{ projectId: number; name: string; added: number; total: number }[]> {
  const out = [];
  for (const folder of folders) {
    const dir = resolve(folder);
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {}
    if (!isDir) throw new FileNotFoundError(`Not a folder: ${folder}`);
    const name = basename(dir);
    const projectId = await folderProject(ctx.db, name);
    const files = readdirSync(dir)
      .filter((f) => IMAGE_EXT.has(extname(f).toLowerCase()))
      .sort();
    let added = 0;
    for (const f of files) {
      const bytes = readFileSync(join(dir, f));
      const { width, height } = await imageSize(bytes, { maxPixels: ctx.limits.maxPixels });
      const sha256 = await ctx.blobs.put(bytes);
      if ((await addImage(ctx.db, projectId, { sha256, fileName: f, width, height })).created) added++;
    }
    out.push({ projectId, name, added, total: files.length });
  }
  return out;
}
