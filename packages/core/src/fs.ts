import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FileNotFoundError, InvalidArgumentError, WriteError } from './errors.js';

/**
 * Reads a whole input file. A missing path gives `E_FILE_NOT_FOUND`; a directory gives `E_INVALID_ARGUMENT`.
 * @example const bytes = await readInput('mask.png');
 */
export async function readInput(path: string): Promise<Buffer> {
  try {
    const s = await stat(path);
    if (s.isDirectory()) throw new InvalidArgumentError(`${path} is a directory, not a file`);
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new FileNotFoundError(`File not found: ${path}`);
    throw e;
  }
}

/** Temporary files and folders being written right now; an interrupted process removes them (see below). */
const pending = new Set<string>();

/** Marks `path` as a temporary file or folder in progress, until {@link untrackTemp}. */
export function trackTemp(path: string): void {
  pending.add(path);
}

/** Unmarks a temporary path once it has been renamed into place or removed. */
export function untrackTemp(path: string): void {
  pending.delete(path);
}

/** The temporary paths in progress (for tests and diagnostics). */
export function pendingTemps(): string[] {
  return [...pending];
}

/**
 * Removes every temporary file or folder still in progress, synchronously: for a SIGINT/SIGTERM handler, so that
 * Ctrl-C leaves no half-written files behind.
 */
export function removePendingTemps(): void {
  for (const p of pending) rmSync(p, { recursive: true, force: true });
  pending.clear();
}

/**
 * Writes a file atomically: the bytes go to a temporary file beside the target, which is then renamed over it.
 * A reader never sees a half-written file, and a failed or interrupted write leaves nothing behind.
 * @example await writeFileAtomic('out/mask.png', pngBytes);
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  trackTemp(tmp);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'its directory does not exist' : (err.code ?? err.message);
    throw new WriteError(`Cannot write ${path}: ${why}`, { cause: e });
  } finally {
    untrackTemp(tmp);
  }
}
