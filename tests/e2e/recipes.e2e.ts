// Recipes in the browser: a project of examples/recipe-shapes with its COCO labels added through the API, and SAM 3
// and CLIP fixtures as its models. From the Recipes page a user mines a recipe for "red square" (live progress, then
// the per-class report and the recipe in the table), then applies it in the annotator's find-all mode and sees masks.
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Ann,
  docShot,
  fixtures,
  type Img,
  launch,
  openPage,
  repo,
  type Server,
  startServer,
} from './harness.js';

const data = join(repo, 'examples/recipe-shapes');
let server: Server;
let browser: Browser;
let images: Img[];

beforeAll(async () => {
  const folder = join(mkdtempSync(join(tmpdir(), 'segkit-e2e-recipes-')), 'recipe-shapes');
  cpSync(join(data, 'images'), folder, { recursive: true });
  server = await startServer([folder]);
  browser = await launch();
  const coco = JSON.parse(readFileSync(join(data, 'annotations.json'), 'utf8'));
  const colours = ['#d02828', '#28aa46', '#283cc8'];
  await server.api('/projects/1', {
    method: 'PATCH',
    body: {
      labels: coco.categories.map((c: { name: string }, i: number) => ({ name: c.name, colour: colours[i] })),
      settings: { models: { find: join(fixtures, 'sam3-fixture'), embed: join(fixtures, 'clip-fixture') } },
    },
  });
  images = (await server.api<{ items: Img[] }>('/projects/1/images?limit=100')).items;
  const names = new Map<number, string>(
    coco.categories.map((c: { id: number; name: string }) => [c.id, c.name]),
  );
  const files = new Map<number, string>(
    coco.images.map((i: { id: number; file_name: string }) => [i.id, i.file_name]),
  );
  for (const a of coco.annotations) {
    const image = images.find((i) => i.fileName === files.get(a.image_id))!;
    await server.api(`/images/${image.id}/annotations`, {
      method: 'POST',
      body: { mode: 'inside_box', label: names.get(a.category_id), bbox: a.bbox, rle: a.segmentation },
    });
  }
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('recipes in the browser (fixture models)', () => {
  it('mines a recipe from the Recipes page with live progress, then applies it in the annotator', async () => {
    const page = await openPage(browser, server);
    await page.goto(`${server.base}/projects/1/recipes`);
    await page.getByTestId('mine-class-green rectangle').uncheck();
    await page.getByTestId('mine-class-blue disc').uncheck();
    await page.getByTestId('mine-prompts').fill('red square: orange, blue');
    await page.getByTestId('mine').click();
    await page.getByTestId('mine-stage').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('mine-stage').textContent()).toMatch(/^red square \(1\/1\): /);
    await page.getByTestId('mine-report').waitFor({ timeout: 180_000 });
    const row = page.getByTestId('report-red square');
    expect(await row.textContent()).toMatch(/red square1\.001\.00/); // coverage and precision
    await page.getByTestId('recipe-red square').waitFor();
    expect(await page.getByTestId('recipe-red square').textContent()).toMatch(/crops/);
    await docShot(page, 'recipes');

    // The annotator, find-all mode: tick the recipe, apply it, and the masks are there.
    const image = images.find((i) => i.fileName === 's004.png')!;
    await page.goto(`${server.base}/projects/1/images/${image.id}`);
    await page.getByTestId('mode-find-all').click();
    await page.getByTestId('recipe-pick-red square').check();
    await page.getByTestId('apply-recipes').click();
    await expect
      .poll(() => page.getByTestId('notice').textContent(), { timeout: 30_000 })
      .toMatch(/^The recipe “red square” found \d+ objects?\.$/);
    const found = (await server.api<Ann[]>(`/images/${image.id}/annotations?mode=find_all`)).filter(
      (a) => a.model === 'recipe:red square',
    );
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((a) => a.label === 'red square' && a.source === 'model' && a.rle)).toBe(true);
    const notice = await page.getByTestId('notice').textContent();
    expect(notice).toContain(`found ${found.length} object`);
    await docShot(page, 'recipes-annotator');
    expect(page.errors).toEqual([]);
    await page.close();
  });
});
