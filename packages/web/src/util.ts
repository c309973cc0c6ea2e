import { ApiError } from './api.js';

export const errorText = (e: unknown) => (e instanceof ApiError ? `${e.code}: ${e.message}` : String(e));

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
