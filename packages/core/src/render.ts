import sharp, { type OverlayOptions as SharpLayer } from 'sharp';
import { InvalidArgumentError } from './errors.js';
import { bbox } from './mask.js';
import type { Mask, RawImage } from './types.js';
import { assertMask, assertNumber, assertSameSize } from './validate.js';

/** The first 10 colours are Tableau's categorical palette; later indices walk the hue circle by the golden angle. */
const BASE: [number, number, number][] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
];

/**
 * Deterministic colour for a segment index: the same index always gets the same colour.
 * @example paletteColor(0) // [31, 119, 180]
 */
export function paletteColor(index: number): [number, number, number] {
  if (!Number.isInteger(index) || index < 0)
    throw new InvalidArgumentError(`Expected a non-negative integer index, got ${index}`);
  if (index < BASE.length) return BASE[index]!.slice() as [number, number, number];
  const hue = ((index - BASE.length) * 137.508) % 360;
  return hsvToRgb(hue, 0.7, 0.92);
}

function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const c = v * s;
  const x = c * (1 - Math.abs(((h / 60) % 2) - 1));
  const m = v - c;
  const [r, g, b] =
    h < 60
      ? [c, x, 0]
      : h < 120
        ? [x, c, 0]
        : h < 180
          ? [0, c, x]
          : h < 240
            ? [0, x, c]
            : h < 300
              ? [x, 0, c]
              : [c, 0, x];
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

/** The image as 3-channel RGB (grey is replicated, alpha dropped); RGB input is returned as is. */
export function toRgb(image: RawImage): RawImage {
  if (image.channels === 3) return image;
  const n = image.width * image.height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++)
      out[i * 3 + c] = image.data[i * image.channels + (image.channels === 1 ? 0 : c)]!;
  }
  return { width: image.width, height: image.height, channels: 3, data: out };
}

const escapeXml = (s: string) =>
  s.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );

/** Draws text boxes onto an RGB image through an SVG overlay. */
/** A label's box: wanted top-left corner and size, in pixels. */
export interface LabelBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

const overlapArea = (a: LabelBox, b: LabelBox) =>
  Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x)) *
  Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));

/**
 * Places label boxes inside a `width`×`height` image so that they do not cover each other: each goes at its wanted
 * corner when that is free, otherwise at the nearest free spot below or above it (then to its right), in order.
 * When no spot is free, the one with the least overlap is taken.
 */
export function placeLabels(boxes: LabelBox[], width: number, height: number): LabelBox[] {
  const placed: LabelBox[] = [];
  const clamp = (b: LabelBox): LabelBox => ({
    ...b,
    x: Math.max(0, Math.min(b.x, width - b.w)),
    y: Math.max(0, Math.min(b.y, height - b.h)),
  });
  for (const want of boxes) {
    const candidates: LabelBox[] = [clamp(want)];
    for (let step = 1; step <= 12; step++) {
      candidates.push(
        clamp({ ...want, y: want.y + step * want.h }),
        clamp({ ...want, y: want.y - step * want.h }),
      );
    }
    for (let step = 1; step <= 4; step++) {
      for (let row = 0; row <= 4; row++)
        candidates.push(clamp({ ...want, x: want.x + step * want.w, y: want.y + row * want.h }));
    }
    let best = candidates[0]!;
    let bestOverlap = Infinity;
    for (const c of candidates) {
      const o = placed.reduce((s, p) => s + overlapArea(c, p), 0);
      if (o < bestOverlap) {
        best = c;
        bestOverlap = o;
        if (o === 0) break;
      }
    }
    placed.push(best);
  }
  return placed;
}

async function drawLabels(
  image: RawImage,
  items: { text: string; x: number; y: number; colour: [number, number, number] }[],
  fontSize: number,
): Promise<RawImage> {
  if (items.length === 0) return image;
  const h = fontSize + 6;
  const placed = placeLabels(
    items.map(({ text, x, y }) => ({ x, y, w: Math.ceil(text.length * fontSize * 0.62) + 8, h })),
    image.width,
    image.height,
  );
  const boxes = items
    .map(({ text, colour }, k) => {
      const { x: bx, y: by, w } = placed[k]!;
      return `<rect x="${bx}" y="${by}" width="${w}" height="${h}" fill="rgb(${colour.join(',')})"/><text x="${bx + 4}" y="${by + fontSize}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}" fill="white">${escapeXml(text)}</text>`;
    })
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${image.width}" height="${image.height}">${boxes}</svg>`;
  const { data, info } = await sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: 3 },
  })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data) };
}

