// COCO AP at scale: 5,000 images, 50,000 ground-truth objects and 100,000 detections (rectangles as RLE masks and as
// boxes, 20 categories, seeded), timed once per IoU type with the peak resident memory.
import { countsToString, seededRandom } from '../packages/core/src/index.js';
import { type CocoAnn, type CocoGt, cocoAp } from '../packages/datasets/src/coco-ap.js';
import type { BenchResult } from './harness.js';

const W = 320;
const H = 240;

/** A rectangle's column-major RLE, written from its geometry. */
function rectRle(x: number, y: number, w: number, h: number) {
  const counts: number[] = [x * H + y];
  for (let c = 0; c < w; c++) counts.push(h, c < w - 1 ? H - h : W * H - (x + w - 1) * H - y - h);
  return { size: [H, W] as [number, number], counts: countsToString(counts) };
}

function scene(images: number, gtPer: number, dtPer: number): { gt: CocoGt; dt: CocoAnn[] } {
  const rand = seededRandom(17);
  const gt: CocoGt = {
    images: Array.from({ length: images }, (_, i) => ({ id: i + 1, width: W, height: H })),
    categories: Array.from({ length: 20 }, (_, i) => ({ id: i + 1 })),
    annotations: [],
  };
  const dt: CocoAnn[] = [];
  for (let img = 1; img <= images; img++) {
    const objects = Array.from({ length: gtPer }, () => {
      const w = 8 + Math.floor(rand() * 60);
      const h = 8 + Math.floor(rand() * 60);
      return {
        x: Math.floor(rand() * (W - w)),
        y: Math.floor(rand() * (H - h)),
        w,
        h,
        cat: 1 + Math.floor(rand() * 20),
      };
    });
    for (const o of objects)
      gt.annotations.push({
        id: gt.annotations.length + 1,
        image_id: img,
        category_id: o.cat,
        bbox: [o.x, o.y, o.w, o.h],
        area: o.w * o.h,
        iscrowd: 0,
        segmentation: rectRle(o.x, o.y, o.w, o.h),
      });
    for (let k = 0; k < dtPer; k++) {
      const o = objects[k % objects.length]!;
      const dx = Math.floor((rand() - 0.5) * 8);
      const x = Math.min(W - o.w, Math.max(0, o.x + dx));
      dt.push({
        image_id: img,
        category_id: rand() < 0.9 ? o.cat : 1 + Math.floor(rand() * 20),
        bbox: [x, o.y, o.w, o.h],
        segmentation: rectRle(x, o.y, o.w, o.h),
        score: rand(),
      });
    }
  }
  return { gt, dt };
}

export async function runApBench(): Promise<{ results: BenchResult[]; notes: string[] }> {
  const { gt, dt } = scene(5000, 10, 20);
  const results: BenchResult[] = [];
  const notes: string[] = [];
  for (const t of ['bbox', 'segm'] as const) {
    let peak = process.memoryUsage().rss;
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    const t0 = performance.now();
    const r = cocoAp(gt, dt, t);
    const ms = performance.now() - t0;
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    results.push({
      name: `eval ap ${t}: 5,000 images, 50,000 GT, 100,000 detections`,
      median: ms,
      min: ms,
      max: ms,
      runs: 1,
    });
    notes.push(`eval ap ${t}: AP ${r.stats.AP.toFixed(3)}, peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`);
  }
  return { results, notes };
}

export const apTargets: Record<string, number> = {
  'eval ap bbox: 5,000 images, 50,000 GT, 100,000 detections': 60_000,
  'eval ap segm: 5,000 images, 50,000 GT, 100,000 detections': 60_000,
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printTable } = await import('./harness.js');
  const r = await runApBench();
  printTable('COCO AP at scale (single timed run each, ms)', r.results, apTargets);
  for (const n of r.notes) console.log(n);
}
