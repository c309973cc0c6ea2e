// The manifest a pull or an import writes into a model folder once every file is complete: what makes it "ready".
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST } from './cache-dir.js';

/** What a model directory's manifest records. */
export interface Manifest {
  name: string;
  repo?: string;
  revision?: string;
  dtype: string;
  modelType: string;
  files: Record<string, number>;
  completedAt: string;
  /** SHA-256 of each file fetched from a preset's file list, as downloaded (checked against the preset's when it names one). */
  sha256?: Record<string, string>;
}

export type ModelStatus = 'ready' | 'missing' | 'corrupt';

export function readManifest(dir: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/** Files whose size differs from the manifest (truncated, grown or missing). */
export function badFiles(dir: string, m: Manifest): string[] {
  return Object.entries(m.files)
    .filter(([f, size]) => {
      const p = join(dir, f);
      return !existsSync(p) || statSync(p).size !== size;
    })
    .map(([f]) => f);
}
