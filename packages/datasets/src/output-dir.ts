import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { InvalidArgumentError, trackTemp, untrackTemp, writeFileAtomic } from '@segkit/core';

/**
 * Builds a dataset directory atomically: `fill` writes into a temporary sibling directory, which gets a
 * `manifest.json` (counts and SHA-256 of every file) and is then renamed to `out`. On failure nothing is left.
 * Refuses an `out` that already exists; missing parent folders are created.
 */
export async function writeDirectoryAtomic(
  out: string,
  fill: (dir: string) => Promise<Record<string, unknown>>,
): Promise<void> {
  if (existsSync(out)) throw new InvalidArgumentError(`${out} already exists; choose a new output directory`);
  const parent = dirname(out);
  await mkdir(parent, { recursive: true });
  const tmp = join(parent, `.${basename(out)}.tmp-${process.pid}-${Date.now()}`);
  trackTemp(tmp);
  await mkdir(tmp, { recursive: true });
  try {
    const summary = await fill(tmp);
    const files: Record<string, string> = {};
    for (const f of listFiles(tmp))
      files[f] = createHash('sha256')
        .update(readFileSync(join(tmp, f)))
        .digest('hex');
    await writeFileAtomic(
      join(tmp, 'manifest.json'),
      `${JSON.stringify({ ...summary, createdAt: new Date().toISOString(), files }, null, 2)}\n`,
    );
    await rename(tmp, out);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    untrackTemp(tmp);
  }
}

/** Every file under `dir`, as sorted POSIX paths relative to it. */
export function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}
