// SAM 3 in the browser: a project whose segmentation model is the SAM 3 tracker and whose find model is SAM 3 (the
// fixtures). Clicks run the tracker's decoder in chromium with no segment request; find-all with a text and a
// negative exemplar runs on the server with SAM 3, and the rail says so.
import { join } from 'node:path';
import { iou, type Mask, rleToMask } from '@segkit/core';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { colourScene } from '../../packages/analytics/test/helpers/colour-images.js';
import {
  type Ann,
  centre,
  docShot,
  type Img,
  imageNamed,
  imageToScreen,
  launch,
  openPage,
  repo,
  type Server,
  startServer,
} from './harness.js';

const W = 240;
const H = 180;
const fixtures = join(repo, 'fixtures/models');
let server: Server;
let browser: Browser;
let images: Img[];

beforeAll(async () => {
  server = await startServer([join(repo, 'examples/shapes')]);
  browser = await launch();
  await server.api('/projects/1', {
    method: 'PATCH',
    body: {
      settings: {
        models: { segment: join(fixtures, 'sam3-tracker-fixture'), find: join(fixtures, 'sam3-fixture') },
      },
    },
  });
  images = (await server.api<{ items: Img[] }>('/projects/1/images?limit=100')).items;
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const boxOf = (m: Mask) => {
  let [x0, y0, x1, y1] = [m.width, m.height, 0, 0];
  for (let i = 0; i < m.data.length; i++)
    if (m.data[i]) {
      const x = i % m.width;
      const y = (i - x) / m.width;
      [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    }
  return [x0, y0, x1, y1] as const;
};

describe('SAM 3 in the browser (fixture models)', () => {
  it('clicks run the SAM 3 tracker decoder in chromium: the mask is drawn and no segment request is made', async () => {
    const page = await openPage(browser, server);
    const image = imageNamed(images, 0);
    const segmentCalls: string[] = [];
    page.on('request', (r) => {
      if (/\/segment$/.test(new URL(r.url()).pathname)) segmentCalls.push(r.url());
    });
    await page.goto(`${server.base}/projects/1/images/${image.id}`);
    await page.locator('[data-testid=decoder-path][data-path=browser]').waitFor({ timeout: 30_000 });
    const truth = colourScene(0).truth.red;
    const [x, y] = centre(truth);
    const p = await imageToScreen(page, x, y, W, H);
    await page.mouse.click(p.x, p.y);
    await page.waitForFunction(
      () => ((globalThis as { segkitTimings?: number[] }).segkitTimings?.length ?? 0) >= 1,
    );
    const last = await page.evaluate(
      () =>
        (globalThis as { segkitLastDecode?: { layout: string; outputs: Record<string, number[]> } })
          .segkitLastDecode,
    );
    expect(last?.layout).toBe('sam3-tracker');
    expect(last?.outputs.pred_masks?.slice(-2)).toEqual([288, 288]);
    await page.locator('[data-testid=save-state][data-pending="0"]').waitFor();
    const saved = await server.api<Ann[]>(`/images/${image.id}/annotations?mode=inside_box`);
    expect(saved).toHaveLength(1);
    expect(iou(rleToMask(saved[0]!.rle!), truth)).toBeGreaterThanOrEqual(0.8);
    expect(segmentCalls).toEqual([]);
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('find-all with a text and a negative exemplar runs SAM 3 on the server and the rail names it', async () => {
    const page = await openPage(browser, server);
    const image = imageNamed(images, 5);
    const scene = colourScene(5).truth;
    await page.goto(`${server.base}/projects/1/images/${image.id}`);
    await page.getByTestId('mode-find-all').click();
    await page.getByTestId('polarity-negative').click();
    const [gx0, gy0, gx1, gy1] = boxOf(scene.green);
    const a = await imageToScreen(page, gx0 + 3, gy0 + 3, W, H);
    const b = await imageToScreen(page, gx1 - 3, gy1 - 3, W, H);
    await page.mouse.move(a.x, a.y);
    await page.mouse.down();
    await page.mouse.move(b.x, b.y, { steps: 5 });
    await page.mouse.up();
    await page.getByTestId('find-text').fill('red or green');
    await page.getByTestId('find-all').click();
    await expect
      .poll(() => page.getByTestId('notice').textContent(), { timeout: 20_000 })
      .toBe('Found 1 object for “red or green” (SAM 3: sam3-fixture).');
    const found = (await server.api<Ann[]>(`/images/${image.id}/annotations?mode=find_all`)).filter(
      (x) => x.source === 'model',
    );
    expect(found).toHaveLength(1);
    expect(iou(rleToMask(found[0]!.rle!), scene.red)).toBeGreaterThanOrEqual(0.8);
    expect(found[0]!.model).toBe(join(fixtures, 'sam3-fixture'));
    await docShot(page, 'sam3-find-all');
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('the settings page lists the find-all model with its state and the SAM 3 presets with theirs', async () => {
    const page = await openPage(browser, server);
    await page.goto(`${server.base}/projects/1/settings`);
    await expect.poll(() => page.getByTestId('model-find').getAttribute('data-status')).toBe('ready');
    expect(await page.getByTestId('model-find').textContent()).toMatch(/sam3-fixture/);
    await expect.poll(() => page.getByTestId('sam3-model-sam3').getAttribute('data-status')).toBe('missing');
    expect(await page.getByTestId('sam3-model-sam3').textContent()).toMatch(/segkit models pull sam3/);
    await docShot(page, 'sam3-settings');
    expect(page.errors).toEqual([]);
    await page.close();
  });
});
