// SAM 3: SegKit's own work around the graphs (everything but session.run) per find-all call on the real-architecture
// concept layouts and per click on the tracker, on a cached image encoding; and what the first call on an image costs
// (pre-processing + the tiny encoder) against a cached one. The graphs are tiny (random weights), so their run time is
// not the real model's; the overhead is, since pre- and post-processing do not depend on the width.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RawImage } from '../packages/core/src/index.js';
import { Sam3Finder, Segmenter } from '../packages/models/src/index.js';
import type { BenchResult } from './harness.js';

const realArch = new URL('../../shared/real-arch/', import.meta.url).pathname;
const fixture = (name: string) => new URL(`../fixtures/models/${name}`, import.meta.url).pathname;

function photo(width: number, height: number): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set([(i * 7) % 256, (i * 13) % 256, (i * 29) % 256], i * 3);
  return { width, height, channels: 3, data };
}

const stats = (name: string, xs: number[]): BenchResult => {
  const s = [...xs].sort((a, b) => a - b);
  return { name, median: s[s.length >> 1]!, min: s[0]!, max: s.at(-1)!, runs: s.length };
};

export const sam3Targets: Record<string, number> = {};

export async function runSam3Bench(): Promise<{ results: BenchResult[]; notes: string[] }> {
  const results: BenchResult[] = [];
  const notes: string[] = [];
  const image = photo(1280, 960);
  const layouts: [string, string, boolean][] = [
    ['sam3-usls', join(realArch, 'sam3-usls'), true],
    ['sam3-text', join(realArch, 'sam3-text'), false],
    ['sam3-samexporter', join(realArch, 'sam3-samexporter'), true],
    ['sam3-fixture', fixture('sam3-fixture'), true],
  ];
  for (const [label, dir, exemplars] of layouts) {
    if (!existsSync(dir)) {
      notes.push(`${label}: ${dir} is absent, skipped`);
      continue;
    }
    const f = await Sam3Finder.create({ model: dir, diskCacheDir: false });
    const t0 = performance.now();
    await f.preload(image);
    const firstMs = performance.now() - t0;
    const overhead: number[] = [];
    const run: number[] = [];
    let instances = 0;
    for (let i = 0; i < 12; i++) {
      const b = f.backend;
      const before = b.decoderRunMs + b.textRunMs;
      const s = performance.now();
      const r = await f.find(image, {
        text: 'a red cup',
        ...(exemplars
          ? { positiveExemplars: [[100 + i, 80, 200, 150]] as [number, number, number, number][] }
          : {}),
        threshold: label === 'sam3-fixture' ? 0.3 : 0,
        maxInstances: 50,
      });
      const inGraphs = b.decoderRunMs + b.textRunMs - before;
      if (i >= 2) {
        overhead.push(performance.now() - s - inGraphs);
        run.push(inGraphs);
      }
      instances = r.instances.length;
    }
    results.push(stats(`${label}: SegKit's own work per find-all call (cached image) 1280×960`, overhead));
    results.push(stats(`${label}: session.run per call (tiny graphs)`, run));
    notes.push(
      `${label}: first call on the image ${firstMs.toFixed(0)} ms (pre-processing + the tiny encoder); ${instances} instances per call; encoding cached as float16 ${(f.stats.cacheBytes / 2 ** 20).toFixed(1)} MiB`,
    );
  }
  const tracker = join(realArch, 'sam3-tracker');
  for (const [label, dir] of [
    ['sam3-tracker (real architecture)', tracker],
    ['sam3-tracker-fixture', fixture('sam3-tracker-fixture')],
  ] as const) {
    if (!existsSync(dir)) continue;
    const seg = await Segmenter.create({ model: dir, diskCacheDir: false });
    await seg.preload(image);
    const overhead: number[] = [];
    for (let i = 0; i < 23; i++) {
      const before = seg.stats.decoderRunMs;
      const s = performance.now();
      await seg.segment(image, { prompt: { point: [300 + i * 10, 400] } });
      if (i >= 3) overhead.push(performance.now() - s - (seg.stats.decoderRunMs - before));
    }
    results.push(stats(`${label}: SegKit's own work per click (cached) 1280×960`, overhead));
  }
  return { results, notes };
}
