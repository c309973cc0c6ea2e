// The walkthrough of docs/web.md, as a new user follows it: `segkit serve examples/shapes` with the fixture models
// named by the documented flags (no API calls to set models), then settings, find-all, processing in both modes with
// their failures shown, analytics, uploads, not-found links and the token page. Screenshots go to docs/img/.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  docShot,
  type Img,
  imageNamed,
  launch,
  openPage,
  repo,
  type Server,
  startServer,
} from './harness.js';

let server: Server;
let browser: Browser;
let images: Img[];

/**
 * The walkthrough's command, read from docs/web.md (the `segkit serve` line with `--text-model`), so that the docs and
 * this test cannot drift: its folder and flags, less `--data` (the harness gives each run its own).
 */
function walkthroughCommand(): { folders: string[]; flags: string[] } {
  const line = readFileSync(join(repo, 'docs/web.md'), 'utf8')
    .split('\n')
    .find((l) => /segkit serve .*--text-model/.test(l));
  if (!line) throw new Error('docs/web.md has no `segkit serve … --text-model` walkthrough line');
  const words = line.replace(/#.*$/, '').trim().split(/\s+/);
  const args = words.slice(words.indexOf('serve') + 1);
  const folders: string[] = [];
  const flags: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--data') i++;
    else if (args[i]!.startsWith('--')) flags.push(args[i]!, args[++i]!);
    else folders.push(args[i]!);
  }
  return { folders, flags };
}

