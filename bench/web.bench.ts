// Browser app benchmarks (chromium, fixture models, a real `segkit serve` on 127.0.0.1): JavaScript transferred on a
// first load of the annotator (gzip, without ONNX Runtime's WASM), click → mask drawn with the browser decoder, and
// the analytics scatter with 20,000 points (time to first draw, draw time per frame while panning).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import {
  chromiumPath,
  fixtures,
  imageToScreen,
  launch,
  openPage,
  percentile,
  realArch,
  repo,
  type Server,
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
  const real = existsSync(realArch) ? ['--model-root', realArch] : [];
  const server = await startServer([join(repo, 'examples/shapes')], real);
  const browser = await launch();
  const notes: string[] = [];
  const results: BenchResult[] = [];
  try {
    const images = (await server.api<{ items: { id: number }[] }>('/projects/1/images')).items;
    console.error('web: first loads…');
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
    // 2. Click → mask drawn, browser decoder, 20 clicks per run, 3 runs: the fixture, then the real-architecture SAM
    // and SAM 2 decoders (the real decoder size) when ../shared/real-arch is present.
    const decoders: [string, string | null][] = [
      ['fixture', null],
      ['real-arch SAM', 'sam-hf'],
      ['real-arch SAM 2', 'sam2-hf'],
    ];
    let path = '';
    for (const [name, dir] of decoders) {
      if (dir && !existsSync(join(realArch, dir))) {
        notes.push(`web: ${name} skipped (${realArch} is absent)`);
        continue;
      }
      const segment = dir ? join(realArch, dir) : join(fixtures, 'sam-fixture');
      await server.api('/projects/1', { method: 'PATCH', body: { settings: { models: { segment } } } });
      console.error(`web: clicks on the ${name} decoder…`);
      // A person's pointer rests on the object before the click (the hover preview runs meanwhile, and the click
      // takes its answer); a click at once right after a move is the worst case.
      for (const [how, rest] of [
        ['pointer resting 0.4 s first', 400],
        ['clicked at once', 0],
      ] as const) {
        const c = await clickRuns(browser, server, images, rest);
        path = c.path;
        results.push(result(`click → mask, ${name}, ${how}`, c.all));
        notes.push(
          `web: ${name}, ${how}: click → mask p50 ${percentile(c.all, 0.5).toFixed(0)} ms, p95 ${percentile(c.all, 0.95).toFixed(0)} ms over ${c.all.length} clicks (${c.empty} found nothing); decoder run alone p50 ${percentile(c.runs, 0.5).toFixed(0)} ms; ${c.long.length} main-thread tasks over 50 ms during the ${c.all.length} clicks, the longest ${Math.max(0, ...c.long).toFixed(0)} ms`,
        );
      }
      notes.push(`web: ${name}: ${path}`);
    }
    console.error('web: scatter…');
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
  'click → mask, real-arch SAM, pointer resting 0.4 s first': 80,
  'click → mask, real-arch SAM 2, pointer resting 0.4 s first': 80,
  'click → mask, real-arch SAM, clicked at once': 80,
  'click → mask, real-arch SAM 2, clicked at once': 80,
  'scatter 20,000 points: draw per frame while panning': 16,
};

/**
 * 3 pages × 20 clicks on the project's current segment model (`rest` ms of the pointer resting on the point first):
 * every click → drawn time, the decoder runs alone, and the main-thread tasks over 50 ms.
 */
async function clickRuns(browser: Browser, server: Server, images: { id: number }[], rest: number) {
  const all: number[] = [];
  const long: number[] = [];
  let empty = 0;
  let path = '';
  const runs: number[] = [];
  for (let run = 0; run < 3; run++) {
    const page = await openPage(browser, server);
    await page.addInitScript(() => {
      const w = globalThis as { segkitLongTasks?: number[] };
      w.segkitLongTasks = [];
      new PerformanceObserver((l) => {
        for (const e of l.getEntries()) w.segkitLongTasks!.push(e.duration);
      }).observe({ type: 'longtask', buffered: true });
    });
    await page.goto(`${server.base}/projects/1/images/${images[run + 1]!.id}`);
    await page.locator('[data-testid=decoder-path][data-path=browser]').waitFor({ timeout: 120_000 });
    path = (await page.getByTestId('decoder-path').innerText()).replace(/\s+/g, ' ');
    await page.evaluate(() => {
      (globalThis as { segkitAnswers?: unknown[] }).segkitAnswers = [];
      (globalThis as { segkitLongTasks?: number[] }).segkitLongTasks = [];
    });
    for (let i = 0; i < 20; i++) {
      const p = await imageToScreen(page, 30 + ((i * 37) % 180), 20 + ((i * 53) % 140), 240, 180);
      if (rest) {
        await page.mouse.move(p.x, p.y);
        await page.waitForTimeout(rest);
      }
      await page.mouse.click(p.x, p.y);
      // Answered: a mask drawn, or (random real-architecture weights) nothing found at that point.
      await page.waitForFunction(
        (n) => ((globalThis as { segkitAnswers?: unknown[] }).segkitAnswers?.length ?? 0) >= n,
        i + 1,
        { timeout: 30_000 },
      );
      const last = await page.evaluate(
        () => (globalThis as { segkitLastDecode?: { runMs: number } }).segkitLastDecode,
      );
      if (last) runs.push(last.runMs);
      await page.keyboard.press('Enter');
    }
    const answers = await page.evaluate(
      () => (globalThis as { segkitAnswers?: { ms: number; drawn: boolean }[] }).segkitAnswers!,
    );
    const longTasks = await page.evaluate(
      () => (globalThis as { segkitLongTasks?: number[] }).segkitLongTasks!,
    );
    all.push(...answers.map((a) => a.ms));
    empty += answers.filter((a) => !a.drawn).length;
    long.push(...longTasks.filter((ms) => ms > 50));
    await page.close();
  }
  return { all, long, empty, runs, path };
}
