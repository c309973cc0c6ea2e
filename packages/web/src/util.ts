import { ApiError } from './api.js';

/** An error as a sentence for a person: the server's message, capitalised and ended with a full stop, no code. */
export function errorText(e: unknown): string {
  const raw = e instanceof ApiError ? e.message : e instanceof Error ? e.message : String(e);
  const text = raw.replace(/^E_[A-Z_]+:\s*/, '').trim();
  if (!text) return 'Something went wrong.';
  const sentence = text[0]!.toUpperCase() + text.slice(1);
  return /[.!?…)]$/.test(sentence) ? sentence : `${sentence}.`;
}

/** The stable code of an error (E_…), for the small print; null for one that has none. */
export const errorCode = (e: unknown): string | null => (e instanceof ApiError ? e.code : null);

/** A label's colour from the project, else a stable colour from its name. */
export function colourOf(label: string | null, labels: { name: string; colour: string }[]): string {
  const known = labels.find((l) => l.name === label)?.colour;
  if (known) return known;
  let h = 0;
  for (const ch of label ?? '') h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return label ? `hsl(${h % 360} 80% 50%)` : '#ffb000';
}

/** '#rrggbb' or 'hsl(…)' → [r, g, b] through a canvas, cached. */
const rgbCache = new Map<string, [number, number, number]>();
export function toRgb(colour: string): [number, number, number] {
  let c = rgbCache.get(colour);
  if (c) return c;
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour);
  if (m) c = [Number.parseInt(m[1]!, 16), Number.parseInt(m[2]!, 16), Number.parseInt(m[3]!, 16)];
  else {
    const ctx = document.createElement('canvas').getContext('2d')!;
    ctx.fillStyle = colour;
    ctx.fillRect(0, 0, 1, 1);
    const d = ctx.getImageData(0, 0, 1, 1).data;
    c = [d[0]!, d[1]!, d[2]!];
  }
  rgbCache.set(colour, c);
  return c;
}

/** Label colours that stay apart from each other (Okabe–Ito, then Tableau); new labels take the first unused one. */
export const LABEL_PALETTE = [
  '#e69f00',
  '#56b4e9',
  '#009e73',
  '#f0e442',
  '#0072b2',
  '#d55e00',
  '#cc79a7',
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#b07aa1',
  '#9c755f',
];

/** The colour a new label gets: the palette's first colour no label uses yet. */
export function nextLabelColour(labels: { colour: string }[]): string {
  const used = new Set(labels.map((l) => l.colour.toLowerCase()));
  return LABEL_PALETTE.find((c) => !used.has(c)) ?? LABEL_PALETTE[labels.length % LABEL_PALETTE.length]!;
}
