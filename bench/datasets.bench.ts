// Dataset benchmarks: COCO import + export at scale, and evaluation of many mask pairs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countsToString, encodeImage, type Mask, maskFromFunction } from '../packages/core/src/index.js';
import { evaluate, type MaskSource, readDataset, writeDataset } from '../packages/datasets/src/index.js';
import type { BenchResult } from './harness.js';

const W = 640;
const H = 480;

/** Column-major RLE counts of an axis-aligned rectangle, optionally with a rectangular hole (a ring). */
function rectCounts(x: number, y: number, w: number, h: number, hole: boolean): number[] {
  const counts: number[] = [];
  let zeros = x * H + y;
  for (let c = 0; c < w; c++) {
    const inHole = hole && c >= w / 3 && c < (2 * w) / 3;
    if (inHole) {
      const a = Math.floor(h / 3);
      const b = h - 2 * a;
      counts.push(zeros, a, b, a);
    } else counts.push(zeros, h);
    zeros = H - h;
  }
  counts.push(H - y - h + (W - x - w) * H);
  return counts;
}

async function makeCoco(images: number, perImage: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-bench-coco-'));
  mkdirSync(join(dir, 'images'));
  const png = await encodeImage(
    { width: 4, height: 3, channels: 3, data: new Uint8Array(36).fill(90) },
    'png',
  );
  const json = {
    images: [] as object[],
    categories: [
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
    ],
    annotations: [] as object[],
  };
  let id = 1;
  for (let i = 1; i <= images; i++) {
    writeFileSync(join(dir, 'images', `${i}.png`), png);
    json.images.push({ id: i, file_name: `${i}.png`, width: W, height: H });
    for (let k = 0; k < perImage; k++) {
      const x = (k * 61) % 560;
      const y = (k * 37 + i) % 400;
      const hole = k % 3 === 0;
      json.annotations.push({
        id: id++,
        image_id: i,
        category_id: 1 + (k % 2),
        iscrowd: 0,
        bbox: [x, y, 60, 60],
        area: 0,
        segmentation: { size: [H, W], counts: countsToString(rectCounts(x, y, 60, 60, hole)) },
      });
    }
  }
  writeFileSync(join(dir, 'annotations.json'), JSON.stringify(json));
  return dir;
}

export async function runDatasetBench(): Promise<{ results: BenchResult[]; notes: string[] }> {
  const results: BenchResult[] = [];
  const notes: string[] = [];
  const src = await makeCoco(5000, 10);
  const one = (name: string, ms: number): BenchResult => ({ name, median: ms, min: ms, max: ms, runs: 1 });
  for (const rle of [false, true]) {
    const out = join(mkdtempSync(join(tmpdir(), 'segkit-bench-out-')), 'coco');
    const t0 = performance.now();
    const ds = await readDataset(src);
    const t1 = performance.now();
    await writeDataset(ds, out, 'coco', { rle });
    const t2 = performance.now();
    const tag = rle ? ' (--rle)' : ' (auto polygons/RLE)';
    results.push(one(`COCO import, 5,000 images / 50,000 RLE annotations`, t1 - t0));
    results.push(one(`COCO export${tag}`, t2 - t1));
    results.push(one(`COCO import + export${tag}`, t2 - t0));
    rmSync(out, { recursive: true, force: true });
  }
  rmSync(src, { recursive: true, force: true });
  // Evaluation of 1,000 mask pairs at 1024×768, from memory (no PNG decoding), with a 4-threshold sweep.
  const gtMask = maskFromFunction(1024, 768, (x, y) => (x - 500) ** 2 + (y - 380) ** 2 < 200 ** 2);
  const prob = new Float32Array(1024 * 768);
  for (let i = 0; i < prob.length; i++) prob[i] = gtMask.data[(i + 7) % prob.length]! * 0.7;
  const keys = Array.from({ length: 1000 }, (_, i) => ({ label: 'x', stem: String(i) }));
  const gt: MaskSource = {
    keys,
    load: async () => ({ kind: 'mask', mask: gtMask as Mask }),
    imagePath: () => undefined,
  };
  const binPred: MaskSource = {
    keys,
    load: async () => ({ kind: 'mask', mask: gtMask }),
    imagePath: () => undefined,
  };
  const probPred: MaskSource = {
    keys,
    load: async () => ({ kind: 'prob', width: 1024, height: 768, prob }),
    imagePath: () => undefined,
  };
  let t = performance.now();
  await evaluate(binPred, gt);
  results.push(one('eval 1,000 binary mask pairs 1024×768', performance.now() - t));
  t = performance.now();
  await evaluate(probPred, gt);
  results.push(one('eval 1,000 probability maps 1024×768, 4 thresholds', performance.now() - t));
  notes.push('COCO target: import + export ≤ 30 s.');
  return { results, notes };
}

export const datasetTargets: Record<string, number> = {
  'COCO import + export (auto polygons/RLE)': 30_000,
  'COCO import + export (--rle)': 30_000,
};
