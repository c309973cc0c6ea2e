import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type ArchiveLimits, DatasetFormatError, extractZipToTemp, FileNotFoundError } from '@segkit/core';

import { readCoco, writeCoco } from './coco.js';
import { readMaskFolders, writeMaskFolders } from './mask-folders.js';
import { isRoboflow, readRoboflow } from './roboflow.js';
import type { Dataset, DatasetFormat } from './types.js';
import { DATASET_FORMATS } from './types.js';
import { readYolo, writeYolo } from './yolo.js';

/** The first non-empty line of the first label file under `labels/`, if any. */
function firstLabelLine(dir: string): string | undefined {
  const files = readdirSync(join(dir, 'labels'), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.txt'))
    .sort();
  for (const f of files) {
    const line = readFileSync(join(dir, 'labels', f), 'utf8')
      .split(/\r?\n/)
      .find((l) => l.trim());
    if (line) return line;
  }
  return undefined;
}

/** Guesses a dataset's format from its layout. */
export function detectFormat(path: string): DatasetFormat {
  if (!existsSync(path)) throw new FileNotFoundError(`Dataset not found: ${path}`);
  if (statSync(path).isFile()) {
    if (path.endsWith('.json')) return 'coco';
    throw new DatasetFormatError(`${path} is a file but not a COCO .json`);
  }
  const has = (f: string) => existsSync(join(path, f));
  if (has('annotations.json') || has('_annotations.coco.json') || isRoboflow(path)) return 'coco';
  if (has('labels') && has('images')) {
    // Boxes have 5 numbers per line; polygons have at least 7.
    const line = firstLabelLine(path);
    return line && line.trim().split(/\s+/).length > 5 ? 'yolo-seg' : 'yolo';
  }
  if (has('masks') && has('images')) return 'masks';
  throw new DatasetFormatError(
    `Cannot tell the format of ${path}: expected annotations.json (COCO), images/ + labels/ (YOLO) or images/ + masks/ (PNG masks)`,
  );
}

/**
 * Reads a dataset in any supported format (detected from its layout unless given).
 * @example const ds = await readDataset('data/coco'); ds.annotations.length
 */
export async function readDataset(
  path: string,
  format?: DatasetFormat,
  opts: { limits?: Partial<ArchiveLimits> } = {},
): Promise<Dataset> {
  if (path.toLowerCase().endsWith('.zip')) {
    if (!existsSync(path)) throw new FileNotFoundError(`Dataset not found: ${path}`);
    const dir = await extractZipToTemp(path, opts.limits);
    // A zip often holds one top-level folder; look inside it when the root itself is no dataset.
    const entries = readdirSync(dir);
    const inner =
      entries.length === 1 && statSync(join(dir, entries[0]!)).isDirectory() ? join(dir, entries[0]!) : dir;
    return readDataset(inner, format);
  }
  const f = format ?? detectFormat(path);
  if (f === 'coco') {
    if (statSync(path).isDirectory() && !existsSync(join(path, 'annotations.json')) && isRoboflow(path))
      return readRoboflow(path);
    const json = statSync(path).isFile()
      ? path
      : existsSync(join(path, 'annotations.json'))
        ? join(path, 'annotations.json')
        : join(path, '_annotations.coco.json');
    return readCoco(json);
  }
  if (f === 'yolo' || f === 'yolo-seg') return readYolo(path);
  return readMaskFolders(path);
}

/** Options for {@link writeDataset}. */
export interface WriteOptions {
  /** COCO: write every mask as RLE. */
  rle?: boolean;
  /** COCO: keep annotations whose mask is blank (left out by default: see {@link blankAnnotations}). */
  keepEmpty?: boolean;
}

/**
 * Writes a dataset in a format, atomically, into a new directory (with `manifest.json`).
 * @example await writeDataset(ds, 'out/coco', 'coco');
 */
export async function writeDataset(
  ds: Dataset,
  out: string,
  format: DatasetFormat,
  opts: WriteOptions = {},
): Promise<void> {
  if (!DATASET_FORMATS.includes(format))
    throw new DatasetFormatError(
      `Unknown format ${JSON.stringify(format)}; use one of ${DATASET_FORMATS.join(', ')}`,
    );
  if (format === 'coco') return writeCoco(ds, out, opts);
  if (format === 'masks') return writeMaskFolders(ds, out);
  await writeYolo(ds, out, { seg: format === 'yolo-seg' });
}
