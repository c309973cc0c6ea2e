import { open, rename, stat, unlink } from 'node:fs/promises';
import type { Progress } from '@segkit/core';
import { DownloadError, isSegkitError } from '@segkit/core';
import { guardedFetch } from './url-guard.js';

/** Options for {@link downloadFile}. */
export interface DownloadOptions {
  /** Attempts in all, each resuming where the last stopped (default 4). */
  attempts?: number;
  progress?: Progress;
  /** Treat 404 as "absent" and return false instead of failing (for optional files). */
  optional?: boolean;
}

const sizeOf = async (p: string) => (await stat(p).catch(() => undefined))?.size ?? 0;

/**
 * Downloads `url` to `dest` through `dest.part`, renaming it only when complete.
 * - An interrupted transfer resumes with a `Range` request; a server that ignores ranges (200) restarts it.
 * - The size is verified against `Content-Length` / `Content-Range` when the server reports one.
 * Returns false when the file is optional and the server answers 404.
 */
export async function downloadFile(url: string, dest: string, opts: DownloadOptions = {}): Promise<boolean> {
  const part = `${dest}.part`;
  const attempts = opts.attempts ?? 4;
  let lastError = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const have = await sizeOf(part);
    let res: Response;
    try {
      res = await guardedFetch(url, { headers: have > 0 ? { Range: `bytes=${have}-` } : {} });
    } catch (e) {
      if (isSegkitError(e)) throw e; // a refused URL is not retried
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const unreachable = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH'].includes(
        cause?.code ?? '',
      );
      lastError = unreachable
        ? `cannot reach ${url} (${cause?.code})`
        : `request for ${url} failed: ${cause?.message ?? (e as Error).message}`;
      continue;
    }
    if (res.status === 404) {
      await res.body?.cancel();
      if (opts.optional) return false;
      throw new DownloadError(`${url} was not found (HTTP 404)`);
    }
    if (res.status === 416) {
      // Our partial file is not a prefix the server recognises: start over.
      await res.body?.cancel();
      await unlink(part).catch(() => {});
      lastError = `${url}: range not satisfiable`;
      continue;
    }
    if (res.status !== 200 && res.status !== 206) {
      await res.body?.cancel();
      lastError = `${url} answered HTTP ${res.status}`;
      if (res.status >= 400 && res.status < 500) break;
      continue;
    }
    const resuming = res.status === 206 && have > 0;
    const expected = totalSize(res, resuming ? have : 0);
    const fh = await open(part, resuming ? 'a' : 'w');
    let done = resuming ? have : 0;
    try {
      if (res.body) {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          await fh.write(chunk);
          done += chunk.length;
          opts.progress?.update(done, expected);
        }
      }
    } catch (e) {
      lastError = `transfer of ${url} was interrupted at ${done} bytes (${(e as Error).message})`;
      continue;
    } finally {
      await fh.close();
    }
    if (expected !== undefined && done !== expected) {
      lastError = `${url}: got ${done} bytes, expected ${expected}`;
      if (done > expected) await unlink(part).catch(() => {});
      continue;
    }
    await rename(part, dest);
    opts.progress?.finish();
    return true;
  }
  throw new DownloadError(`${lastError} (after ${attempts} attempts; run the pull again to resume)`);
}

function totalSize(res: Response, offset: number): number | undefined {
  const range = res.headers.get('content-range');
  const m = range?.match(/\/(\d+)\s*$/);
  if (m) return Number(m[1]);
  const len = res.headers.get('content-length');
  return len !== null && /^\d+$/.test(len) ? offset + Number(len) : undefined;
}
