// What `segkit recipe mine -o DIR` writes: one ZIP per class, report.json, report.txt (the per-class table) and a
// precision–coverage curve per class as PNG, with the recipe's own point marked.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { svgToPng, writeFileAtomic } from '@segkit/core';
import { slug } from '@segkit/models';
import { writeRecipe } from './archive.js';
import type { MineResult } from './mine.js';
import type { ClassReport, MineReport } from './mine-report.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const f2 = (v: number) => v.toFixed(2);

/** The per-class table of a mining report. */
export function reportText(r: MineReport): string {
  const head = [
    'class',
    'coverage',
    'precision',
    'false pos',
    'duplicates',
    'det rate',
    'AP',
    'baseline P/C',
    'prompts',
  ];
  const rows = Object.entries(r.classes).map(([name, c]) => [
    name,
    f2(c.coverage),
    f2(c.precision),
    String(c.falsePositives),
    String(c.duplicates),
    f2(c.detectionRate),
    f2(c.ap),
    `${f2(c.baseline.precision)}/${f2(c.baseline.coverage)}`,
    c.prompts.join(' | ') || '(none)',
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i ? c.padStart(width[i]!) : c.padEnd(width[i]!)))
      .join('  ')
      .trimEnd();
  const notes = Object.entries(r.classes).flatMap(([name, c]) => c.notes.map((n) => `${name}: ${n}`));
  return [
    `${r.mode} recipes, target precision ${r.targetPrecision}, match IoU ${r.iou}; validation ${r.split.valImages} images, training ${r.split.trainImages} (seed ${r.split.seed})`,
    line(head),
    ...rows.map(line),
    ...(notes.length ? ['', ...notes] : []),
    '',
    `find-all: ${r.cache.findCalls} run by a model, ${r.cache.cacheHits} from the cache; ${r.cache.embedded} crops embedded; ${r.seconds.toFixed(1)} s`,
    '',
  ].join('\n');
}

/** A precision–coverage curve (as the filter's first threshold moves) with the recipe's point. */
export function curveSvg(name: string, c: ClassReport): string {
  const W = 480;
  const H = 360;
  const x = (v: number) => 50 + v * (W - 70);
  const y = (v: number) => H - 40 - v * (H - 80);
  const font = 'font-family="DejaVu Sans, sans-serif"';
  const pts = [...c.curve].sort((a, b) => a.coverage - b.coverage || b.precision - a.precision);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="12" y="22" ${font} font-size="14">${esc(name)}: precision against coverage</text>`,
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(0)}" stroke="#333"/>`,
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(0)}" y2="${y(1)}" stroke="#333"/>`,
    ...[0, 0.5, 1].flatMap((t) => [
      `<text x="${x(t)}" y="${y(0) + 14}" text-anchor="middle" ${font} font-size="10">${t}</text>`,
      `<text x="${x(0) - 6}" y="${y(t) + 3}" text-anchor="end" ${font} font-size="10">${t}</text>`,
    ]),
    `<text x="${x(0.5)}" y="${H - 8}" text-anchor="middle" ${font} font-size="12">coverage</text>`,
    `<text transform="translate(14,${y(0.5)}) rotate(-90)" text-anchor="middle" ${font} font-size="12">precision</text>`,
    pts.length
      ? `<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="${pts.map((p) => `${x(p.coverage).toFixed(1)},${y(p.precision).toFixed(1)}`).join(' ')}"/>`
      : '',
    `<circle cx="${x(c.baseline.coverage)}" cy="${y(c.baseline.precision)}" r="5" fill="#999"/>`,
    `<circle cx="${x(c.unfiltered.coverage)}" cy="${y(c.unfiltered.precision)}" r="5" fill="#ff7f0e"/>`,
    `<circle cx="${x(c.coverage)}" cy="${y(c.precision)}" r="6" fill="#d62728"/>`,
    `<text x="${W - 170}" y="${y(0.18)}" ${font} font-size="11" fill="#d62728">● this recipe</text>`,
    `<text x="${W - 170}" y="${y(0.12)}" ${font} font-size="11" fill="#ff7f0e">● its prompts, no filter</text>`,
    `<text x="${W - 170}" y="${y(0.06)}" ${font} font-size="11" fill="#777">● class name, no filter</text>`,
    '</svg>',
  ].join('');
}

/** Writes a mining result into `dir`: `<class>.zip`, `<class>-curve.png`, report.json and report.txt. */
export async function writeMineOutput(dir: string, r: MineResult): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, bundle] of r.bundles) {
    const base = slug(name) || 'class';
    await writeRecipe(join(dir, `${base}.zip`), bundle);
    await writeFileAtomic(
      join(dir, `${base}-curve.png`),
      await svgToPng(curveSvg(name, r.report.classes[name]!)),
    );
    written.push(`${base}.zip`, `${base}-curve.png`);
  }
  await writeFileAtomic(join(dir, 'report.json'), `${JSON.stringify(r.report, null, 2)}\n`);
  await writeFileAtomic(join(dir, 'report.txt'), reportText(r.report));
  return [...written, 'report.json', 'report.txt'];
}
