// Benchmarks for @segkit/core: RLE, area, IoU, polygons and overlay on realistic masks.
import {
  area,
  type Mask,
  maskFromFunction,
  maskToPolygons,
  maskToRle,
  overlay,
  type RawImage,
  type RleCompressed,
  rleArea,
  rleBbox,
  rleIou,
  rleIouMatrix,
  rleMerge,
  rleNms,
  rleToMask,
  seededRandom,
} from '../packages/core/src/index.js';
import { type BenchResult, bench, printTable } from './harness.js';

/** A mask with a few blobs, holes and a thin bar, scaled to the given size. */
function blobs(width: number, height: number, shift = 0): Mask {
  const s = Math.min(width, height);
  const discs = [
    [0.3, 0.4, 0.22, 0.08],
    [0.7, 0.3, 0.12, 0.04],
    [0.65, 0.75, 0.15, 0],
  ] as const;
  return maskFromFunction(width, height, (x, y) => {
    const bar = y > height * 0.9 && y < height * 0.92 && x > width * 0.1 && x < width * 0.9;
    for (const [cx, cy, r, hole] of discs) {
      const d2 = (x - cx * width - shift) ** 2 + (y - cy * height) ** 2;
      if (d2 < (r * s) ** 2 && d2 >= (hole * s) ** 2) return true;
    }
    return bar;
  });
}

/** The RLEs pycocotools is compared on: 100 discs on 640×480, as instance masks are (random but fixed). */
export function discRles(): RleCompressed[] {
  const rand = seededRandom(3);
  return Array.from({ length: 100 }, () => {
    const cx = rand() * 640;
    const cy = rand() * 480;
    const r = 20 + rand() * 80;
    return maskToRle(maskFromFunction(640, 480, (x, y) => (x - cx) ** 2 + (y - cy) ** 2 < r * r));
  });
}

/** Greedy NMS on bitmaps, pixel by pixel: what find-all and automatic masks did before the RLE batch operations. */
function bitmapNms(masks: Mask[], thr: number): number[] {
  const kept: number[] = [];
  for (let k = 0; k < masks.length; k++) {
    const a = masks[k]!.data;
    const dup = kept.some((j) => {
      const b = masks[j]!.data;
      let inter = 0;
      let uni = 0;
      for (let i = 0; i < a.length; i++) {
        inter += a[i]! & b[i]!;
        uni += a[i]! | b[i]!;
      }
      return uni > 0 && inter / uni > thr;
    });
    if (!dup) kept.push(k);
  }
  return kept;
}

export async function runCoreBench(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const [w, h] of [
    [1024, 1024],
    [4000, 3000],
  ] as const) {
    const m = blobs(w, h);
    const other = blobs(w, h, Math.round(w * 0.03));
    const rle = maskToRle(m);
    const rleOther = maskToRle(other);
    const tag = `${w}×${h}`;
    // A warm process, as pycocotools was measured: enough warm-up runs for the JIT to finish with each loop.
    const runs = w > 2000 ? 7 : 101;
    const warmup = w > 2000 ? 3 : 30;
    results.push(await bench(`RLE encode ${tag}`, () => maskToRle(m), { runs, warmup }));
    results.push(await bench(`RLE decode ${tag}`, () => rleToMask(rle), { runs, warmup }));
    results.push(await bench(`RLE encode + decode ${tag}`, () => rleToMask(maskToRle(m)), { runs, warmup }));
    results.push(await bench(`area (bitmap) ${tag}`, () => area(m), { runs }));
    results.push(await bench(`area (RLE) ${tag}`, () => rleArea(rle), { runs }));
    results.push(await bench(`IoU on RLEs ${tag}`, () => rleIou(rle, rleOther), { runs }));
    results.push(await bench(`polygon extraction ${tag}`, () => maskToPolygons(m), { runs }));
  }
  const image: RawImage = {
    width: 1024,
    height: 768,
    channels: 3,
    data: new Uint8Array(1024 * 768 * 3).fill(128),
  };
  const masks = Array.from({ length: 20 }, (_, k) =>
    maskFromFunction(
      1024,
      768,
      (x, y) => (x - 50 - (k % 5) * 220) ** 2 + (y - 90 - Math.floor(k / 5) * 190) ** 2 < 80 ** 2,
    ),
  );
  const discs = discRles();
  const fresh = () => discs.map((r) => ({ size: r.size, counts: r.counts }));
  results.push(
    await bench('IoU matrix 100×100 RLEs (parsed once)', () => rleIouMatrix(discs, discs), {
      runs: 51,
      warmup: 20,
    }),
    await bench('IoU matrix 100×100 RLEs (from strings)', () => rleIouMatrix(fresh(), fresh()), {
      runs: 51,
      warmup: 20,
    }),
    await bench('merge 100 RLEs (parsed once)', () => rleMerge(discs), { runs: 51, warmup: 20 }),
    await bench('merge 100 RLEs (from strings)', () => rleMerge(fresh()), { runs: 51, warmup: 20 }),
    await bench(
      'area + bbox of 100 RLEs (parsed once)',
      () => {
        for (const r of discs) {
          rleArea(r);
          rleBbox(r);
        }
      },
      { runs: 51, warmup: 20 },
    ),
    await bench(
      'area + bbox of 100 RLEs (from strings)',
      () => {
        for (const r of fresh()) {
          rleArea(r);
          rleBbox(r);
        }
      },
      { runs: 51, warmup: 20 },
    ),
  );
  const rand = seededRandom(3);
  // Greedy NMS as automatic mask generation runs it: 300 candidates on a 256² low-resolution grid, best first.
  const low = Array.from({ length: 300 }, () => {
    const cx = rand() * 256;
    const cy = rand() * 256;
    const r = 8 + rand() * 40;
    return maskFromFunction(256, 256, (x, y) => (x - cx) ** 2 + (y - cy) ** 2 < r * r);
  });
  const lowRles = low.map((m) => maskToRle(m));
  results.push(
    await bench('NMS of 300 masks 256² (bitmaps, the old way)', () => bitmapNms(low, 0.7), {
      runs: 5,
      warmup: 1,
    }),
    await bench(
      'NMS of 300 masks 256² (RLE, encode included)',
      () =>
        rleNms(
          low.map((m) => maskToRle(m)),
          0.7,
        ),
      {
        runs: 15,
      },
    ),
    await bench('NMS of 300 masks 256² (RLE, parsed)', () => rleNms(lowRles, 0.7), { runs: 15 }),
  );
  results.push(await bench('overlay 20 masks on 1024×768', () => overlay(image, masks), { runs: 10 }));
  return results;
}

/** pycocotools 2.0 (-O2) on this machine class, from the issue that asked for them. */
export const coreTargets: Record<string, number> = {
  'RLE encode + decode 1024×1024': 1.3,
  'IoU matrix 100×100 RLEs (parsed once)': 115,
  'merge 100 RLEs (parsed once)': 0.9,
  'area + bbox of 100 RLEs (parsed once)': 2,
  'polygon extraction 1024×1024': 20,
};

if (import.meta.url === `file://${process.argv[1]}`) {
  printTable('@segkit/core', await runCoreBench(), coreTargets);
}
