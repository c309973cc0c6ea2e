// The points of a run's scatter in typed arrays (no object per point past parsing), and the raster PNG drawn from
// them: at 100k masks a PNG is drawn straight into pixels, not through one SVG node per point.
import { paletteColor } from '@segkit/core';
import sharp from 'sharp';
import type { MaskRow } from './pipeline.js';

export interface ScatterData {
  /** Layout coordinates, unit square after `normalise` (y up). */
  x: Float32Array;
  y: Float32Array;
  /** HDBSCAN label per point, -1 for noise. */
  cluster: Int32Array;
  /** The rows that had a layout, in the same order. */
  rows: MaskRow[];
}

/** The rows that have a UMAP position, with coordinates scaled into the unit square (aspect kept). */
export function scatterData(allRows: MaskRow[]): ScatterData {
  const rows = allRows.filter((r) => r.mask_umap);
  const n = rows.length;
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  const cluster = new Int32Array(n);
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    const [px, py] = rows[i]!.mask_umap!;
    if (px < x0) x0 = px;
    if (px > x1) x1 = px;
    if (py < y0) y0 = py;
    if (py > y1) y1 = py;
  }
  const span = Math.max(x1 - x0, y1 - y0) || 1;
  const [cx, cy] = [(x0 + x1) / 2, (y0 + y1) / 2];
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    x[i] = 0.5 + (r.mask_umap![0] - cx) / span;
    y[i] = 0.5 + (r.mask_umap![1] - cy) / span;
    cluster[i] = r.mask_cluster ?? -1;
  }
  return { x, y, cluster, rows };
}

/** Cluster sizes, largest first, noise (-1) last. */
export function clusterSizes(cluster: Int32Array): Array<[number, number]> {
  const counts = new Map<number, number>();
  for (const c of cluster) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts].sort((a, b) => (a[0] < 0 ? 1 : b[0] < 0 ? -1 : b[1] - a[1] || a[0] - b[0]));
}

export const NOISE_RGB: [number, number, number] = [170, 170, 170];
/** A cluster's colour: the shared palette, skipping its grey (index 7), which noise would be mistaken for. */
export const clusterRgb = (c: number): [number, number, number] =>
  c < 0 ? NOISE_RGB : paletteColor(c >= 7 ? c + 1 : c);

/** Dot radius and opacity for n points: big dots for a few hundred masks, fine ones for 100k. */
export function dotStyle(n: number): { radius: number; alpha: number } {
  if (n <= 2000) return { radius: 4, alpha: 0.85 };
  if (n <= 20000) return { radius: 2.5, alpha: 0.7 };
  return { radius: 1.5, alpha: 0.55 };
}

const LEGEND_W = 230;
const LEGEND_ROWS = 24;
const FONT = 'font-family="DejaVu Sans, sans-serif"';
const esc = (s: string) =>
  s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * The scatter as a PNG: dots rasterised into an RGBA buffer (noise first, so clusters sit on top), then the title and
 * a legend (the 24 largest clusters, the rest summed) composited as a small SVG.
 */
export async function scatterPng(data: ScatterData, width = 1000, height = 720): Promise<Buffer> {
  const n = data.x.length;
  const px = new Uint8ClampedArray(width * height * 4).fill(255);
  const { ox, oy, side, plotW } = scatterFrame(width, height);
  const { radius, alpha } = dotStyle(n);
  const r2 = (radius + 0.5) ** 2;
  const reach = Math.ceil(radius);
  for (const noisePass of [true, false]) {
    for (let i = 0; i < n; i++) {
      const c = data.cluster[i]!;
      if (c < 0 !== noisePass) continue;
      const [cr, cg, cb] = clusterRgb(c);
      const fx = ox + data.x[i]! * side;
      const fy = oy + (1 - data.y[i]!) * side;
      const [ix, iy] = [Math.round(fx), Math.round(fy)];
      for (let dy = -reach; dy <= reach; dy++) {
        const yy = iy + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -reach; dx <= reach; dx++) {
          const xx = ix + dx;
          if (xx < 0 || xx >= plotW || (xx + 0.5 - fx) ** 2 + (yy + 0.5 - fy) ** 2 > r2) continue;
          const o = (yy * width + xx) * 4;
          px[o] = px[o]! + (cr - px[o]!) * alpha;
          px[o + 1] = px[o + 1]! + (cg - px[o + 1]!) * alpha;
          px[o + 2] = px[o + 2]! + (cb - px[o + 2]!) * alpha;
        }
      }
    }
  }
  const overlay = Buffer.from(legendSvg(data, width, height, plotW));
  return sharp(Buffer.from(px.buffer), { raw: { width, height, channels: 4 } })
    .composite([{ input: overlay, top: 0, left: 0 }])
    .png()
    .toBuffer();
}

/** Where the unit square lands in a PNG of this size: pixel = (ox + x·side, oy + (1 − y)·side). */
export function scatterFrame(width: number, height: number) {
  const plotW = width - LEGEND_W;
  const side = Math.min(plotW - 40, height - 70);
  return { ox: 20 + (plotW - 40 - side) / 2, oy: 40 + (height - 70 - side) / 2, side, plotW };
}

function legendSvg(data: ScatterData, width: number, height: number, plotW: number): string {
  const sizes = clusterSizes(data.cluster);
  const named = sizes.filter(([c]) => c >= 0);
  const noise = sizes.find(([c]) => c < 0);
  const shown = named.slice(0, LEGEND_ROWS);
  const rest = named.slice(LEGEND_ROWS);
  const lines: Array<{ rgb: [number, number, number] | null; text: string }> = shown.map(([c, k]) => ({
    rgb: clusterRgb(c),
    text: `cluster ${c} (${k})`,
  }));
  if (rest.length)
    lines.push({
      rgb: null,
      text: `+${rest.length} more clusters (${rest.reduce((s, [, k]) => s + k, 0)})`,
    });
  if (noise) lines.push({ rgb: NOISE_RGB, text: `noise (${noise[1]})` });
  const rowH = Math.min(22, (height - 60) / Math.max(1, lines.length));
  const items = lines
    .map(({ rgb, text }, i) => {
      const y = 50 + i * rowH;
      const dot = rgb ? `<circle cx="${plotW + 16}" cy="${y}" r="6" fill="rgb(${rgb.join(',')})"/>` : '';
      return `${dot}<text x="${plotW + 30}" y="${y + 5}" ${FONT} font-size="13">${esc(text)}</text>`;
    })
    .join('');
  const title = `UMAP of ${data.x.length} masks, coloured by HDBSCAN cluster (${named.length} clusters)`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><text x="20" y="24" ${FONT} font-size="15">${esc(title)}</text>${items}</svg>`;
}
