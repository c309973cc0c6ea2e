// The classic backend: OpenCV GrabCut (through @techstark/opencv-js), which needs no model download.
import { createRequire } from 'node:module';
import { labelComponents, type Mask, overlapCounts, type RawImage, resizeMask, toRgb } from '@segkit/core';
import type { DecoderPrompt } from './promptable-types.js';

// biome-ignore lint/suspicious/noExplicitAny: opencv-js ships no usable types
type Cv = any;
let cvPromise: Promise<{ cv: Cv }> | undefined;

/**
 * Loads OpenCV once. The module object is an Emscripten "thenable": awaiting it (or returning it from an async
 * function) re-adopts it forever, so it is wrapped in `{ cv }`, and readiness is detected by polling for `cv.Mat`.
 */
export function loadOpenCv(): Promise<{ cv: Cv }> {
  cvPromise ??= new Promise<{ cv: Cv }>((resolve, reject) => {
    // A plain require: dynamic import() would hand the thenable module to promise machinery (and hang).
    const cv: Cv = createRequire(import.meta.url)('@techstark/opencv-js');
    const started = Date.now();
    const poll = () => {
      if (cv.Mat) resolve({ cv });
      else if (Date.now() - started > 60_000) reject(new Error('OpenCV did not initialise within 60 s'));
      else setTimeout(poll, 5);
    };
    poll();
  });
  return cvPromise;
}

/** GrabCut works on at most this many pixels on the long side; the mask is scaled back up. */
const WORK_SIDE = 512;

/**
 * Segments with GrabCut. A box initialises GrabCut's rectangle; points become hard foreground/background
 * seeds (inside a search window around the positive points when there is no box). Returns the mask at the
 * original size and a stability score: the IoU between the result after 3 and after 5 iterations.
 */
export async function grabCutSegment(
  image: RawImage,
  prompt: DecoderPrompt,
): Promise<{ mask: Mask; score: number }> {
  const { cv } = await loadOpenCv();
  const scale = Math.min(1, WORK_SIDE / Math.max(image.width, image.height));
  const w = Math.max(1, Math.round(image.width * scale));
  const h = Math.max(1, Math.round(image.height * scale));
  const rgb = toRgb(image).data;
  const src = cv.matFromArray(image.height, image.width, cv.CV_8UC3, rgb);
  const img = new cv.Mat();
  cv.resize(src, img, new cv.Size(w, h), 0, 0, cv.INTER_AREA);
  src.delete();
  const seeds = new cv.Mat(h, w, cv.CV_8UC1, new cv.Scalar(cv.GC_BGD));
  const bgd = new cv.Mat();
  const fgd = new cv.Mat();
  try {
    const s = (v: number) => Math.round(v * scale);
    const radius = Math.max(2, Math.round(Math.min(w, h) * 0.015));
    const positives = prompt.points.filter((_, i) => prompt.labels[i] === 1);
    let rect: { x: number; y: number; width: number; height: number };
    let region: Uint8Array | undefined;
    if (prompt.box) {
      const [x0, y0, x1, y1] = prompt.box;
      rect = new cv.Rect(s(x0), s(y0), Math.max(1, s(x1) - s(x0)), Math.max(1, s(y1) - s(y0)));
    } else {
      // Clicks only: the connected region of similar colour around each click seeds GrabCut as probable
      // foreground, inside a box grown around those regions.
      const grown = similarColourRegion(
        cv,
        img,
        positives.map(([px, py]) => [s(px), s(py)]),
      );
      region = grown.region;
      rect = grown.rect;
    }
    cv.rectangle(
      seeds,
      new cv.Point(rect.x, rect.y),
      new cv.Point(rect.x + rect.width - 1, rect.y + rect.height - 1),
      new cv.Scalar(prompt.box ? cv.GC_PR_FGD : cv.GC_PR_BGD),
      -1,
    );
    if (region) for (let i = 0; i < region.length; i++) if (region[i]) seeds.data[i] = cv.GC_PR_FGD;
    prompt.points.forEach(([px, py], i) => {
      const label = prompt.labels[i] === 1 ? cv.GC_FGD : cv.GC_BGD;
      cv.circle(seeds, new cv.Point(s(px), s(py)), radius, new cv.Scalar(label), -1);
    });
    cv.grabCut(img, seeds, rect, bgd, fgd, 3, cv.GC_INIT_WITH_MASK);
    const early = foreground(seeds, w, h);
    cv.grabCut(img, seeds, rect, bgd, fgd, 2, cv.GC_EVAL);
    let small = foreground(seeds, w, h);
    small = keepPromptedParts(
      small,
      positives.map(([px, py]) => [s(px), s(py)]),
      Boolean(prompt.box),
    );
    const score = agreement(early, small);
    const mask = scale === 1 ? small : resizeMask(small, image.width, image.height);
    return { mask, score };
  } finally {
    img.delete();
    seeds.delete();
    bgd.delete();
    fgd.delete();
  }
}

