// The browser decoder on the real-architecture SAM exports of ../shared/real-arch (tiny configs, random weights, the
// public repos' layouts): each decoder graph loads in chromium (onnxruntime-web) and runs a prompt with the inputs
// and outputs of its contract. The masks are meaningless; the shapes and the absence of errors are what is checked.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageToScreen, launch, openPage, realArch, repo, type Server, startServer } from './harness.js';

const present = existsSync(join(realArch, 'sam-hf'));
if (!present) console.warn(`real-architecture browser decoder tests skipped: ${realArch} is absent`);

interface LastDecode {
  model: string;
  layout: string;
  inputs: Record<string, number[]>;
  outputs: Record<string, number[]>;
}

const CASES: { dir: string; layout: string; prompt: 'click' | 'box'; candidates: number[]; low?: number }[] =
  [
    { dir: 'sam-hf', layout: 'sam', prompt: 'click', candidates: [3] },
    { dir: 'sam-hf-boxes', layout: 'sam', prompt: 'box', candidates: [3] },
    { dir: 'sam2-hf', layout: 'sam2', prompt: 'click', candidates: [3] },
    { dir: 'sam-official', layout: 'sam-official', prompt: 'click', candidates: [1, 3] },
    { dir: 'sam2-pair', layout: 'sam2-pair', prompt: 'click', candidates: [1, 3] },
    // The SAM 3 tracker keeps its weights in .onnx_data beside the graph: the browser loads both.
    { dir: 'sam3-tracker', layout: 'sam3-tracker', prompt: 'click', candidates: [3], low: 288 },
  ];

describe.skipIf(!present)('real-architecture SAM decoders in chromium (../shared/real-arch)', () => {
  let server: Server;
  let browser: Browser;
  beforeAll(async () => {
    server = await startServer([join(repo, 'examples/shapes')], ['--model-root', realArch]);
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const c of CASES)
    it(`${c.dir}: the ${c.layout} decoder runs a ${c.prompt} in the browser with its contract's shapes`, async () => {
      await server.api('/projects/1', {
        method: 'PATCH',
        body: { settings: { models: { segment: join(realArch, c.dir) } } },
      });
      const page = await openPage(browser, server);
      await page.goto(`${server.base}/projects/1/images/1`);
      await page.locator('[data-testid=decoder-path][data-path=browser]').waitFor({ timeout: 90_000 });
      // A model whose graphs take no box (sam-hf: the point graph only) offers no Box tool, and says why.
      if (c.dir === 'sam-hf') {
        await expect.poll(() => page.getByTestId('tool-box').isDisabled()).toBe(true);
        expect(await page.getByTestId('tool-box').getAttribute('title')).toMatch(/takes no boxes/);
      }
      if (c.prompt === 'box') {
        await page.getByTestId('tool-box').click();
        const a = await imageToScreen(page, 40, 30, 240, 180);
        const b = await imageToScreen(page, 120, 110, 240, 180);
        await page.mouse.move(a.x, a.y);
        await page.mouse.down();
        await page.mouse.move(b.x, b.y, { steps: 5 });
        await page.mouse.up();
      } else {
        const p = await imageToScreen(page, 60, 40, 240, 180);
        await page.mouse.click(p.x, p.y);
      }
      const handle = await page.waitForFunction(
        (model) => {
          const d = (globalThis as { segkitLastDecode?: { model: string } }).segkitLastDecode;
          return d && d.model === model ? d : null;
        },
        join(realArch, c.dir),
        { timeout: 60_000 },
      );
      const last = (await handle.jsonValue()) as LastDecode;
      expect(last.layout).toBe(c.layout);
      const masks = last.outputs.pred_masks ?? last.outputs.low_res_masks ?? last.outputs.masks!;
      const scores = last.outputs.iou_scores ?? last.outputs.iou_predictions!;
      expect(masks.slice(-2)).toEqual([c.low ?? 256, c.low ?? 256]);
      expect(c.candidates).toContain(masks.at(-3));
      expect(scores.at(-1)).toBe(masks.at(-3));
      if (c.layout === 'sam') {
        expect(last.inputs.image_embeddings).toEqual([1, 256, 64, 64]);
        if (c.prompt === 'box') expect(last.inputs.input_boxes).toEqual([1, 1, 4]);
        else expect(last.inputs.input_points).toEqual([1, 1, 1, 2]);
      }
      if (c.layout === 'sam2') expect(last.inputs['image_embeddings.2']).toEqual([1, 256, 64, 64]);
      if (c.layout === 'sam2-pair') expect(last.inputs.high_res_feats_0).toEqual([1, 32, 256, 256]);
      if (c.layout === 'sam3-tracker') {
        expect(last.inputs['image_embeddings.0']?.slice(-2)).toEqual([288, 288]);
        expect(last.inputs.input_points).toEqual([1, 1, 1, 2]);
      }
      if (c.layout === 'sam-official' || c.layout === 'sam2-pair')
        expect(last.inputs.point_coords?.[2]).toBe(2);
      expect(page.errors).toEqual([]);
      await page.close();
    });
});
