import { iou, rleToMask } from '@segkit/core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { colourScene } from '../../packages/analytics/test/helpers/colour-images.js';
import {
  type Ann,
  closeShapes,
  docShot,
  type Img,
  imageNamed,
  imageToScreen,
  openPage,
  openShapes,
  type Server,
} from './harness.js';

let server: Server;
let browser: Browser;
let images: Img[];
const W = 240;
const H = 180;

beforeAll(async () => {
  ({ server, browser, images } = await openShapes());
});
afterAll(() => closeShapes(server, browser));

const imageOf = (n: number) => imageNamed(images, n);
const boxOf = (m: { width: number; data: Uint8Array }) => {
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = -1;
  let y1 = -1;
  for (let i = 0; i < m.data.length; i++)
    if (m.data[i]) {
      const x = i % m.width;
      const y = Math.floor(i / m.width);
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x);
      y1 = Math.max(y1, y);
    }
  return [x0, y0, x1, y1] as const;
};

async function drag(
  page: Page,
  from: [number, number],
  to: [number, number],
  button: 'left' | 'right' = 'left',
) {
  const a = await imageToScreen(page, from[0], from[1], W, H);
  const b = await imageToScreen(page, to[0], to[1], W, H);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down({ button });
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 3 });
  await page.mouse.move(b.x, b.y, { steps: 3 });
  await page.mouse.up({ button });
}

