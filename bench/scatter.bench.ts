// `segkit analyze plot` at 100k masks: the PNG raster, the HTML page's writing and size, and the page's draw time in
// chromium (first draw, and redraws while zooming). Medians of repeated runs.
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { plotRun } from '../packages/analytics/src/index.js';
import { largeRun } from '../packages/analytics/test/helpers/large-run.js';
import { type BenchResult, bench } from './harness.js';

export async function runScatterBench(n = 100_000): Promise<{ results: BenchResult[]; notes: string[] }> {
  const run = await largeRun(n);
  const results: BenchResult[] = [];
  const notes: string[] = [];
  try {
    const png = join(run.dir, 'scatter.png');
    const html = join(run.dir, 'scatter.html');
    results.push(await bench(`plot PNG, ${n} masks`, () => plotRun(run.dir, png), { runs: 5, warmup: 1 }));
    results.push(
      await bench(`plot HTML, ${n} masks`, () => plotRun(run.dir, html, { html: true }), {
        runs: 5,
        warmup: 1,
      }),
    );
    notes.push(
      `HTML page for ${n} masks: ${(statSync(html).size / 2 ** 20).toFixed(1)} MiB; PNG ${(statSync(png).size / 1024).toFixed(0)} KiB`,
    );
    const browserPath = process.env.SEGKIT_CHROMIUM ?? '/usr/bin/chromium';
    if (!existsSync(browserPath)) {
      notes.push(`no chromium at ${browserPath}: the page's draw times were not measured`);
      return { results, notes };
    }
    const browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const t0 = performance.now();
      await page.goto(`file://${html}`);
      await page.waitForFunction(
        () => (window as unknown as { segkitPlot?: { draws: number[] } }).segkitPlot?.draws.length,
      );
      const load = performance.now() - t0;
      results.push({
        name: `page load to first draw, ${n} masks`,
        median: load,
        min: load,
        max: load,
        runs: 1,
      });
      await page.mouse.move(500, 400);
      for (let i = 0; i < 30; i++) {
        await page.mouse.wheel(0, i % 2 ? 120 : -120);
        await page.waitForTimeout(20);
      }
      const draws = await page.evaluate(
        () => (window as unknown as { segkitPlot: { draws: number[] } }).segkitPlot.draws,
      );
      const sorted = draws.slice(1).sort((a, b) => a - b);
      results.push({
        name: `page redraw while zooming, ${n} masks`,
        median: sorted[sorted.length >> 1]!,
        min: sorted[0]!,
        max: sorted.at(-1)!,
        runs: sorted.length,
      });
    } finally {
      await browser.close();
    }
  } finally {
    rmSync(run.dir, { recursive: true, force: true });
  }
  return { results, notes };
}

/** Smooth means a redraw inside one 60 Hz frame budget's worth of work, and a PNG in about a second. */
export const scatterTargets: Record<string, number> = {
  'plot PNG, 100000 masks': 2_000,
  'page redraw while zooming, 100000 masks': 33,
};
