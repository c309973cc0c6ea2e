import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, writeFileAtomic } from '@segkit/core';
import type { MaskRow } from './pipeline.js';
import { scatterData, scatterPng } from './scatter-data.js';
import { scatterHtml } from './scatter-html.js';

/** Reads masks.jsonl of a run directory. */
export function readRows(runDir: string): MaskRow[] {
  const file = join(runDir, 'masks.jsonl');
  if (!existsSync(file))
    throw new InvalidArgumentError(`${runDir} has no masks.jsonl: run segkit analyze first`);
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as MaskRow);
}

/**
 * Writes the scatter as a PNG (dots rasterised, so 100k masks draw in well under a second), or with `html` as a
 * self-contained page: a canvas with pan, zoom, cluster highlight and hover thumbnails loaded on demand.
 */
export async function plotRun(
  runDir: string,
  out: string,
  opts: { html?: boolean } = {},
): Promise<{ notes: string[]; points: number }> {
  const data = scatterData(readRows(runDir));
  if (data.x.length === 0)
    throw new InvalidArgumentError(`${runDir} has no mask with a UMAP position: the run found no masks`);
  const notes = oldClusterNote(runDir);
  if (opts.html) await writeFileAtomic(out, scatterHtml(data, runDir, out));
  else await writeFileAtomic(out, await scatterPng(data));
  return { notes, points: data.x.length };
}

/** A run clustered before min_samples took hdbscan's meaning says so: its clusters came from the old meaning. */
function oldClusterNote(runDir: string): string[] {
  try {
    const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as {
      params?: Record<string, unknown>;
    };
    if (run.params && run.params.minSamplesMeaning === undefined)
      return [
        `${runDir} was clustered before SegKit 0.2, when min_samples counted the point itself (the old 5 is hdbscan's 4); run segkit analyze again to cluster it as hdbscan does`,
      ];
  } catch {
    // no run.json: readRows has already said what is wrong
  }
  return [];
}
