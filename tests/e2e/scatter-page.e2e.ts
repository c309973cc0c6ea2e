// `segkit analyze plot --html` at 100,000 masks: the page draws on one canvas (no SVG node per point), hover finds the
// nearest mask and loads its thumbnail only then, the legend highlights a cluster, and wheel/drag/F move the view.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plotRun } from '../../packages/analytics/src/index.js';
import { type LargeRun, largeRun } from '../../packages/analytics/test/helpers/large-run.js';
import { launch } from './harness.js';

interface PlotApi {
  n: number;
  draws: number[];
  loads: number;
  hovered: number;
  highlight: number | null;
  toScreen(i: number): [number, number];
}
const plotApi = (page: Page) =>
  page.evaluate(() => {
    const a = (window as unknown as { segkitPlot: PlotApi }).segkitPlot;
    return { n: a.n, draws: a.draws.length, loads: a.loads, hovered: a.hovered, highlight: a.highlight };
  });
const screenOf = (page: Page, i: number) =>
  page.evaluate((k) => (window as unknown as { segkitPlot: PlotApi }).segkitPlot.toScreen(k), i);

describe('the HTML scatter of a 100k-mask run', () => {
  let browser: Browser;
  let run: LargeRun;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    run = await largeRun(100_000);
    const { points } = await plotRun(run.dir, join(run.dir, 'scatter.html'), { html: true });
    expect(points).toBe(100_000);
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`file://${join(run.dir, 'scatter.html')}`);
    await page.waitForFunction(
      () => (window as unknown as { segkitPlot?: PlotApi }).segkitPlot?.draws.length,
    );
  });
  afterAll(async () => {
    await browser?.close();
    if (run) rmSync(run.dir, { recursive: true, force: true });
  });

  it('draws every point on one canvas, with a legend of the clusters, and loads no thumbnail up front', async () => {
    expect(await page.locator('svg circle').count()).toBe(0);
    expect(await page.locator('canvas#plot').count()).toBe(1);
    const api = await plotApi(page);
    expect(api).toMatchObject({ n: 100_000, loads: 0, hovered: -1 });
    // 12 clusters and noise, largest first, noise last.
    const legend = await page.locator('#legend button').allTextContents();
    expect(legend).toHaveLength(13);
    expect(legend.at(-1)).toMatch(/^noise \(\d+\)$/);
    // The dots are on the canvas: a blob's centre is painted in its cluster's colour, a far corner is blank.
    const [cx, cy] = run.centres[0]!;
    const centre = run.rows.reduce(
      (best, r, i) => {
        const d = Math.hypot(r.mask_umap![0] - cx, r.mask_umap![1] - cy);
        return d < best.d && r.mask_cluster === 0 ? { i, d } : best;
      },
      { i: -1, d: Infinity },
    ).i;
    const pixelAt = async ([x, y]: [number, number]) =>
      page.evaluate(
        ([px, py]) => {
          const c = document.querySelector('canvas#plot') as HTMLCanvasElement;
          const r = c.getBoundingClientRect();
          const k = c.width / r.width;
          return [...c.getContext('2d')!.getImageData((px - r.left) * k, (py - r.top) * k, 1, 1).data];
        },
        [x, y] as [number, number],
      );
    const painted = await pixelAt(await screenOf(page, centre));
    // One path per cluster, so overlapping dots keep the dot opacity (0.85) instead of stacking to opaque.
    expect(painted[3]).toBeGreaterThan(200);
    for (const [k, v] of [31, 119, 180].entries()) expect(Math.abs(painted[k]! - v)).toBeLessThan(4); // cluster 0
    const box = (await page.locator('canvas#plot').boundingBox())!;
    expect((await pixelAt([box.x + 2, box.y + 2]))[3]).toBe(0);
    expect(errors).toEqual([]);
  });

  it('hovering a dot shows its mask id and loads that thumbnail, and only it', async () => {
    const [x, y] = await screenOf(page, 1);
    await page.mouse.move(x, y);
    await expect.poll(async () => (await plotApi(page)).hovered).toBeGreaterThanOrEqual(0);
    const hovered = (await plotApi(page)).hovered;
    await expect.poll(() => page.locator('#tip').isVisible()).toBe(true);
    expect(hovered).toBe(1);
    expect(await page.locator('#tiptext').textContent()).toMatch(
      /^img00\/1 · cluster 1 · area 100 · score 0\.900$/,
    );
    // Thumbnails load on demand: one image and one mask, never 100k.
    expect((await plotApi(page)).loads).toBe(2);
    await expect.poll(() => page.locator('#thumb').getAttribute('data-loaded')).toBe('1');
    if (process.env.SEGKIT_SHOTS)
      await page.screenshot({ path: join(process.env.SEGKIT_SHOTS, 'scatter-html.png') });
    // The thumbnail is the mask's crop: its centre is the green shape in its own colour, and the background around
    // it is dimmed (the scene's background is a light grey).
    // (the page reads images from file://, which taints the canvas, so read it back from a screenshot)
    const shot = await sharp(await page.locator('#thumb').screenshot())
      .raw()
      .toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => {
      const o = (y * shot.info.width + x) * shot.info.channels;
      return [shot.data[o]!, shot.data[o + 1]!, shot.data[o + 2]!];
    };
    const mid = at(shot.info.width >> 1, shot.info.height >> 1);
    expect(mid[1]).toBeGreaterThan(mid[0]! + 40);
    expect(mid[1]).toBeGreaterThan(mid[2]! + 40);
    const corner = at(4, shot.info.height >> 1);
    expect(Math.max(...corner)).toBeLessThan(170);
    await page.mouse.move(5, 790);
    await expect.poll(() => page.locator('#tip').isVisible()).toBe(false);
  });

  it('a legend click highlights one cluster; F fits the view again after zoom and pan', async () => {
    await page.locator('#legend button', { hasText: /^cluster 3 / }).click();
    expect((await plotApi(page)).highlight).toBe(3);
    await page.keyboard.press('Escape');
    expect((await plotApi(page)).highlight).toBeNull();
    const before = await screenOf(page, 0);
    await page.mouse.move(500, 400);
    await page.mouse.wheel(0, -600);
    await page.mouse.move(520, 420);
    await page.mouse.down();
    await page.mouse.move(620, 470, { steps: 4 });
    await page.mouse.up();
    const moved = await screenOf(page, 0);
    expect(Math.hypot(moved[0] - before[0], moved[1] - before[1])).toBeGreaterThan(50);
    await page.keyboard.press('f');
    await expect.poll(async () => (await screenOf(page, 0)).map(Math.round)).toEqual(before.map(Math.round));
    expect(errors).toEqual([]);
  });
});
