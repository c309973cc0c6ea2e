// Nothing is lost: an edit made offline survives closing the page and is saved on the next visit; a 409 conflict is
// shown with a choice, never overwritten silently. Also upload through the gallery and the assists (refine with X,
// auto-class with C then A, point-to-box), in chromium against `segkit serve` with the fixture models.
import { join } from 'node:path';
import { iou, type Mask, bbox as maskBbox, maskToPolygons, rleToMask } from '@segkit/core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { colourScene } from '../../packages/analytics/test/helpers/colour-images.js';
import {
  type Ann,
  centre,
  closeShapes,
  docShot,
  type Img,
  imageNamed,
  imageToScreen,
  openPage,
  openShapes,
  repo,
  type Server,
} from './harness.js';

let server: Server;
let browser: Browser;
let images: Img[];

beforeAll(async () => {
  ({ server, browser, images } = await openShapes([
    { name: 'red', colour: '#d22828' },
    { name: 'green', colour: '#28a046' },
    { name: 'blue', colour: '#283cc8' },
  ]));
});
afterAll(() => closeShapes(server, browser));

const imageOf = (n: number) => imageNamed(images, n);
const maskBox = (m: Mask) => {
  const [x, y, w, h] = maskBbox(m);
  return [x, y, x + w - 1, y + h - 1] as const;
};
const annotations = (imageId: number) => server.api<Ann[]>(`/images/${imageId}/annotations?mode=inside_box`);
const clicks = (page: Page, n: number) =>
  page.waitForFunction(
    (k) => ((globalThis as { segkitTimings?: number[] }).segkitTimings?.length ?? 0) >= k,
    n,
  );
async function clickAt(page: Page, [x, y]: [number, number]) {
  const p = await imageToScreen(page, x, y, 240, 180);
  await page.mouse.click(p.x, p.y);
}
async function annotate(page: Page, imageId: number) {
  await page.goto(`${server.base}/projects/1/images/${imageId}`);
  await page.locator('[data-testid=decoder-path][data-path=browser]').waitFor({ timeout: 30_000 });
}

