// What `segkit text train` keeps between epochs: the resume state (weights, AdamW moments, history) in
// `<out>/.segkit-train/`, written atomically after every epoch, and the loss / val-mIoU curve as a PNG.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, svgToPng, writeFileAtomic } from '@segkit/core';
import type { AdamW } from '@segkit/models';

/** Val scores of a model: mIoU and Dice at 0.5 (overall and per label), and the sweep's best threshold. */
export type ValScore = Omit<EpochRow, 'epoch' | 'trainLoss' | 'seconds'>;

export interface EpochRow {
  epoch: number;
  trainLoss: number;
  /** Val mIoU and Dice at threshold 0.5. */
  miou: number;
  dice: number;
  perLabel: Record<string, { miou: number; dice: number }>;
  /** The sweep's best threshold and its mIoU. */
  bestThreshold: number;
  bestMiou: number;
  seconds: number;
}

/** Settings that must not change when a training resumes. */
const FIXED = [
  'manifest',
  'model',
  'lr',
  'weightDecay',
  'batch',
  'size',
  'seed',
  'valSplit',
  'freezeReduces',
  'balance',
];

const dirOf = (out: string) => join(out, '.segkit-train');

function pack(named: Array<[string, Float32Array]>): Buffer {
  const header = Buffer.from(`${JSON.stringify(named.map(([n, a]) => [n, a.length]))}\n`);
  return Buffer.concat([header, ...named.map(([, a]) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))]);
}

function unpack(buf: Buffer): Map<string, Float32Array> {
  const nl = buf.indexOf(10);
  const index = JSON.parse(buf.subarray(0, nl).toString('utf8')) as Array<[string, number]>;
  let off = nl + 1;
  const out = new Map<string, Float32Array>();
  for (const [name, n] of index) {
    const a = new Float32Array(n);
    new Uint8Array(a.buffer).set(buf.subarray(off, off + n * 4));
    off += n * 4;
    out.set(name, a);
  }
  return out;
}

export async function saveState(
  out: string,
  settings: Record<string, unknown>,
  params: Map<string, Float32Array>,
  optimizer: AdamW,
  history: EpochRow[],
  best: EpochRow | null,
  zeroShot: ValScore | null,
): Promise<void> {
  const named: Array<[string, Float32Array]> = [
    ...[...params].map(([k, v]) => [`p:${k}`, v] as [string, Float32Array]),
    ...[...optimizer.m].map(([k, v]) => [`m:${k}`, v] as [string, Float32Array]),
    ...[...optimizer.v].map(([k, v]) => [`v:${k}`, v] as [string, Float32Array]),
  ];
  mkdirSync(dirOf(out), { recursive: true });
  await writeFileAtomic(join(dirOf(out), 'weights.bin'), pack(named));
  await writeFileAtomic(
    join(dirOf(out), 'state.json'),
    `${JSON.stringify({ settings, step: optimizer.step, history, best, zeroShot }, null, 2)}\n`,
  );
}

export interface LoadedState {
  params: Map<string, Float32Array>;
  history: EpochRow[];
  best: EpochRow | null;
  zeroShot: ValScore | null;
  restoreOptimizer(optimizer: AdamW): void;
}