describe('modes, processing and analytics (chromium, fixture models)', () => {
  it('find-all with a text prompt and a negative exemplar finds the matching shape only; inside-box hides it', async () => {
    const page = await openPage(browser, server);
    const image = imageOf(5);
    const scene = colourScene(5).truth;
    await page.goto(`${server.base}/projects/1/images/${image.id}`);
    await page.getByTestId('mode-find-all').click();
    await page.getByTestId('polarity-negative').click();
    const [gx0, gy0, gx1, gy1] = boxOf(scene.green);
    await drag(page, [gx0 + 3, gy0 + 3], [gx1 - 3, gy1 - 3]);
    await page.getByTestId('find-text').fill('red or green');
    await page.getByTestId('find-all').click();
    const found = async () =>
      (await server.api<Ann[]>(`/images/${image.id}/annotations?mode=find_all`)).filter(
        (a) => a.source === 'model',
      );
    await expect.poll(async () => (await found()).length, { timeout: 20_000 }).toBe(1);
    await expect.poll(() => page.getByTestId('annotations').locator('li[data-source=model]').count()).toBe(1);
    // The rail says what was found; the negative exemplar is listed as one, with the red of its dashed box.
    await expect
      .poll(() => page.getByTestId('notice').textContent())
      .toBe('Found 1 object for “red or green” (CLIPSeg + SAM + CLIP).');
    const exemplar = page.getByTestId('annotations').locator('li', { hasText: '− exemplar (negative)' });
    expect(await exemplar.count()).toBe(1);
    expect(await exemplar.locator('.swatch').evaluate((e) => getComputedStyle(e).backgroundColor)).toBe(
      'rgb(255, 77, 77)',
    );
    await docShot(page, 'find-all');
    const [only] = await found();
    expect(iou(rleToMask(only!.rle!), scene.red)).toBeGreaterThanOrEqual(0.8);
    const negatives = (await server.api<Ann[]>(`/images/${image.id}/annotations?mode=find_all`)).filter(
      (a) => a.promptType === 'negative_exemplar',
    );
    expect(negatives).toHaveLength(1);
    // Model-made annotations are listed as such in find-all, and hidden in inside-box.
    const list = page.getByTestId('annotations');
    await expect.poll(() => list.locator('li[data-source=model]').count()).toBe(1);
    await page.getByTestId('mode-inside-box').click();
    await expect.poll(() => list.locator('li').count()).toBe(0);
    // The gallery in find-all mode counts it; in inside-box it does not.
    await page.goto(`${server.base}/projects/1`);
    const tile = page.locator(`[data-testid=tile][data-image-id="${image.id}"]`);
    await expect.poll(() => tile.getByTestId('count').textContent()).toBe('0 inside-box');
    await page.getByTestId('mode-find-all').click();
    await expect.poll(() => tile.getByTestId('count').textContent()).toBe('2 find-all');
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('processing: the progress bar reaches 100% and the result gallery updates without a reload; modes have separate statuses', async () => {
    const page = await openPage(browser, server);
    await page.goto(`${server.base}/projects/1/process`);
    await page.getByTestId('mode-find-all').click();
    // find-all on one image only (its prompt and exemplars from the test above)
    const image = imageOf(5);
    await page.locator(`[data-testid=result-tile][data-image-id="${image.id}"] input[type=checkbox]`).check();
    await page.getByTestId('run').click();
    await expect
      .poll(() => page.getByTestId('progress').first().getAttribute('aria-valuenow'), { timeout: 30_000 })
      .toBe('100');
    const tile = page.locator(`[data-testid=result-tile][data-image-id="${image.id}"]`);
    await expect
      .poll(() => tile.locator('[data-testid=status-find-all]').getAttribute('data-status'))
      .toBe('done');
    expect(await tile.locator('[data-testid=status-inside-box]').getAttribute('data-status')).toBe('none');
    // inside-box over every image: all of them reach done in the gallery, with no reload; the box drawn on img08
    // becomes a mask, drawn over its tile as soon as that image is done.
    const boxed = imageOf(8);
    const [rx0, ry0, rx1, ry1] = boxOf(colourScene(8).truth.red);
    await server.api(`/images/${boxed.id}/annotations`, {
      body: { mode: 'inside_box', bbox: [rx0 - 4, ry0 - 4, rx1 - rx0 + 9, ry1 - ry0 + 9] },
    });
    await page.getByTestId('mode-inside-box').click();
    await page.getByRole('button', { name: 'all', exact: true }).click();
    const navigations: string[] = [];
    page.on('framenavigated', (f) => navigations.push(f.url()));
    await page.getByTestId('run').click();
    await expect
      .poll(() => page.getByTestId('progress').first().getAttribute('aria-valuenow'), { timeout: 60_000 })
      .toBe('100');
    // Only img08 has a box: it is done, and every other image says it has no boxes to segment (not "done").
    await expect
      .poll(() => page.locator('[data-testid=result-tile][data-status=failed]').count(), { timeout: 20_000 })
      .toBe(images.length - 1);
    expect(await page.locator('[data-testid=result-tile][data-status=done]').count()).toBe(1);
    expect(await page.getByTestId('job').first().getAttribute('data-state')).toBe('partial');
    expect(await page.getByTestId('failed-count').textContent()).toContain(`${images.length - 1} failed`);
    expect(navigations).toEqual([]);
    const masked = (await server.api<Ann[]>(`/images/${boxed.id}/annotations?mode=inside_box`)).filter(
      (x) => x.rle,
    );
    expect(masked).toHaveLength(1);
    expect(iou(rleToMask(masked[0]!.rle!), colourScene(8).truth.red)).toBeGreaterThanOrEqual(0.8);
    const overlay = page.locator(`[data-testid=result-tile][data-image-id="${boxed.id}"] canvas`);
    await expect
      .poll(() =>
        overlay.evaluate((c: HTMLCanvasElement) => {
          const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
          return n;
        }),
      )
      .toBeGreaterThan(1000);
    await docShot(page, 'processing');
    const statuses = (await server.api<{ items: Img[] }>('/projects/1/images?limit=100')).items;
    expect(statuses.filter((i) => i.status.inside_box === 'done').map((i) => i.id)).toEqual([boxed.id]);
    expect(
      statuses
        .filter((i) => i.id !== boxed.id)
        .every((i) => /No boxes to segment/.test(i.errors.inside_box ?? '')),
    ).toBe(true);
    expect(statuses.filter((i) => i.status.find_all === 'done').map((i) => i.id)).toEqual([image.id]);
    await page.close();
  });

  it('analytics: after an analyze job the scatter has one point per mask; a click opens a mask; a lasso labels masks', async () => {
    const page = await openPage(browser, server);
    await page.goto(`${server.base}/projects/1/analytics`);
    await page.getByTestId('analyze').click();
    const scatter = page.getByTestId('scatter');
    await scatter.waitFor({ timeout: 110_000 });
    const run = await server.api<{ points: { id: string; imageId: number }[] }>('/projects/1/analytics');
    expect(run.points.length).toBeGreaterThan(0);
    expect(Number(await scatter.getAttribute('data-points'))).toBe(run.points.length);
    // Click the first drawn point (a coloured pixel of the canvas).
    const box = (await scatter.boundingBox())!;
    const hit = await scatter.evaluate((c: HTMLCanvasElement) => {
      const ctx = c.getContext('2d')!;
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      const dpr = c.width / c.clientWidth;
      for (let i = 0; i < d.length; i += 4)
        // A coloured point's pixel (not the white page, nor the dark cluster numbers and rings).
        if (Math.max(d[i]!, d[i + 1]!, d[i + 2]!) - Math.min(d[i]!, d[i + 1]!, d[i + 2]!) > 80) {
          const p = i / 4;
          return [(p % c.width) / dpr + 1.5, Math.floor(p / c.width) / dpr + 1.5];
        }
      return null;
    });
    expect(hit).not.toBeNull();
    await page.mouse.click(box.x + hit![0]!, box.y + hit![1]!);
    const view = page.getByTestId('mask-view');
    await view.waitFor();
    expect(run.points.map((p) => p.id)).toContain(await view.getAttribute('data-mask-id'));
    expect(await page.getByTestId('open-annotator').getAttribute('href')).toMatch(
      /^\/projects\/1\/images\/\d+$/,
    );
    // A lasso round the whole plot selects every mask; labelling them makes annotations with that label.
    await page.getByTestId('lasso').click();
    const corners: [number, number][] = [
      [3, 3],
      [box.width - 3, 3],
      [box.width - 3, box.height - 3],
      [3, box.height - 3],
    ];
    await page.mouse.move(box.x + 3, box.y + 3);
    await page.mouse.down();
    for (const [x, y] of corners.slice(1)) await page.mouse.move(box.x + x, box.y + y, { steps: 4 });
    await page.mouse.move(box.x + 3, box.y + 6, { steps: 4 });
    await page.mouse.up();
    await expect
      .poll(() => page.getByTestId('selection-count').textContent())
      .toBe(`${run.points.length} selected`);
    await docShot(page, 'analytics');
    await page.getByTestId('lasso-label').fill('shape');
    await page.getByTestId('apply-label').click();
    await expect
      .poll(
        async () =>
          (await server.api<{ points: { label: string | null }[] }>('/projects/1/analytics')).points,
      )
      .toSatisfy((pts: { label: string | null }[]) => pts.every((p) => p.label === 'shape'));
    let labelled = 0;
    for (const im of images)
      labelled += (await server.api<Ann[]>(`/images/${im.id}/annotations?label=shape`)).length;
    expect(labelled).toBe(run.points.length);
    // The page says what happened; labelled points are drawn differently (ringed dots), and the legend shows each
    // cluster's masks, so that its colour is not read as the objects' colour.
    await expect
      .poll(() => page.getByRole('status').first().textContent())
      .toMatch(/labelled “shape”: \d+ new/);
    await expect
      .poll(() => page.getByTestId('scatter').getAttribute('data-labelled'))
      .toBe(String(run.points.length));
    const legend = page.getByTestId('legend-cluster');
    expect(await legend.count()).toBeGreaterThan(0);
    expect(await legend.first().locator('img, canvas').count()).toBeGreaterThan(0);
    // Labelling the same masks again (the lasso is still on) relabels the annotations they made: no duplicates.
    const box2 = (await page.getByTestId('scatter').boundingBox())!; // the note above moved the plot down
    await page.mouse.move(box2.x + 3, box2.y + 3);
    await page.mouse.down();
    for (const [x, y] of corners.slice(1)) await page.mouse.move(box2.x + x, box2.y + y, { steps: 4 });
    await page.mouse.move(box2.x + 3, box2.y + 6, { steps: 4 });
    await page.mouse.up();
    await page.getByTestId('lasso-label').fill('thing');
    await page.getByTestId('apply-label').click();
    await expect
      .poll(() => page.getByRole('status').first().textContent())
      .toMatch(new RegExp(`0 new annotations, ${run.points.length} existing ones relabelled`));
    let total = 0;
    for (const im of images)
      total += (await server.api<Ann[]>(`/images/${im.id}/annotations?label=thing`)).length;
    expect(total).toBe(run.points.length);
    expect(page.errors).toEqual([]);
    await page.close();
  });
});
