// Browser app benchmarks (chromium, fixture models, a real `segkit serve` on 127.0.0.1): JavaScript transferred on a
// first load of the annotator (gzip, without ONNX Runtime's WASM), click → mask drawn with the browser decoder, and
// the analytics scatter with 20,000 points (time to first draw, draw time per frame while panning).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  chromiumPath,
  imageToScreen,
  launch,
  openPage,
  percentile,
  repo,
  startServer,
} from '../tests/e2e/harness.js';
import type { BenchResult } from './harness.js';

const median = (xs: number[]) => percentile(xs, 0.5);
const result = (name: string, xs: number[]): BenchResult => {
  const s = [...xs].sort((a, b) => a - b);
  return { name, median: median(s), min: s[0]!, max: s.at(-1)!, runs: s.length };
};

export async function runWebBench(): Promise<{ results: BenchResult[]; notes: string[] }> {
  try {
    chromiumPath();
  } catch (e) {
    return { results: [], notes: [`web: skipped (${(e as Error).message})`] };
  }
  if (!existsSync(join(repo, 'packages/web/dist/index.html')))
    return { results: [], notes: ['web: skipped (run `npm run build` first)'] };
  const server = await startServer([join(repo, 'examples/shapes')]);
  const browser = await launch();
  const notes: string[] = [];
  const results: BenchResult[] = [];
  try {
    const images = (await server.api<{ items: { id: number }[] }>('/projects/1/images')).items;
    // 1. First load of the annotator: script bytes on the wire (gzip), WASM excluded.
    const loads: number[] = [];
    for (let run = 0; run < 3; run++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      // The token as the cookie the printed URL would set, so that the first navigation is the annotator itself.
      await context.addCookies([{ name: 'segkit_token', value: server.token, url: server.base }]);
      const page = await context.newPage();
      const sizes: Promise<number>[] = [];
      page.on('requestfinished', (r) => {
        if (r.resourceType() === 'script') sizes.push(r.sizes().then((s) => s.responseBodySize));
      });
      await page.goto(`${server.base}/projects/1/images/${images[0]!.id}`);
      await page.locator('[data-testid=decoder-path][data-path=browser]').waitFor({ timeout: 60_000 });
      const kb = (await Promise.all(sizes)).reduce((a, b) => a + b, 0) / 1024;
      loads.push(kb);
      await context.close();
    }
    notes.push(
      `web: annotator first load transfers ${median(loads).toFixed(0)} KB of JavaScript (gzip, WASM excluded)`,
    );
    // 2. Click → mask drawn, browser decoder, 20 clicks per run, 3 runs.
    const p95s: number[] = [];
    const all: number[] = [];
    for (let run = 0; run < 3; run++) {
      const page = await openPage(browser, server);
      await page.goto(`${server.base}/projects/1/images/${images[run + 1]!.id}`);
      await page.locator('[data-testid=decoder-path][data-path=browser]').waitFor();
      await page.evaluate(() => {
        (globalThis as { segkitTimings?: number[] }).segkitTimings = [];
      });
      for (let i = 0; i < 20; i++) {
        const p = await imageToScreen(page, 30 + ((i * 37) % 180), 20 + ((i * 53) % 140), 240, 180);
        await page.mouse.click(p.x, p.y);
        await page.waitForFunction(
          (n) => ((globalThis as { segkitTimings?: number[] }).segkitTimings?.length ?? 0) >= n,
          i + 1,
        );
        await page.keyboard.press('Enter');
      }
      const t = await page.evaluate(() => (globalThis as { segkitTimings?: number[] }).segkitTimings!);
      all.push(...t);
      p95s.push(percentile(t, 0.95));
      await page.close();
    }
    results.push(result('click → mask drawn, browser decoder (per click)', all));
    notes.push(
      `web: click → mask p95 per run ${p95s.map((x) => x.toFixed(0)).join(', ')} ms (median ${median(p95s).toFixed(0)})`,
    );
    // 3. The scatter with 20,000 points (the analytics answer replaced by synthetic points).
    const firsts: number[] = [];
    const frames: number[] = [];
    for (let run = 0; run < 3; run++) {
      const page = await openPage(browser, server);
      await page.route('**/api/v1/projects/1/analytics', (route) => {
        const points = Array.from({ length: 20_000 }, (_, i) => ({
          id: `img/${i}`,
          imageId: images[i % images.length]!.id,
          x: Math.cos(i) * (i % 97),
          y: Math.sin(i * 1.3) * (i % 89),
          cluster: (i % 13) - 1,
          area: 100,
          bbox: [0, 0, 10, 10],
          label: null,
          annotationId: null,
        }));
        void route.fulfill({
          json: { run: { name: 'synthetic', masks: points.length, clusters: 12 }, points },
        });
      });
      await page.goto(`${server.base}/projects/1/analytics`);
      await page.waitForFunction(
        () => (globalThis as { segkitScatterFirstDraw?: number }).segkitScatterFirstDraw,
      );
      firsts.push(
        await page.evaluate(
          () => (globalThis as { segkitScatterFirstDraw?: number }).segkitScatterFirstDraw!,
        ),
      );
      await page.evaluate(() => {
        (globalThis as { segkitScatterDraws?: number[] }).segkitScatterDraws = [];
      });
      const box = (await page.getByTestId('scatter').boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
      for (let i = 0; i < 60; i++)
        await page.mouse.move(box.x + box.width / 2 + 3 * i, box.y + box.height / 2 + 2 * i);
      await page.mouse.up();
      frames.push(
        ...(await page.evaluate(() => (globalThis as { segkitScatterDraws?: number[] }).segkitScatterDraws!)),
      );
      await page.close();
    }
    results.push(result('scatter 20,000 points: first draw', firsts));
    results.push(result('scatter 20,000 points: draw per frame while panning', frames));
  } finally {
    await browser.close();
    await server.stop();
  }
  return { results, notes };
}

export const webTargets: Record<string, number> = {
  'click → mask drawn, browser decoder (per click)': 100,
  'scatter 20,000 points: draw per frame while panning': 16,
};
