import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { cli, example, tmp } from './helpers.js';

const gt = example('dataset/coco/annotations.json');
const results = example('dataset/results.json');

describe('segkit eval ap', () => {
  it('prints COCOeval’s 12-line summary and a per-category table; --json has stats and per_category_AP', async () => {
    const r = await cli('eval', 'ap', '--gt', gt, '--pred', results);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^ Average Precision {2}\(AP\) @\[ IoU=0\.50:0\.95 \| area= {3}all \| maxDets=100 \] = \d\.\d{3}$/,
    );
    expect(lines[11]).toMatch(
      /^ Average Recall {5}\(AR\) @\[ IoU=0\.50:0\.95 \| area= large \| maxDets=100 \] = -?\d\.\d{3}$/,
    );
    expect(r.stdout).toMatch(/category {2}name +AP\n +1 {2}blue +\d\.\d{3}/);
    const j = JSON.parse(
      (await cli('eval', 'ap', '--gt', gt, '--pred', results, '--iou-type', 'bbox', '--json')).stdout,
    );
    expect(Object.keys(j.stats)).toEqual([
      'AP',
      'AP50',
      'AP75',
      'APs',
      'APm',
      'APl',
      'AR1',
      'AR10',
      'AR100',
      'ARs',
      'ARm',
      'ARl',
    ]);
    expect(Object.keys(j.per_category_AP).sort()).toEqual(['1', '2', '3']);
    expect(j.stats.AP).toBeGreaterThan(0.3);
    expect(j.stats.AP).toBeLessThan(1);
  });

  it('-o writes the summary, ap.json and a precision–recall PNG per category and overall', async () => {
    const out = join(tmp(), 'ap');
    const r = await cli('eval', 'ap', '--gt', gt, '--pred', results, '-o', out);
    expect(r.code).toBe(0);
    for (const f of ['summary.txt', 'ap.json', 'pr-all.png', 'pr-1.png', 'pr-2.png', 'pr-3.png'])
      expect(existsSync(join(out, f)), f).toBe(true);
    expect((await sharp(join(out, 'pr-all.png')).metadata()).format).toBe('png');
    expect(JSON.parse(readFileSync(join(out, 'ap.json'), 'utf8')).curves).toHaveLength(3);
  });

  it('a result of an unknown image or category, or without a score, is a coded one-line error', async () => {
    const dir = tmp();
    const list = JSON.parse(readFileSync(results, 'utf8'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([...list, { ...list[0], image_id: 999 }]));
    const r = await cli('eval', 'ap', '--gt', gt, '--pred', bad);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/E_INVALID_ARGUMENT: Detection \d+ has image_id 999/);
    const noScore = join(dir, 'noscore.json');
    writeFileSync(noScore, JSON.stringify([{ ...list[0], score: undefined }]));
    expect((await cli('eval', 'ap', '--gt', gt, '--pred', noScore)).stderr).toMatch(
      /E_DATASET_INVALID: .*no score/,
    );
    expect(
      (await cli('eval', 'ap', '--gt', gt, '--pred', results, '--iou-type', 'keypoints')).stderr,
    ).toMatch(/E_USAGE/);
  });

  it('plain eval takes a results list too: detections at or above --score-threshold, unknown ids refused', async () => {
    const r = await cli('eval', '--pred', results, '--gt', gt, '--json');
    expect(r.code).toBe(0);
    const all = JSON.parse(r.stdout).overall.miou;
    expect(all).toBeGreaterThan(0.5);
    const strict = JSON.parse(
      (await cli('eval', '--pred', results, '--gt', gt, '--json', '--score-threshold', '0.95')).stdout,
    ).overall.miou;
    expect(strict).toBeLessThan(all);
    const bad = join(tmp(), 'bad.json');
    const list = JSON.parse(readFileSync(results, 'utf8'));
    writeFileSync(bad, JSON.stringify([{ ...list[0], category_id: 77 }]));
    const e = await cli('eval', '--pred', bad, '--gt', gt);
    expect(e.stderr.trim().split('\n')).toHaveLength(1);
    expect(e.stderr).toMatch(/E_INVALID_ARGUMENT: .*category_id 77/);
  });
});
