import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { maskFromFunction, type RawImage, writeImage, writeMask } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import { evaluate, maskFolderSource, openMaskSource, writeReport } from '../src/index.js';
import { tmp } from './helpers/generate.js';

const sq = (x0: number, y0: number, n: number) =>
  maskFromFunction(8, 8, (x, y) => x >= x0 && x < x0 + n && y >= y0 && y < y0 + n);
const empty = maskFromFunction(8, 8, () => false);

/**
 * Hand-computed example (8×8 masks):
 *   cat/img1: GT 4×4 at (0,0); prediction 4×4 at (2,0) → ∩ 8, ∪ 24 → IoU 1/3, Dice 16/32 = 0.5
 *   cat/img2: GT empty, prediction empty                 → cat is in neither: not scored, counted as absent
 *   dog/img1: GT 2×2, no prediction file                  → IoU 0, Dice 0, reported missing
 *   dog/img3: GT empty, prediction 3 px                   → IoU 0, Dice 0 (convention)
 */
async function handExample() {
  const gt = tmp();
  const pred = tmp();
  for (const d of [gt, pred]) for (const l of ['cat', 'dog']) mkdirSync(join(d, l));
  await writeMask(join(gt, 'cat/img1.png'), sq(0, 0, 4));
  await writeMask(
    join(pred, 'cat/img1.png'),
    maskFromFunction(8, 8, (x, y) => x >= 2 && x < 6 && y < 4),
  );
  await writeMask(join(gt, 'cat/img2.png'), empty);
  await writeMask(join(pred, 'cat/img2.png'), empty);
  await writeMask(join(gt, 'dog/img1.png'), sq(5, 5, 2));
  await writeMask(join(gt, 'dog/img3.png'), empty);
  await writeMask(
    join(pred, 'dog/img3.png'),
    maskFromFunction(8, 8, (x, y) => y === 0 && x < 3),
  );
  return { gt, pred };
}

