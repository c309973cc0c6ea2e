// Promptable-segmentation benchmarks with the fixture models (their session.run is tiny, so what is measured
// is SegKit's own work: prompt handling, tensors, the transformers.js call path and mask post-processing).
import type { RawImage } from '../packages/core/src/index.js';
import { SamBackend } from '../packages/models/src/backend/sam.js';
import { Segmenter } from '../packages/models/src/index.js';
import { type BenchResult, bench } from './harness.js';

const fixture = (name: string) => new URL(`../fixtures/models/${name}`, import.meta.url).pathname;

function photo(width: number, height: number): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = (x - width * 0.4) ** 2 + (y - height * 0.5) ** 2 < (Math.min(width, height) * 0.25) ** 2;
      data.set(inside ? [200, 40, 40] : [230, 230, 225], (y * width + x) * 3);
    }
  }
  return { width, height, channels: 3, data };
}

export async function runSegmentBench(): Promise<{ results: BenchResult[]; notes: string[] }> {
  const results: BenchResult[] = [];
  const notes: string[] = [];
  // Each SAM layout's own overhead per prompt on a cached encoder output: transformers.js (SAM, SAM 2), Meta's
  // official decoder pair and the SAM 2 pair, both run on onnxruntime directly.
  const layouts = [
    ['transformers.js SAM', 'sam-fixture'],
    ['transformers.js SAM 2', 'sam2-fixture'],
    ['official SAM pair', 'sam-official-fixture'],
    ['SAM 2 pair', 'sam2-pair-fixture'],
  ] as const;
  for (const [label, name] of layouts) {
    const image = photo(1024, 768);
    const seg = await Segmenter.create({ model: fixture(name), diskCacheDir: false });
    await seg.preload(image);
    const overheads: number[] = [];
    for (let i = 0; i < 28; i++) {
      const before = seg.stats.decoderRunMs;
      const s = performance.now();
      await seg.segment(image, { prompt: { point: [1024 * (0.3 + 0.01 * (i % 10)), 384] } });
      if (i >= 3) overheads.push(performance.now() - s - (seg.stats.decoderRunMs - before));
    }
    const sorted = [...overheads].sort((x, y) => x - y);
    results.push({
      name: `${label}: own overhead per prompt (cached) 1024×768`,
      median: sorted[sorted.length >> 1]!,
      min: sorted[0]!,
      max: sorted.at(-1)!,
      runs: overheads.length,
    });
    notes.push(
      `${label}: encoder output cached per image ${(seg.stats.cacheBytes / 2 ** 20).toFixed(1)} MiB`,
    );
  }
  for (const [w, h] of [
    [1024, 768],
    [4000, 3000],
  ] as const) {
    const image = photo(w, h);
    const tag = `${w}×${h}`;
    const seg = await Segmenter.create({ model: fixture('sam-fixture'), diskCacheDir: false });
    // First prompt: pre-processing + encoder + decoder. Then repeat prompts on the cached embedding.
    const t0 = performance.now();
    await seg.segment(image, { prompt: { point: [w * 0.4, h * 0.5] } });
    const first = performance.now() - t0;
    const runs = w > 2000 ? 9 : 25;
    const totals: number[] = [];
    const overheads: number[] = [];
    for (let i = 0; i < runs + 3; i++) {
      const before = seg.stats.decoderRunMs;
      const s = performance.now();
      await seg.segment(image, { prompt: { point: [w * (0.3 + 0.01 * (i % 10)), h * 0.5] } });
      const total = performance.now() - s;
      if (i >= 3) {
        totals.push(total);
        overheads.push(total - (seg.stats.decoderRunMs - before));
      }
    }
    const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
    results.push({
      name: `own overhead per prompt (cached) ${tag}`,
      median: med(overheads),
      min: Math.min(...overheads),
      max: Math.max(...overheads),
      runs,
    });
    results.push({
      name: `whole repeat prompt (cached) ${tag}`,
      median: med(totals),
      min: Math.min(...totals),
      max: Math.max(...totals),
      runs,
    });
    notes.push(
      `${tag}: first prompt ${first.toFixed(1)} ms vs repeat ${med(totals).toFixed(1)} ms (${(first / med(totals)).toFixed(1)}× faster on a cached embedding)`,
    );
    const backend = await SamBackend.load(fixture('sam-fixture'), 'fp32');
    results.push(
      await bench(`encoder pre-processing (resize, normalise, pad) ${tag}`, () => backend.preprocess(image), {
        runs: w > 2000 ? 5 : 11,
        warmup: 1,
      }),
    );
  }
  // Automatic mask generation: 16×16 point grid, batched 32 prompts per decoder call, at 1024×768.
  {
    const image = photo(1024, 768);
    const seg = await Segmenter.create({ model: fixture('sam-fixture') });
    await seg.preload(image);
    const overheads: number[] = [];
    const totals: number[] = [];
    for (let i = 0; i < 5; i++) {
      const before = seg.stats.decoderRunMs;
      const t0 = performance.now();
      await seg.generateMasks(image, { pointsPerSide: 16 });
      const total = performance.now() - t0;
      totals.push(total);
      overheads.push((total - (seg.stats.decoderRunMs - before)) / 256);
    }
    const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
    results.push({
      name: 'AMG own overhead per point prompt 1024×768',
      median: med(overheads),
      min: Math.min(...overheads),
      max: Math.max(...overheads),
      runs: 5,
    });
    results.push({
      name: 'AMG 256 points, whole run 1024×768',
      median: med(totals),
      min: Math.min(...totals),
      max: Math.max(...totals),
      runs: 5,
    });
  }
  return { results, notes };
}

export const segmentTargets: Record<string, number> = { 'own overhead per prompt (cached) 1024×768': 15 };
