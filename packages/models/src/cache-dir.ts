import { homedir } from 'node:os';
import { join } from 'node:path';

/** The model cache root: `SEGKIT_CACHE_DIR`, or `~/.cache/segkit`. */
export function cacheRoot(): string {
  return process.env.SEGKIT_CACHE_DIR || join(homedir(), '.cache', 'segkit');
}

/** Where a hub repo's snapshot lives: `<cache>/models/<org>/<name>/<revision>/`. */
export function snapshotDir(repo: string, revision: string): string {
  return join(cacheRoot(), 'models', ...repo.split('/'), revision);
}

/** Where an imported model lives: `<cache>/local/<name>/`. */
export function importedDir(name: string): string {
  return join(cacheRoot(), 'local', name);
}

/** The hub base URL: `SEGKIT_HUB_URL`, or the public Hugging Face hub. */
export function hubUrl(): string {
  return (process.env.SEGKIT_HUB_URL || 'https://huggingface.co').replace(/\/+$/, '');
}

/** Where a direct URL is fetched from: the same path under `SEGKIT_ASSETS_URL` when it is set (a mirror). */
export function directUrl(url: string): string {
  const mirror = process.env.SEGKIT_ASSETS_URL?.replace(/\/+$/, '');
  if (!mirror) return url;
  const u = new URL(url);
  return `${mirror}${u.pathname}${u.search}`;
}

/** The host of `SEGKIT_ASSETS_URL`, which downloads may reach like the hub's. */
export function assetsHost(): string | undefined {
  try {
    return process.env.SEGKIT_ASSETS_URL
      ? new URL(process.env.SEGKIT_ASSETS_URL).hostname.toLowerCase()
      : undefined;
  } catch {
    return undefined;
  }
}

/** True when `SEGKIT_OFFLINE` is set to a true value: SegKit then never touches the network. */
export function isOffline(): boolean {
  const v = (process.env.SEGKIT_OFFLINE ?? '').toLowerCase();
  return v !== '' && v !== '0' && v !== 'false';
}

/** Name of the manifest written into a model directory once every file is complete. */
export const MANIFEST = 'segkit-manifest.json';