describe('evaluate', () => {
  it('matches a hand-computed example exactly, including the empty-mask conventions', async () => {
    const { gt, pred } = await handExample();
    const r = await evaluate(maskFolderSource(pred), maskFolderSource(gt));
    expect(r.perImage).toEqual([
      { image: 'img1', label: 'cat', iou: 1 / 3, dice: 0.5, missing: false },
      { image: 'img1', label: 'dog', iou: 0, dice: 0, missing: true },
      { image: 'img3', label: 'dog', iou: 0, dice: 0, missing: false },
    ]);
    expect(r.overall).toEqual({ miou: 1 / 3 / 3, dice: 0.5 / 3, n: 3, absent: 1 });
    expect(r.perLabel).toEqual({
      cat: { miou: 1 / 3, dice: 0.5, n: 1, absent: 1 },
      dog: { miou: 0, dice: 0, n: 2, absent: 0 },
    });
    expect(r.notes.join(' ')).toMatch(/1 image\(s\) had the label in neither the truth nor the prediction/);
    expect(r.thresholds).toEqual([]);
    expect(r.missing).toEqual(['dog/img1']);
  });

  it('filters labels', async () => {
    const { gt, pred } = await handExample();
    const r = await evaluate(maskFolderSource(pred), maskFolderSource(gt), { labels: ['dog'] });
    expect(Object.keys(r.perLabel)).toEqual(['dog']);
  });

  it('sweeps thresholds for probability maps and flags a sweep on the test split', async () => {
    const gt = tmp();
    const pred = tmp();
    await writeMask(
      join(gt, 'a.png'),
      maskFromFunction(10, 1, (x) => x < 4),
    );
    // Probabilities 0.8 on pixels 0–1, 0.45 on 2–3, 0.35 on 4–5, 0 elsewhere (as 8-bit grey).
    const probs = [0.8, 0.8, 0.45, 0.45, 0.35, 0.35, 0, 0, 0, 0];
    const img: RawImage = {
      width: 10,
      height: 1,
      channels: 1,
      data: Uint8Array.from(probs.map((p) => Math.round(p * 255))),
    };
    await writeImage(join(pred, 'a.png'), img);
    const r = await evaluate(maskFolderSource(pred), maskFolderSource(gt), { split: 'test' });
    expect(r.thresholds.map((t) => [t.threshold, t.miou])).toEqual([
      [0.3, 4 / 6], // pixels 0–5 predicted
      [0.4, 1], // pixels 0–3
      [0.5, 2 / 4], // pixels 0–1
      [0.6, 2 / 4],
    ]);
    expect(r.threshold).toBe(0.5);
    expect(r.overall.miou).toBe(0.5);
    expect(r.split).toBe('test');
    expect(r.notes.join(' ')).toMatch(/sensitivity analysis only/);
  });

  it('writes report.md, report.json, per_image.csv and best/worst panels', async () => {
    const { gt, pred } = await handExample();
    const out = join(tmp(), 'report');
    const src = [maskFolderSource(pred), maskFolderSource(gt)] as const;
    const r = await evaluate(...src, { split: 'val' });
    await writeReport(r, out, ...src, { k: 1 });
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(Object.keys(json)).toEqual(expect.arrayContaining(['overall', 'perLabel', 'thresholds', 'split']));
    expect(json.split).toBe('val');
    expect(readFileSync(join(out, 'per_image.csv'), 'utf8').split('\n')[1]).toBe(
      'img1,cat,0.333333,0.500000,false',
    );
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toContain('| cat | 0.3333 | 0.5000 | 1 | 1 |');
    expect(md).toContain('Missing predictions: dog/img1');
    expect(existsSync(join(out, 'panels/best-1.png')) && existsSync(join(out, 'panels/worst-1.png'))).toBe(
      true,
    );
  });

  it('reads COCO ground truth and reports a size mismatch', async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'annotations.json'),
      JSON.stringify({
        images: [{ id: 1, file_name: 'img1.png', width: 8, height: 8 }],
        categories: [{ id: 1, name: 'cat' }],
        annotations: [{ id: 1, image_id: 1, category_id: 1, segmentation: [[0, 0, 4, 0, 4, 4, 0, 4]] }],
      }),
    );
    const { pred } = await handExample();
    const r = await evaluate(await openMaskSource(pred), await openMaskSource(join(dir, 'annotations.json')));
    expect(r.perImage).toEqual([{ image: 'img1', label: 'cat', iou: 1 / 3, dice: 0.5, missing: false }]);
    const bad = tmp();
    mkdirSync(join(bad, 'cat'));
    await writeMask(
      join(bad, 'cat/img1.png'),
      maskFromFunction(9, 8, () => false),
    );
    await expect(evaluate(maskFolderSource(bad), maskFolderSource(pred))).rejects.toMatchObject({
      code: 'E_MASK_SIZE_MISMATCH',
    });
  });
});

describe('evaluate against a manifest', () => {
  it('reads ground truth from a CSV manifest (optionally one split)', async () => {
    const { buildManifest, readDataset, writeManifest, manifestSource } = await import('../src/index.js');
    const { maskFolderDataset } = await import('./helpers/generate.js');
    const src = await maskFolderDataset();
    const rows = buildManifest(await readDataset(src), { maskRoot: join(src, 'masks') }).map((r, i) => ({
      ...r,
      split: i === 0 ? 'test' : 'train',
    }));
    await writeManifest(rows, join(src, 'm.csv'));
    const perfect = await evaluate(
      maskFolderSource(join(src, 'masks')),
      await openMaskSource(join(src, 'm.csv')),
    );
    expect(perfect.overall).toEqual({ miou: 1, dice: 1, n: 3, absent: 0 });
    const testOnly = await evaluate(
      maskFolderSource(join(src, 'masks')),
      await manifestSource(join(src, 'm.csv'), 'test'),
    );
    expect(testOnly.overall.n).toBe(1);
  });
});