/** A segment to draw: a mask, optionally with a label. */
export interface OverlaySegment {
  mask: Mask;
  label?: string;
}

/** Options for {@link overlay}. */
export interface OverlayOptions {
  /** Fill opacity, 0–1 (default 0.5). */
  alpha?: number;
  /** Draw each segment's boundary in its full colour, with a contrasting halo just outside (default true). */
  outline?: boolean;
  /** Draw labels at each segment's top-left: `true` uses the segments' `label` (or their index), or pass the texts. */
  labels?: boolean | string[];
}

/**
 * Draws colour-coded segments over an image. Segment `i` always gets `paletteColor(i)`.
 * @example const out = await overlay(img, [cupMask, saucerMask], { alpha: 0.5, labels: ['cup', 'saucer'] });
 */
export async function overlay(
  image: RawImage,
  segments: (Mask | OverlaySegment)[],
  opts: OverlayOptions = {},
): Promise<RawImage> {
  const alpha = assertNumber(opts.alpha ?? 0.5, 'alpha', 0, 1);
  const outline = opts.outline ?? true;
  const rgb = toRgb(image);
  const out = rgb.data.slice();
  const { width: W, height: H } = rgb;
  const segs = segments.map((s) => ('mask' in s ? s : { mask: s }));
  segs.forEach((s, i) => {
    assertMask(s.mask, `segment ${i}`);
    assertSameSize(s.mask, rgb, `Segment ${i} and the image differ in size`);
  });
  const inv = 1 - alpha;
  const covered = new Uint8Array(W * H);
  for (const { mask } of segs) for (let i = 0; i < covered.length; i++) covered[i]! |= mask.data[i]!;
  segs.forEach(({ mask }, k) => {
    const [r, g, b] = paletteColor(k);
    // A one-pixel halo just outside the boundary (where no other segment is), dark for a light colour and light for a
    // dark one, keeps the outline visible on an object of the overlay's own colour.
    const halo = 0.299 * r + 0.587 * g + 0.114 * b > 128 ? 0 : 255;
    const d = mask.data;
    for (let y = 0, i = 0; y < H; y++) {
      for (let x = 0; x < W; x++, i++) {
        if (!d[i]) {
          if (
            outline &&
            !covered[i] &&
            ((x > 0 && d[i - 1]) || (x < W - 1 && d[i + 1]) || (y > 0 && d[i - W]) || (y < H - 1 && d[i + W]))
          )
            out.fill(halo, i * 3, i * 3 + 3);
          continue;
        }
        const o = i * 3;
        const edge =
          outline &&
          (x === 0 ||
            y === 0 ||
            x === W - 1 ||
            y === H - 1 ||
            !d[i - 1] ||
            !d[i + 1] ||
            !d[i - W] ||
            !d[i + W]);
        if (edge) {
          out[o] = r;
          out[o + 1] = g;
          out[o + 2] = b;
        } else {
          out[o] = out[o]! * inv + r * alpha + 0.5;
          out[o + 1] = out[o + 1]! * inv + g * alpha + 0.5;
          out[o + 2] = out[o + 2]! * inv + b * alpha + 0.5;
        }
      }
    }
  });
  const result: RawImage = { width: W, height: H, channels: 3, data: out };
  if (!opts.labels) return result;
  const texts = Array.isArray(opts.labels) ? opts.labels : segs.map((s, i) => s.label ?? String(i));
  const fontSize = Math.max(10, Math.round(Math.min(W, H) / 40));
  const items = segs.flatMap(({ mask }, k) => {
    const [x, y, w] = bbox(mask);
    const text = texts[k];
    return w > 0 && text ? [{ text, x, y, colour: paletteColor(k) }] : [];
  });
  return drawLabels(result, items, fontSize);
}

