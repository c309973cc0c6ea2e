import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { InvalidArgumentError, writeZip, type ZipFileEntry } from '@segkit/core';
import type { MaskRow } from './pipeline.js';
import { readRows } from './plot.js';

const stemOfRow = (r: MaskRow) => r.id.slice(0, r.id.lastIndexOf('/'));

/**
 * The rows of one image of a run. `image` may be the image's stem (`img00`), its file name (`img00.png`) or the path
 * it was analyzed from.
 */
export function rowsOfImage(rows: MaskRow[], image: string): MaskRow[] {
  const matches = (r: MaskRow) =>
    stemOfRow(r) === image || basename(r.image) === image || resolve(r.image) === resolve(image);
  return rows.filter(matches);
}

/**
 * Writes a ZIP of every mask PNG of one image of a run (`<stem>/<k>.png`), with that image's rows of masks.jsonl
 * (`<stem>/masks.jsonl`: bbox, area, score, UMAP position and cluster of each mask). Returns the mask count.
 * @example await zipImageMasks('artifacts/run-…', 'img00', 'img00-masks.zip');
 */
export async function zipImageMasks(runDir: string, image: string, out: string): Promise<{ masks: number }> {
  const rows = readRows(runDir);
  const mine = rowsOfImage(rows, image);
  if (!mine.length) {
    const known = [...new Set(rows.map(stemOfRow))];
    throw new InvalidArgumentError(
      `No masks of "${image}" in ${runDir}; its images with masks are ${known.slice(0, 5).join(', ')}` +
        (known.length > 5 ? ` and ${known.length - 5} more` : ''),
    );
  }
  const stem = stemOfRow(mine[0]!);
  const entries: ZipFileEntry[] = [];
  for (const r of mine) {
    const file = join(runDir, 'masks', `${r.id}.png`);
    const data = await readFile(file).catch(() => {
      throw new InvalidArgumentError(`${file} is missing: the run directory is incomplete`);
    });
    entries.push({ name: `${r.id}.png`, data });
  }
  entries.push({
    name: `${stem}/masks.jsonl`,
    data: Buffer.from(mine.map((r) => `${JSON.stringify(r)}\n`).join('')),
  });
  await writeZip(out, entries);
  return { masks: mine.length };
}
