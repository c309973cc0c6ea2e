import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, paletteColor, writeFileAtomic } from '@segkit/core';
import sharp from 'sharp';
import type { MaskRow } from './pipeline.js';

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

const esc = (s: string) =>
  s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The UMAP scatter as SVG: one dot per mask coloured by cluster (noise grey), with a legend and hover titles. */
export function scatterSvg(rows: MaskRow[], width = 800, height = 600): string {
  const pts = rows.filter((r) => r.mask_umap);
  const xs = pts.map((r) => r.mask_umap![0]);
  const ys = pts.map((r) => r.mask_umap![1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const plotW = width - 180;
  const sx = (x: number) => 30 + ((x - x0) / (x1 - x0 || 1)) * (plotW - 60);
  const sy = (y: number) => 30 + ((y1 - y) / (y1 - y0 || 1)) * (height - 60);
  const colour = (c: number) => (c < 0 ? 'rgb(170,170,170)' : `rgb(${paletteColor(c).join(',')})`);
  const clusters = [...new Set(pts.map((r) => r.mask_cluster ?? -1))].sort((a, b) => a - b);
  const dots = pts
    .map(
      (r) =>
        `<circle cx="${sx(r.mask_umap![0]).toFixed(1)}" cy="${sy(r.mask_umap![1]).toFixed(1)}" r="4" fill="${colour(r.mask_cluster ?? -1)}" fill-opacity="0.85"><title>${esc(r.id)} (cluster ${r.mask_cluster})</title></circle>`,
    )
    .join('');
  const legend = clusters
    .map((c, i) => {
      const n = pts.filter((r) => (r.mask_cluster ?? -1) === c).length;
      return `<circle cx="${plotW + 20}" cy="${40 + i * 22}" r="6" fill="${colour(c)}"/><text x="${plotW + 34}" y="${45 + i * 22}" font-family="DejaVu Sans, sans-serif" font-size="14">${c < 0 ? 'noise' : `cluster ${c}`} (${n})</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/><text x="30" y="20" font-family="DejaVu Sans, sans-serif" font-size="14">UMAP of ${pts.length} masks, coloured by HDBSCAN cluster</text>${dots}${legend}</svg>`;
}

/** Writes the scatter as a PNG, or with `html` as a self-contained interactive page (hover a dot for its mask id). */
export async function plotRun(
  runDir: string,
  out: string,
  opts: { html?: boolean } = {},
): Promise<{ notes: string[] }> {
  const svg = scatterSvg(readRows(runDir));
  const notes = oldClusterNote(runDir);
  if (opts.html) {
    await writeFileAtomic(
      out,
      `<!doctype html><html><head><meta charset="utf-8"><title>SegKit mask clusters</title></head><body>${svg}</body></html>\n`,
    );
    return { notes };
  }
  await writeFileAtomic(out, await sharp(Buffer.from(svg)).png().toBuffer());
  return { notes };
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