/** Colour tolerance (CIELAB units, per channel, from the clicked colour) of the region a click grows. */
const REGION_TOLERANCE = [14, 24, 36];

/**
 * The pixels of similar colour (CIELAB, within a fixed range of the clicked pixel's colour, after a light blur)
 * connected to each click, and a box around them grown by a quarter of their size on each side. The tolerance is
 * widened while the region is a speck (under 0.1% of the image).
 */
function similarColourRegion(
  cv: Cv,
  img: Cv,
  clicks: [number, number][],
): { region: Uint8Array; rect: { x: number; y: number; width: number; height: number } } {
  const w = img.cols as number;
  const h = img.rows as number;
  const blur = new cv.Mat();
  const lab = new cv.Mat();
  const flood = new cv.Mat();
  try {
    cv.GaussianBlur(img, blur, new cv.Size(5, 5), 0);
    cv.cvtColor(blur, lab, cv.COLOR_RGB2Lab);
    const region = new Uint8Array(w * h);
    for (const tol of REGION_TOLERANCE) {
      region.fill(0);
      for (const [x, y] of clicks) {
        flood.create(h + 2, w + 2, cv.CV_8UC1);
        flood.setTo(new cv.Scalar(0));
        const flags = 8 | cv.FLOODFILL_FIXED_RANGE | cv.FLOODFILL_MASK_ONLY | (1 << 8);
        const diff = new cv.Scalar(tol, tol, tol, 0);
        const point = new cv.Point(Math.min(w - 1, x), Math.min(h - 1, y));
        cv.floodFill(lab, flood, point, new cv.Scalar(0), new cv.Rect(), diff, diff, flags);
        for (let r = 0; r < h; r++)
          for (let c = 0; c < w; c++) if (flood.data[(r + 1) * (w + 2) + c + 1]) region[r * w + c] = 1;
      }
      if (region.reduce((a, b) => a + b, 0) >= 0.001 * w * h) break;
    }
    let [x0, y0, x1, y1] = [w, h, -1, -1];
    for (let i = 0; i < region.length; i++) {
      if (!region[i]) continue;
      const x = i % w;
      const y = (i - x) / w;
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x);
      y1 = Math.max(y1, y);
    }
    const mx = Math.max(4, Math.round(0.25 * (x1 - x0 + 1)));
    const my = Math.max(4, Math.round(0.25 * (y1 - y0 + 1)));
    const rx = Math.max(0, x0 - mx);
    const ry = Math.max(0, y0 - my);
    const rect = new cv.Rect(rx, ry, Math.min(w, x1 + mx + 1) - rx, Math.min(h, y1 + my + 1) - ry);
    return { region, rect };
  } finally {
    blur.delete();
    lab.delete();
    flood.delete();
  }
}

function foreground(seeds: { data: Uint8Array }, w: number, h: number): Mask {
  const data = new Uint8Array(w * h);
  for (let i = 0; i < data.length; i++) {
    const v = seeds.data[i]!;
    data[i] = v === 1 || v === 3 ? 1 : 0; // GC_FGD or GC_PR_FGD
  }
  return { width: w, height: h, data };
}

/** Keeps the components that contain a positive seed, or (for a box without seeds) the largest one. */
function keepPromptedParts(mask: Mask, seeds: [number, number][], hasBox: boolean): Mask {
  const { labels, stats } = labelComponents(mask);
  if (!stats.length) return mask;
  const keep = new Set<number>();
  for (const [x, y] of seeds) {
    const l = labels[Math.min(mask.height - 1, y) * mask.width + Math.min(mask.width - 1, x)]!;
    if (l) keep.add(l);
  }
  if (!keep.size && hasBox) keep.add(stats.reduce((a, b) => (b.area > a.area ? b : a)).label);
  const data = new Uint8Array(mask.data.length);
  for (let i = 0; i < data.length; i++) data[i] = keep.has(labels[i]!) ? 1 : 0;
  return { width: mask.width, height: mask.height, data };
}

/** IoU of the early and final GrabCut results; 0 when nothing was found. */
function agreement(a: Mask, b: Mask): number {
  const { intersection, union } = overlapCounts(a, b);
  return union === 0 ? 0 : intersection / union;
}
