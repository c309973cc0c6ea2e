// Accessibility in chromium: axe-core on every page of the app (projects, gallery, annotator in both modes with the
// shortcut list open, processing, analytics with a run, recipes, settings, not-found) finds no serious or critical violation;
// and the annotator works from the keyboard alone: tools from the tool bar with Tab and Enter, and a point placed
// with the crosshair (K, arrows, Enter).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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
  openPage,
  openShapes,
  type Server,
} from './harness.js';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's serious and critical violations on the page as it is now (evaluate is not subject to the page's CSP). */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(
    async () =>
      (
        await (
          globalThis as unknown as {
            axe: { run(c: unknown, o: unknown): Promise<{ violations: Violation[] }> };
          }
        ).axe.run(document, { resultTypes: ['violations'] })
      ).violations,
  );
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

describe('accessibility (axe-core, keyboard)', () => {
  let server: Server;
  let browser: Browser;
  let images: Img[];
  beforeAll(async () => {
    ({ server, browser, images } = await openShapes([
      { name: 'red', colour: '#e53935' },
      { name: 'a label long enough to need more than one line of the rail', colour: '#1e88e5' },
    ]));
  });
  afterAll(() => closeShapes(server, browser));

  it('every page has no serious or critical axe violation', async () => {
    const page = await openPage(browser, server);
    const img = imageNamed(images, 1);
    const results: Record<string, string[]> = {};
    const check = async (name: string, url: string | null, ready: string) => {
      if (url) await page.goto(`${server.base}${url}`);
      await page.locator(ready).first().waitFor({ timeout: 60_000 });
      results[name] = await seriousViolations(page);
    };
    await check('projects', '/', 'main');
    await check('gallery', '/projects/1', '[data-testid=tile]');
    await check(
      'annotator, inside-box',
      `/projects/1/images/${img.id}`,
      '[data-testid=decoder-path][data-path=browser]',
    );
    await page.keyboard.press('?');
    await check('shortcut list', null, '[data-testid=shortcuts]');
    await page.keyboard.press('Escape');
    await page.keyboard.press('m');
    await check('annotator, find-all', null, '[data-testid=find-all]');
    await check('processing', '/projects/1/process', '[data-testid=result-tile]');
    await check('recipes', '/projects/1/recipes', '[data-testid=mine]');
    await check('settings', '/projects/1/settings', '[data-testid=model-segment]:not([data-status=loading])');
    await check('not found', '/projects/1/images/99999', '[data-testid=not-found]');
    await page.goto(`${server.base}/projects/1/analytics`);
    await check('analytics, empty', null, '[data-testid=analytics-empty]');
    await page.getByTestId('analyze').click();
    await expect.poll(() => page.getByTestId('cluster').count(), { timeout: 90_000 }).toBeGreaterThan(0);
    await check('analytics, with a run', null, '[data-testid=scatter]');
    console.log(`axe-core serious/critical violations per page: ${JSON.stringify(results)}`);
    for (const [name, list] of Object.entries(results)) expect(list, name).toEqual([]);
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('the annotator works from the keyboard: a tool from the tool bar, then a point placed with the crosshair', async () => {
    const page = await openPage(browser, server);
    const img = imageNamed(images, 2);
    await page.goto(`${server.base}/projects/1/images/${img.id}`);
    await page.locator('[data-testid=decoder-path][data-path=browser]').waitFor({ timeout: 60_000 });
    // Tab to the Box tool and press Enter: the button takes the key (it does not also finish the object).
    await page.getByTestId('tool-point').focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('tool-box');
    await page.keyboard.press('Enter');
    expect(await page.getByTestId('tool-box').getAttribute('aria-pressed')).toBe('true');
    await page.keyboard.press('p');
    expect(await page.getByTestId('tool-point').getAttribute('aria-pressed')).toBe('true');
    // The crosshair: K, moved with the arrows (not to the next image), Enter places a positive point.
    await page.getByTestId('stage').focus();
    await page.keyboard.press('k');
    expect(await page.getByTestId('crosshair').getAttribute('aria-pressed')).toBe('true');
    const url = page.url();
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
    expect(page.url()).toBe(url);
    // From the centre (120, 90) + 6 px to the blue ellipse round (64, 129): Shift moves 20 px a press.
    for (let i = 0; i < 3; i++) await page.keyboard.press('Shift+ArrowLeft');
    for (let i = 0; i < 2; i++) await page.keyboard.press('Shift+ArrowDown');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('annotations').locator('li').count()).toBe(1);
    await expect.poll(() => page.getByTestId('save-state').getAttribute('data-pending')).toBe('0');
    const saved = await server.api<Ann[]>(`/images/${img.id}/annotations?mode=inside_box`);
    expect(saved).toHaveLength(1);
    expect(iou(rleToMask(saved[0]!.rle!), colourScene(2).truth.blue)).toBeGreaterThanOrEqual(0.8);
    await docShot(page, 'annotator-keyboard');
    await page.keyboard.press('Escape');
    expect(await page.getByTestId('crosshair').getAttribute('aria-pressed')).toBe('false');
    expect(page.errors).toEqual([]);
    await page.close();
  });
});