describe('nothing lost, conflicts shown, upload and assists (chromium)', () => {
  it('an edit made offline is kept through closing the page and saved on the next visit', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${server.base}/?token=${server.token}`);
    const image = imageOf(9);
    await annotate(page, image.id);
    await context.setOffline(true);
    await clickAt(page, centre(colourScene(9).truth.blue));
    await clicks(page, 1);
    await page.getByText(/^Offline:/).waitFor();
    expect(await page.getByTestId('save-state').getAttribute('data-pending')).toBe('1');
    expect(await annotations(image.id)).toEqual([]);
    await page.close();
    await context.setOffline(false);
    const again = await context.newPage();
    await again.goto(`${server.base}/projects/1/images/${image.id}`);
    await again.locator('[data-testid=save-state][data-pending="0"]').waitFor();
    await expect.poll(async () => (await annotations(image.id)).length).toBe(1);
    const [a] = await annotations(image.id);
    expect(iou(rleToMask(a!.rle!), colourScene(9).truth.blue)).toBeGreaterThanOrEqual(0.8);
    await context.close();
  });

  it('a 409 is shown with a choice: reloading shows the other writer’s version', async () => {
    const page = await openPage(browser, server);
    const image = imageOf(10);
    await annotate(page, image.id);
    await clickAt(page, centre(colourScene(10).truth.red));
    await clicks(page, 1);
    await page.locator('[data-testid=save-state][data-pending="0"]').waitFor();
    const [a] = await annotations(image.id);
    // Someone else relabels it meanwhile.
    await server.api(`/annotations/${a!.id}`, {
      method: 'PATCH',
      body: { label: 'green' },
      headers: { 'if-match': String(a!.version) },
    });
    await page.keyboard.press('2'); // our edit, on the version we had
    const banner = page.getByTestId('conflict');
    await banner.waitFor();
    expect(await banner.textContent()).toMatch(/Not saved: .*version/);
    expect((await annotations(image.id))[0]!.label).toBe('green');
    await banner.getByRole('button', { name: 'Reload from server' }).click();
    await banner.waitFor({ state: 'detached' });
    await expect.poll(() => page.getByTestId('annotations').textContent()).toContain('green');
    await page.close();
  });

  it('an edit of an annotation another tab deleted says so in words, with the way out', async () => {
    const page = await openPage(browser, server);
    const image = imageOf(8);
    await annotate(page, image.id);
    await clickAt(page, centre(colourScene(8).truth.red));
    await clicks(page, 1);
    await page.locator('[data-testid=save-state][data-pending="0"]').waitFor();
    const [a] = await annotations(image.id);
    await server.api(`/annotations/${a!.id}`, { method: 'DELETE' });
    await page.keyboard.press('2'); // an edit of the annotation that is gone
    const banner = page.getByTestId('conflict');
    await banner.waitFor();
    const text = (await banner.textContent())!;
    expect(text).toContain('this annotation was deleted elsewhere');
    expect(text).not.toMatch(/E_NOT_FOUND|No annotation \d+/);
    await banner.getByRole('button', { name: 'Reload from server' }).click();
    await banner.waitFor({ state: 'detached' });
    await expect.poll(() => page.getByTestId('annotations').locator('li').count()).toBe(0);
    await page.close();
  });

  it('upload through the gallery adds the image and shows it', async () => {
    const page = await openPage(browser, server);
    await page.goto(`${server.base}/projects/1`);
    const before = (await server.api<{ total: number }>('/projects/1/images')).total;
    await expect.poll(() => page.getByTestId('tile').count()).toBe(before);
    await page.locator('input[type=file]').setInputFiles(join(repo, 'examples/coffee.png'));
    await expect.poll(() => page.getByTestId('tile').count()).toBe(before + 1);
    await expect.poll(() => page.getByRole('status').textContent()).toContain('1 new image');
    expect((await server.api<{ total: number }>('/projects/1/images')).total).toBe(before + 1);
    await page.close();
  });

  it('assists: X tightens a loose box with SAM, C ranks labels and A accepts, point-to-box makes a box and a mask', async () => {
    const page = await openPage(browser, server);
    const image = imageOf(11);
    const truth = colourScene(11).truth;
    const loose = await server.api<Ann>(`/images/${image.id}/annotations`, {
      body: { mode: 'inside_box', bbox: [2, 2, 120, 90] },
    });
    await annotate(page, image.id);
    await page.getByTestId('annotations').locator('li button').first().click();
    await page.keyboard.press('x');
    await expect
      .poll(async () => (await annotations(image.id)).find((x) => x.id === loose.id)?.rle)
      .toBeTruthy();
    const refined = (await annotations(image.id)).find((x) => x.id === loose.id)!;
    expect(iou(rleToMask(refined.rle!), truth.red)).toBeGreaterThanOrEqual(0.8);
    await page.keyboard.press('c');
    const ranked = page.getByTestId('ranked');
    await ranked.waitFor();
    expect(await ranked.locator('li').first().textContent()).toContain('red');
    await page.keyboard.press('a');
    await expect
      .poll(async () => (await annotations(image.id)).find((x) => x.id === loose.id)?.label)
      .toBe('red');
    await page.keyboard.press('t');
    await clickAt(page, centre(truth.blue));
    await expect.poll(async () => (await annotations(image.id)).length).toBe(2);
    const made = (await annotations(image.id)).find((x) => x.id !== loose.id)!;
    expect(iou(rleToMask(made.rle!), truth.blue)).toBeGreaterThanOrEqual(0.8);
    await expect.poll(() => ranked.locator('li').first().textContent()).toContain('blue');
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('the edit tool drags a vertex of a mask outline; undo restores the mask exactly', async () => {
    const page = await openPage(browser, server);
    const image = imageOf(7);
    await annotate(page, image.id);
    await clickAt(page, centre(colourScene(7).truth.red));
    await clicks(page, 1);
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=save-state][data-pending="0"]').waitFor();
    const [before] = await annotations(image.id);
    await page.keyboard.press('v');
    await clickAt(page, centre(colourScene(7).truth.red)); // selects the mask, showing its vertices
    const [ring] = maskToPolygons(rleToMask(before!.rle!), { tolerance: 1.5 });
    const [vx, vy] = [ring!.points[0]!, ring!.points[1]!];
    // Vertices sit on pixel corners: imageToScreen gives pixel centres, so step back half a pixel.
    const from = await imageToScreen(page, vx - 0.5, vy - 0.5, 240, 180);
    const to = await imageToScreen(page, Math.max(0, vx - 15.5), Math.max(0, vy - 12.5), 240, 180);
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(to.x, to.y, { steps: 5 });
    await page.mouse.up();
    await expect.poll(async () => (await annotations(image.id))[0]!.version).toBe(before!.version + 1);
    const [after] = await annotations(image.id);
    expect(rleToMask(after!.rle!).data.reduce((a, b) => a + b, 0)).toBeGreaterThan(
      rleToMask(before!.rle!).data.reduce((a, b) => a + b, 0),
    );
    await page.keyboard.press('Control+z');
    await expect.poll(async () => (await annotations(image.id))[0]!.rle).toEqual(before!.rle);
    await page.close();
  });

  it('a head trained on the processing page and activated there names boxes in auto-class, and says so', async () => {
    // Labelled boxes on six images: the shapes' true boxes.
    for (let n = 0; n < 6; n++) {
      const truth = colourScene(n).truth;
      for (const [label, mask] of Object.entries(truth)) {
        const [x0, y0, x1, y1] = maskBox(mask);
        await server.api(`/images/${imageOf(n).id}/annotations`, {
          body: { mode: 'inside_box', label, bbox: [x0, y0, x1 - x0 + 1, y1 - y0 + 1] },
        });
      }
    }
    await server.api('/projects/1', {
      method: 'PATCH',
      body: { settings: { models: { embed: join(repo, 'fixtures/models/clip-fixture') } } },
    });
    const page = await openPage(browser, server);
    await page.goto(`${server.base}/projects/1/process`);
    const panel = page.getByTestId('heads');
    await panel.getByLabel('Head name').fill('colours');
    await panel.getByRole('button', { name: 'Train head' }).click();
    await expect
      .poll(() => panel.getByTestId('progress').getAttribute('aria-valuenow'), { timeout: 60_000 })
      .toBe('100');
    await panel.getByLabel(/colours/).click();
    await expect
      .poll(async () => (await server.api<{ active: string | null }>('/projects/1/heads')).active)
      .toBe('colours');
    await docShot(page, 'heads');
    // The annotator's auto-class now ranks with the head.
    const image = imageOf(2);
    await page.goto(`${server.base}/projects/1/images/${image.id}`);
    await page
      .getByTestId('annotations')
      .locator('li', { hasText: 'green' })
      .locator('button')
      .first()
      .click();
    await page.keyboard.press('c');
    await expect.poll(() => page.getByTestId('ranked-by').textContent()).toContain('head “colours”');
    expect(await page.getByTestId('ranked').locator('li').first().textContent()).toContain('green');
    await page.close();
  });
});
