// A head's evaluation as text (accuracy, macro-F1, a per-class table, the confusion matrix) and as a confusion-matrix
// picture (PNG, rows: true label, columns: predicted; each cell shaded by its share of the row).
import { writeFileAtomic } from '@segkit/core';
import sharp from 'sharp';

export interface HeadReport {
  labels: string[];
  matrix: number[][];
  accuracy: number;
  macroF1: number;
  perClass: { precision: number; recall: number; f1: number; support: number }[];
}

export function reportText(r: HeadReport): string {
  const w = Math.max(8, ...r.labels.map((l) => l.length)) + 2;
  const lines = [
    `accuracy ${r.accuracy.toFixed(4)}  macro-F1 ${r.macroF1.toFixed(4)}  (${r.perClass.reduce((a, c) => a + c.support, 0)} samples)`,
    '',
    `${'label'.padEnd(w)}${'precision'.padStart(10)}${'recall'.padStart(10)}${'F1'.padStart(10)}${'support'.padStart(10)}`,
    ...r.labels.map((l, k) => {
      const c = r.perClass[k]!;
      return `${l.padEnd(w)}${c.precision.toFixed(3).padStart(10)}${c.recall.toFixed(3).padStart(10)}${c.f1.toFixed(3).padStart(10)}${String(c.support).padStart(10)}`;
    }),
    '',
    `confusion (rows: true, columns: predicted)`,
    `${''.padEnd(w)}${r.labels.map((l) => l.slice(0, 8).padStart(9)).join('')}`,
    ...r.matrix.map((row, k) => `${r.labels[k]!.padEnd(w)}${row.map((v) => String(v).padStart(9)).join('')}`),
  ];
  return `${lines.join('\n')}\n`;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function confusionSvg(r: HeadReport): string {
  const n = r.labels.length;
  const cell = Math.max(28, Math.min(64, Math.floor(640 / Math.max(1, n))));
  const left = 12 + 7 * Math.min(24, Math.max(...r.labels.map((l) => l.length)));
  const top = 70;
  const width = left + n * cell + 20;
  const height = top + n * cell + 40 + 7 * Math.min(24, Math.max(...r.labels.map((l) => l.length)));
  const parts: string[] = [
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="12" y="22" font-family="DejaVu Sans, sans-serif" font-size="15">Confusion matrix: accuracy ${r.accuracy.toFixed(3)}, macro-F1 ${r.macroF1.toFixed(3)}</text>`,
    `<text x="12" y="44" font-family="DejaVu Sans, sans-serif" font-size="12" fill="#555">rows: true label · columns: predicted · shade: share of the row</text>`,
  ];
  r.matrix.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    parts.push(
      `<text x="${left - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end" font-family="DejaVu Sans, sans-serif" font-size="12">${esc(r.labels[i]!.slice(0, 24))}</text>`,
    );
    row.forEach((v, j) => {
      const share = v / total;
      const shade = Math.round(255 - share * 200);
      const fill =
        i === j ? `rgb(${shade},${255 - Math.round(share * 80)},${shade})` : `rgb(255,${shade},${shade})`;
      const x = left + j * cell;
      const y = top + i * cell;
      parts.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" stroke="#999"/>`);
      parts.push(
        `<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" font-family="DejaVu Sans, sans-serif" font-size="12">${v}</text>`,
      );
    });
  });
  r.labels.forEach((l, j) => {
    const x = left + j * cell + cell / 2;
    const y = top + n * cell + 10;
    parts.push(
      `<text transform="translate(${x},${y}) rotate(45)" font-family="DejaVu Sans, sans-serif" font-size="12">${esc(l.slice(0, 24))}</text>`,
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

/** Writes the confusion matrix as a PNG. */
export async function writeConfusionPng(r: HeadReport, out: string): Promise<void> {
  await writeFileAtomic(
    out,
    await sharp(Buffer.from(confusionSvg(r)))
      .png()
      .toBuffer(),
  );
}
