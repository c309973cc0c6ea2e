// `segkit eval ap`'s inputs and outputs: detections from a COCO results list (or a COCO file with scores), COCOeval's
// 12-line summary with a per-category table, and a precision–recall curve per category and overall.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetInvalidError, readJsonFile, svgToPng, writeFileAtomic } from '@segkit/core';
import type { ApResult, CocoAnn } from './coco-ap.js';

/** A results list `[{image_id, category_id, segmentation|bbox, score}]`, or a COCO file whose annotations have scores. */
export async function readDetections(path: string): Promise<CocoAnn[]> {
  const data = await readJsonFile(path);
  const list = Array.isArray(data) ? data : (data as { annotations?: unknown }).annotations;
  if (!Array.isArray(list))
    throw new DatasetInvalidError(
      `${path} is neither a COCO results list ([{image_id, category_id, segmentation|bbox, score}]) nor a COCO file with annotations`,
    );
  for (const [n, d] of list.entries()) {
    const o = d as Record<string, unknown>;
    if (!o || typeof o !== 'object' || typeof o.image_id !== 'number' || typeof o.category_id !== 'number')
      throw new DatasetInvalidError(`${path}: detection ${n} needs a numeric image_id and category_id`);
    if (typeof o.score !== 'number')
      throw new DatasetInvalidError(
        `${path}: detection ${n} has no score (a results list needs one per detection)`,
      );
  }
  return list as CocoAnn[];
}

const LINES: [keyof ApResult['stats'], string, string, string, number][] = [
  ['AP', 'Average Precision', '0.50:0.95', 'all', 100],
  ['AP50', 'Average Precision', '0.50', 'all', 100],
  ['AP75', 'Average Precision', '0.75', 'all', 100],
  ['APs', 'Average Precision', '0.50:0.95', 'small', 100],
  ['APm', 'Average Precision', '0.50:0.95', 'medium', 100],
  ['APl', 'Average Precision', '0.50:0.95', 'large', 100],
  ['AR1', 'Average Recall', '0.50:0.95', 'all', 1],
  ['AR10', 'Average Recall', '0.50:0.95', 'all', 10],
  ['AR100', 'Average Recall', '0.50:0.95', 'all', 100],
  ['ARs', 'Average Recall', '0.50:0.95', 'small', 100],
  ['ARm', 'Average Recall', '0.50:0.95', 'medium', 100],
  ['ARl', 'Average Recall', '0.50:0.95', 'large', 100],
];

/** COCOeval.summarize()'s 12 lines, character for character, then AP per category. */
export function apSummary(r: ApResult, names: Map<number, string> = new Map()): string {
  const lines = LINES.map(([k, title, iou, area, md]) => {
    const type = title.includes('Precision') ? '(AP)' : '(AR)';
    return ` ${title.padEnd(18)} ${type} @[ IoU=${iou.padEnd(9)} | area=${area.padStart(6)} | maxDets=${String(md).padStart(3)} ] = ${r.stats[k].toFixed(3)}`;
  });
  const w = Math.max(8, ...[...names.values()].map((n) => n.length)) + 2;
  const cats = Object.entries(r.per_category_AP).map(
    ([id, ap]) => `${id.padStart(8)}  ${(names.get(Number(id)) ?? '').padEnd(w)}${ap.toFixed(3).padStart(7)}`,
  );
  return `${lines.join('\n')}\n\n${'category'.padStart(8)}  ${'name'.padEnd(w)}${'AP'.padStart(7)}\n${cats.join('\n')}\n`;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A precision–recall chart (101 recall points) with one line per series; -1 points are left out. */
export function prCurveSvg(
  title: string,
  series: { name: string; points: number[]; colour: string }[],
): string {
  const W = 520;
  const H = 400;
  const x = (r: number) => 50 + r * (W - 70);
  const y = (p: number) => H - 40 - p * (H - 80);
  const parts = [
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="12" y="22" font-family="DejaVu Sans, sans-serif" font-size="14">${esc(title)}</text>`,
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(0)}" stroke="#333"/>`,
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(0)}" y2="${y(1)}" stroke="#333"/>`,
    `<text x="${x(0.5)}" y="${H - 10}" text-anchor="middle" font-family="DejaVu Sans, sans-serif" font-size="12">recall</text>`,
    `<text transform="translate(14,${y(0.5)}) rotate(-90)" text-anchor="middle" font-family="DejaVu Sans, sans-serif" font-size="12">precision</text>`,
  ];
  for (const t of [0, 0.5, 1])
    parts.push(
      `<text x="${x(t)}" y="${y(0) + 14}" text-anchor="middle" font-family="DejaVu Sans, sans-serif" font-size="10">${t}</text>`,
      `<text x="${x(0) - 6}" y="${y(t) + 3}" text-anchor="end" font-family="DejaVu Sans, sans-serif" font-size="10">${t}</text>`,
    );
  series.forEach((s, i) => {
    const pts = s.points.flatMap((p, r) => (p >= 0 ? [`${x(r / 100).toFixed(1)},${y(p).toFixed(1)}`] : []));
    if (pts.length)
      parts.push(`<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${pts.join(' ')}"/>`);
    parts.push(
      `<rect x="${W - 200}" y="${40 + i * 16}" width="10" height="10" fill="${s.colour}"/>`,
      `<text x="${W - 185}" y="${49 + i * 16}" font-family="DejaVu Sans, sans-serif" font-size="11">${esc(s.name)}</text>`,
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${parts.join('')}</svg>`;
}

/** Writes summary.txt, ap.json and the precision–recall curves (pr-all.png, pr-<category id>.png) into `out`. */
export async function writeApReport(
  r: ApResult,
  out: string,
  names: Map<number, string> = new Map(),
): Promise<string[]> {
  mkdirSync(out, { recursive: true });
  const files = ['summary.txt', 'ap.json', 'pr-all.png'];
  await writeFileAtomic(join(out, 'summary.txt'), apSummary(r, names));
  const { curves, ...rest } = r;
  await writeFileAtomic(join(out, 'ap.json'), `${JSON.stringify({ ...rest, curves }, null, 2)}\n`);
  const mean = (k: number) => {
    const v = r.curves.map((c) => c.mean[k]!).filter((p) => p >= 0);
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : -1;
  };
  const overall = Array.from({ length: 101 }, (_, k) => mean(k));
  await writeFileAtomic(
    join(out, 'pr-all.png'),
    await svgToPng(
      prCurveSvg(`All categories (${r.iouType}): AP ${r.stats.AP.toFixed(3)}`, [
        { name: 'mean over IoU .50:.95', points: overall, colour: '#2b63d9' },
      ]),
    ),
  );
  for (const c of r.curves) {
    const name = names.get(c.category) ?? String(c.category);
    const file = `pr-${c.category}.png`;
    await writeFileAtomic(
      join(out, file),
      await svgToPng(
        prCurveSvg(`${name} (${r.iouType}): AP ${r.per_category_AP[String(c.category)]!.toFixed(3)}`, [
          { name: 'IoU .50', points: c.iou50, colour: '#e6194b' },
          { name: 'mean over IoU .50:.95', points: c.mean, colour: '#2b63d9' },
        ]),
      ),
    );
    files.push(file);
  }
  return files;
}
