import { basename, dirname, extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { InvalidArgumentError, readInput, writeFileAtomic } from '@segkit/core';
import { Problems } from './problems.js';
import type { Dataset } from './types.js';

/** One row of a CSV manifest: one (image, label) pair. */
export interface ManifestRow {
  image_id: string;
  image_path: string;
  mask_path: string;
  label: string;
  split: string;
  source_dataset: string;
}

export const MANIFEST_COLUMNS: (keyof ManifestRow)[] = [
  'image_id',
  'image_path',
  'mask_path',
  'label',
  'split',
  'source_dataset',
];

/**
 * One row per (image, label) of a dataset, with absolute paths (a manifest file stores them relative to itself;
 * see {@link writeManifest}). `mask_path` points at `masks/<label>/<stem>.png` for PNG-mask datasets and is empty
 * when masks live in annotations.
 */
export function buildManifest(ds: Dataset, opts: { source?: string; maskRoot?: string } = {}): ManifestRow[] {
  const catName = new Map(ds.categories.map((c) => [c.id, c.name]));
  const labels = new Map<number, Set<string>>();
  for (const a of ds.annotations)
    labels.set(a.imageId, (labels.get(a.imageId) ?? new Set()).add(catName.get(a.categoryId)!));
  const rows: ManifestRow[] = [];
  for (const img of ds.images) {
    for (const label of [...(labels.get(img.id) ?? [])].sort()) {
      const stem = basename(img.file, extname(img.file));
      rows.push({
        image_id: String(img.id),
        image_path: resolve(ds.imageRoot, img.file),
        mask_path: opts.maskRoot ? resolve(opts.maskRoot, label, `${stem}.png`) : '',
        label,
        split: img.split ?? '',
        source_dataset: opts.source ?? '',
      });
    }
  }
  return rows;
}

const cell = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** A path as a manifest in `dir` stores it: relative to `dir`, with forward slashes. */
const storedPath = (p: string, dir: string) => (p ? relative(dir, resolve(p)).split(sep).join('/') : '');

/**
 * Serialises rows as CSV with a header. With `dir` (the CSV's folder), image and mask paths are written relative
 * to it, so the file can move together with its data.
 */
export function manifestToCsv(rows: ManifestRow[], dir?: string): string {
  if (dir !== undefined)
    rows = rows.map((r) => ({
      ...r,
      image_path: storedPath(r.image_path, dir),
      mask_path: storedPath(r.mask_path, dir),
    }));
  return `${[MANIFEST_COLUMNS.join(','), ...rows.map((r) => MANIFEST_COLUMNS.map((c) => cell(r[c])).join(','))].join('\n')}\n`;
}

/** Splits one CSV line, honouring double quotes. */
function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/**
 * Reads a manifest CSV, reporting every malformed line together (`E_DATASET_INVALID`). Relative image and mask
 * paths are resolved against the CSV's own folder, so the rows hold absolute paths.
 */
export async function readManifest(path: string): Promise<ManifestRow[]> {
  const lines = (await readInput(path)).toString('utf8').split(/\r?\n/);
  const file = basename(path);
  const base = path === '-' ? process.cwd() : dirname(resolve(path));
  const fromCsv = (q: string) => (!q ? '' : isAbsolute(q) ? q : resolve(base, q));
  const p = new Problems();
  const header = splitCsvLine(lines[0] ?? '');
  const missing = MANIFEST_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length) {
    p.add(file, 'line 1', `the header lacks ${missing.join(', ')}`);
    p.throwIfAny();
  }
  const rows: ManifestRow[] = [];
  for (const [i, line] of lines.slice(1).entries()) {
    if (!line.trim()) continue;
    const cells = splitCsvLine(line);
    if (cells.length !== header.length) {
      p.add(file, `line ${i + 2}`, `has ${cells.length} fields, the header has ${header.length}`);
      continue;
    }
    const row = Object.fromEntries(header.map((h, k) => [h, cells[k]!])) as unknown as ManifestRow;
    if (!row.image_path) p.add(file, `line ${i + 2}`, 'image_path is empty');
    else rows.push({ ...row, image_path: fromCsv(row.image_path), mask_path: fromCsv(row.mask_path) });
  }
  p.throwIfAny();
  return rows;
}

/** Writes a manifest CSV atomically, its paths relative to the CSV's folder. */
export async function writeManifest(rows: ManifestRow[], path: string): Promise<void> {
  await writeFileAtomic(path, manifestToCsv(rows, dirname(resolve(path))));
}

/**
 * Merges manifests: rows are keyed by (image_path, label); an identical repeat is dropped, a repeat that disagrees
 * (another mask or split) is an error naming both sources.
 */
export function mergeManifests(lists: { name: string; rows: ManifestRow[] }[]): ManifestRow[] {
  const seen = new Map<string, { row: ManifestRow; from: string }>();
  const out: ManifestRow[] = [];
  for (const { name, rows } of lists) {
    for (const row of rows) {
      const key = `${row.image_path}\n${row.label}`;
      const prev = seen.get(key);
      if (!prev) {
        seen.set(key, { row, from: name });
        out.push(row);
      } else if (prev.row.mask_path !== row.mask_path || prev.row.split !== row.split) {
        throw new InvalidArgumentError(
          `${row.image_path} (${row.label}) differs between ${prev.from} and ${name}`,
        );
      }
    }
  }
  return out;
}