/**
 * Cuts the masked pixels out of an image: RGBA, with alpha 255 on the mask and 0 elsewhere.
 * With `crop`, the result is cropped to the mask's bounding box.
 * @example await writeImage('cup.png', cutout(img, cupMask));
 */
export function cutout(image: RawImage, mask: Mask, opts: { crop?: boolean } = {}): RawImage {
  assertMask(mask);
  assertSameSize(mask, image, 'The mask and the image differ in size');
  const rgb = toRgb(image);
  const [bx, by, bw, bh] = opts.crop ? bbox(mask) : [0, 0, image.width, image.height];
  const out = new Uint8Array(bw * bh * 4);
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) {
      const src = (by + y) * image.width + bx + x;
      const o = (y * bw + x) * 4;
      out[o] = rgb.data[src * 3]!;
      out[o + 1] = rgb.data[src * 3 + 1]!;
      out[o + 2] = rgb.data[src * 3 + 2]!;
      out[o + 3] = mask.data[src] ? 255 : 0;
    }
  }
  return { width: bw, height: bh, channels: 4, data: out };
}

/** A grey image of a mask (0 → black, 1 → white), for panels and previews. */
export function maskToImage(mask: Mask): RawImage {
  assertMask(mask);
  const data = new Uint8Array(mask.data.length);
  for (let i = 0; i < data.length; i++) data[i] = mask.data[i] ? 255 : 0;
  return { width: mask.width, height: mask.height, channels: 1, data };
}

/** One tile of a {@link panel}. */
export interface PanelItem {
  image: RawImage | Mask;
  caption?: string;
}

/**
 * Places images (or masks) side by side with a caption above each, for reports such as Original | GT | Prediction.
 * Tiles are scaled to a common height (default: the tallest tile, capped at 512 px).
 * @example await writeImage('panel.png', await panel([{ image: img, caption: 'Original' }, { image: gt, caption: 'GT' }]));
 */
export async function panel(
  items: PanelItem[],
  opts: { height?: number; gap?: number } = {},
): Promise<RawImage> {
  if (!Array.isArray(items) || items.length === 0)
    throw new InvalidArgumentError('panel needs at least one image');
  const isMask = items.map((it) => !('channels' in it.image));
  const tiles = items.map((it) => ('channels' in it.image ? toRgb(it.image) : toRgb(maskToImage(it.image))));
  const height = opts.height ?? Math.min(512, Math.max(...tiles.map((t) => t.height)));
  const gap = opts.gap ?? 8;
  const captionH = Math.max(18, Math.round(height / 14));
  const scaled = await Promise.all(
    tiles.map(async (t, i) => {
      const w = Math.max(1, Math.round((t.width * height) / t.height));
      // Masks keep hard edges; photos are resampled smoothly.
      const buf = await sharp(t.data, { raw: { width: t.width, height: t.height, channels: 3 } })
        .resize(w, height, { kernel: isMask[i] ? 'nearest' : 'lanczos3', fit: 'fill' })
        .png()
        .toBuffer();
      return { buf, w };
    }),
  );
  const totalW = scaled.reduce((s, t) => s + t.w, 0) + gap * (scaled.length + 1);
  const totalH = height + captionH + gap * 2;
  let x = gap;
  const layers: SharpLayer[] = [];
  const captions: string[] = [];
  scaled.forEach((t, i) => {
    layers.push({ input: t.buf, left: x, top: gap + captionH });
    const text = items[i]!.caption;
    if (text) {
      captions.push(
        `<text x="${x + t.w / 2}" y="${gap + captionH * 0.75}" text-anchor="middle" font-family="DejaVu Sans, sans-serif" font-size="${Math.round(captionH * 0.7)}" fill="#222">${escapeXml(text)}</text>`,
      );
    }
    x += t.w + gap;
  });
  if (captions.length) {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${totalW}" height="${totalH}">${captions.join('')}</svg>`;
    layers.push({ input: Buffer.from(svg), left: 0, top: 0 });
  }
  const { data, info } = await sharp({
    create: { width: totalW, height: totalH, channels: 3, background: '#ffffff' },
  })
    .composite(layers)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data) };
}

/** Rasterises an SVG document (charts: confusion matrices, precision–recall curves) to PNG bytes. */
export async function svgToPng(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg)).png().toBuffer();
}