/** The state of an interrupted training in `out`, refused if its fixed settings differ from `settings`. */
export function loadState(out: string, settings: Record<string, unknown>): LoadedState {
  const file = join(dirOf(out), 'state.json');
  if (!existsSync(file))
    throw new InvalidArgumentError(
      `${out} has no training to resume (no .segkit-train/state.json); drop --resume`,
    );
  const saved = JSON.parse(readFileSync(file, 'utf8')) as {
    settings: Record<string, unknown>;
    step: number;
    history: EpochRow[];
    best: EpochRow | null;
    zeroShot?: ValScore | null;
  };
  const changed = FIXED.filter((k) => JSON.stringify(saved.settings[k]) !== JSON.stringify(settings[k]));
  if (changed.length)
    throw new InvalidArgumentError(
      `${out} was trained with ${changed.map((k) => `${k}=${JSON.stringify(saved.settings[k])}`).join(', ')}; resume with the same settings`,
    );
  const all = unpack(readFileSync(join(dirOf(out), 'weights.bin')));
  const pick = (prefix: string) =>
    new Map([...all].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
  return {
    params: pick('p:'),
    history: saved.history,
    best: saved.best,
    zeroShot: saved.zeroShot ?? null,
    restoreOptimizer(optimizer) {
      optimizer.step = saved.step;
      for (const [k, v] of pick('m:')) optimizer.m.set(k, v);
      for (const [k, v] of pick('v:')) optimizer.v.set(k, v);
    },
  };
}

/** Removes the resume state once a training has finished. */
export function clearState(out: string): void {
  rmSync(dirOf(out), { recursive: true, force: true });
}

/** Train loss and val mIoU (at 0.5 and at the best threshold) per epoch, as a PNG. */
export async function writeCurve(path: string, history: EpochRow[]): Promise<void> {
  const W = 640;
  const H = 390;
  const [l, r, t, b] = [56, 24, 36, 74];
  const n = history.length;
  const x = (e: number) => l + (n === 1 ? (W - l - r) / 2 : ((e - 1) / (n - 1)) * (W - l - r));
  const maxLoss = Math.max(...history.map((h) => h.trainLoss), 1e-9);
  const yLoss = (v: number) => t + (1 - v / maxLoss) * (H - t - b);
  const yIou = (v: number) => t + (1 - v) * (H - t - b);
  const line = (pts: Array<[number, number]>, colour: string, dash = '') =>
    `<polyline fill="none" stroke="${colour}" stroke-width="2.5" ${dash ? `stroke-dasharray="${dash}"` : ''} points="${pts.map(([a, c]) => `${a.toFixed(1)},${c.toFixed(1)}`).join(' ')}"/>` +
    pts
      .map(([a, c]) => `<circle cx="${a.toFixed(1)}" cy="${c.toFixed(1)}" r="3.5" fill="${colour}"/>`)
      .join('');
  const font = 'font-family="DejaVu Sans, sans-serif" font-size="12"';
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (v) =>
        `<line x1="${l}" x2="${W - r}" y1="${yIou(v)}" y2="${yIou(v)}" stroke="#e5e5e5"/><text x="${l - 8}" y="${yIou(v) + 4}" text-anchor="end" ${font}>${v}</text>`,
    )
    .join('');
  const epochs = history
    .map((h) => `<text x="${x(h.epoch)}" y="${H - b + 18}" text-anchor="middle" ${font}>${h.epoch}</text>`)
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><rect width="100%" height="100%" fill="white"/>
<text x="${l}" y="22" font-family="DejaVu Sans, sans-serif" font-size="14">Training: loss (scaled to its maximum, ${maxLoss.toFixed(3)}) and val mIoU per epoch</text>${ticks}${epochs}
<text x="${(W + l - r) / 2}" y="${H - b + 36}" text-anchor="middle" ${font}>epoch</text>
${line(
  history.map((h) => [x(h.epoch), yLoss(h.trainLoss)]),
  '#d62728',
)}
${line(
  history.map((h) => [x(h.epoch), yIou(h.bestMiou)]),
  '#1f77b4',
)}
${line(
  history.map((h) => [x(h.epoch), yIou(h.miou)]),
  '#1f77b4',
  '5 4',
)}
<g ${font}>
<line x1="${l}" x2="${l + 26}" y1="${H - 14}" y2="${H - 14}" stroke="#d62728" stroke-width="2.5"/><text x="${l + 32}" y="${H - 10}">train loss</text>
<line x1="${l + 130}" x2="${l + 156}" y1="${H - 14}" y2="${H - 14}" stroke="#1f77b4" stroke-width="2.5"/><text x="${l + 162}" y="${H - 10}">val mIoU, best threshold</text>
<line x1="${l + 340}" x2="${l + 366}" y1="${H - 14}" y2="${H - 14}" stroke="#1f77b4" stroke-width="2.5" stroke-dasharray="5 4"/><text x="${l + 372}" y="${H - 10}">val mIoU at 0.5</text></g></svg>`;
  await writeFileAtomic(path, await svgToPng(svg));
}