beforeAll(async () => {
  const { folders, flags } = walkthroughCommand();
  expect(flags).toEqual(expect.arrayContaining(['--model', '--text-model', '--embed-model']));
  server = await startServer(folders, flags, true);
  browser = await launch();
  images = (await server.api<{ items: Img[] }>('/projects/1/images?limit=100')).items;
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('a new user, following docs/web.md (chromium)', () => {
  it('settings name every model with its state, marked as test models; labels get distinct colours and a picker', async () => {
    const page = await openPage(browser, server);
    await page.goto(`${server.base}/projects/1/settings`);
    for (const role of ['segment', 'text', 'embed'])
      await expect.poll(() => page.getByTestId(`model-${role}`).getAttribute('data-status')).toBe('ready');
    expect(await page.getByTestId('model-text').textContent()).toContain('test model');
    expect(await page.getByTestId('model-text').textContent()).toContain('server’s default');
    for (const name of ['red', 'green']) {
      await page.getByLabel('New label name').fill(name);
      await page.getByRole('button', { name: 'Add label' }).click();
      await expect.poll(() => page.getByTestId('label-settings').textContent()).toContain(name);
    }
    const project = await server.api<{ labels: { name: string; colour: string }[] }>('/projects/1');
    expect(new Set(project.labels.map((l) => l.colour)).size).toBe(project.labels.length);
    await page.getByLabel('Colour of red').fill('#ff0000');
    await expect
      .poll(
        async () =>
          (await server.api<typeof project>('/projects/1')).labels.find((l) => l.name === 'red')?.colour,
      )
      .toBe('#ff0000');
    await docShot(page, 'settings');
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('find-all over images without prompts warns first, then ends partial with each image’s reason shown', async () => {
    const page = await openPage(browser, server);
    const prompted = imageNamed(images, 1);
    await server.api(`/images/${prompted.id}`, { method: 'PATCH', body: { textPrompt: 'blue' } });
    await page.goto(`${server.base}/projects/1/process`);
    await page.getByTestId('mode-find-all').click();
    const pick = [prompted, imageNamed(images, 2), imageNamed(images, 3)];
    for (const im of pick)
      await page.locator(`[data-testid=result-tile][data-image-id="${im.id}"] input[type=checkbox]`).check();
    await expect
      .poll(() => page.getByTestId('nothing-to-find').textContent())
      .toMatch(/^2 of the 3 selected image\(s\) have neither a text prompt nor a positive exemplar/);
    await page.getByTestId('run').click();
    await expect
      .poll(() => page.getByTestId('job').first().getAttribute('data-state'), { timeout: 30_000 })
      .toBe('partial');
    expect(await page.getByTestId('failed-count').textContent()).toContain('2 failed');
    await expect.poll(() => page.getByTestId('failed-items').locator('li').count()).toBe(2);
    expect(await page.getByTestId('failed-items').textContent()).toMatch(/img02\.png: Find-all requires/);
    const failedTile = page.locator(`[data-testid=result-tile][data-image-id="${pick[1]!.id}"]`);
    await expect
      .poll(() => failedTile.getByTestId('tile-error').textContent())
      .toMatch(/text prompt or exemplar/);
    expect(await failedTile.getByTestId('status-find-all').getAttribute('title')).toMatch(
      /find-all failed: /,
    );
    const doneTile = page.locator(`[data-testid=result-tile][data-image-id="${prompted.id}"]`);
    expect(await doneTile.getByTestId('status-find-all').getAttribute('data-status')).toBe('done');
    await docShot(page, 'processing-partial');
    // Inside-box on images with no boxes says so, not "done".
    await page.getByTestId('mode-inside-box').click();
    await page.getByTestId('run').click();
    await expect
      .poll(() => page.getByTestId('job').first().getAttribute('data-state'), { timeout: 30_000 })
      .toBe('failed');
    await expect
      .poll(() => failedTile.getByTestId('tile-error').textContent())
      .toMatch(/No boxes to segment/);
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('analytics works from the documented set-up: the button explains, runs with progress, and is disabled meanwhile', async () => {
    const page = await openPage(browser, server);
    await page.goto(`${server.base}/projects/1/analytics`);
    await expect
      .poll(() => page.getByTestId('analytics-empty').textContent())
      .toContain('What analysis does');
    await docShot(page, 'analytics-empty');
    const button = page.getByTestId('analyze');
    await expect.poll(() => button.isEnabled()).toBe(true);
    await button.click();
    await expect.poll(() => button.isDisabled()).toBe(true);
    await expect.poll(() => page.getByTestId('cluster').count(), { timeout: 90_000 }).toBeGreaterThan(0);
    await expect.poll(() => button.isEnabled()).toBe(true);
    // The wheel zooms about the pointer, in and out, never to a dot, and the page does not scroll; F fits.
    const scatter = page.getByTestId('scatter');
    const box = (await scatter.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const zoom = async () => Number(await scatter.getAttribute('data-zoom'));
    await expect.poll(zoom).toBe(1);
    const scrollBefore = await page.evaluate(() => window.scrollY);
    await page.mouse.wheel(0, -300);
    await expect.poll(zoom).toBeGreaterThan(1.3);
    await page.mouse.wheel(0, 600);
    await expect.poll(zoom).toBeLessThan(1);
    expect(await zoom()).toBeGreaterThan(0.2);
    expect(await page.evaluate(() => window.scrollY)).toBe(scrollBefore);
    await page.keyboard.press('f');
    await expect.poll(zoom).toBe(1);
    await docShot(page, 'analytics');
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('with the classic backend, analytics says what it needs at the button before anything runs', async () => {
    await server.api('/projects/1', {
      method: 'PATCH',
      body: { settings: { models: { segment: 'classic' } } },
    });
    try {
      const page = await openPage(browser, server);
      await page.goto(`${server.base}/projects/1/analytics`);
      await expect
        .poll(() => page.getByTestId('analyze-needs').textContent())
        .toMatch(/Masks need a SAM model/);
      expect(await page.getByTestId('analyze').isDisabled()).toBe(true);
      await page.close();
    } finally {
      await server.api('/projects/1', { method: 'PATCH', body: { settings: { models: {} } } });
    }
  });

  it('an upload of two photos and a text file adds the photos and names the text file as refused', async () => {
    const page = await openPage(browser, server);
    await page.goto(`${server.base}/projects/1`);
    const text = join(server.data, 'notes.txt');
    writeFileSync(text, 'not an image');
    await page
      .locator('input[type=file]')
      .setInputFiles([
        join(repo, 'examples/coffee.png'),
        join(repo, 'examples/dataset/masks/images/img00.png'),
        text,
      ]);
    await expect
      .poll(() => page.getByTestId('upload-rejected').textContent())
      .toMatch(/notes\.txt: notes\.txt is not an image/);
    expect(await page.getByTestId('upload-added').textContent()).toMatch(/new image\(s\) added/);
    const bg = await page
      .getByTestId('upload-rejected')
      .evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(bg).toBe('rgb(253, 231, 233)'); // styled as an error, not as the blue success note
    await docShot(page, 'gallery-upload');
    await page.close();
  });

  it('a link to an image or a project that does not exist shows a not-found page with a way back', async () => {
    const page = await openPage(browser, server);
    await page.goto(`${server.base}/projects/1/images/999999`);
    await expect
      .poll(() => page.getByTestId('not-found').textContent())
      .toContain('This image does not exist');
    await docShot(page, 'not-found');
    await page.getByRole('link', { name: /Back to the project/ }).click();
    await expect.poll(() => page.getByTestId('gallery').count()).toBe(1);
    await page.goto(`${server.base}/projects/424242`);
    await expect
      .poll(() => page.getByTestId('not-found').textContent())
      .toContain('This project does not exist');
    await page.goto(`${server.base}/nowhere/at/all`);
    await expect.poll(() => page.getByTestId('not-found').textContent()).toContain('No such page');
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('without a token the page offers a form to paste one, and the token it takes opens the gallery', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${server.base}/projects/1`);
    await page.getByTestId('token-form').waitFor();
    await docShot(page, 'token');
    await page.getByLabel('Token').fill(server.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByTestId('gallery').count(), { timeout: 10_000 }).toBe(1);
    await context.close();
  });
});
