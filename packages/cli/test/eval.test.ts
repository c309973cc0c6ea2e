import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { maskFromFunction, writeMask } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import { tmp } from '../../datasets/test/helpers/generate.js';
import { cli } from './helpers.js';

describe('segkit eval', () => {
  it('prints the summary and writes a report', async () => {
    const gt = tmp();
    const pred = tmp();
    await writeMask(
      join(gt, 'a.png'),
      maskFromFunction(6, 6, (x) => x < 3),
    );
    await writeMask(
      join(pred, 'a.png'),
      maskFromFunction(6, 6, (x) => x < 2),
    );
    const out = join(tmp(), 'rep');
    const r = await cli('eval', '--pred', pred, '--gt', gt, '--split', 'val', '--out', out, '--json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.overall).toEqual({ miou: 2 / 3, dice: 0.8, n: 1, absent: 0 });
    expect(json.perLabel.foreground.n).toBe(1);
    expect(existsSync(join(out, 'report.md'))).toBe(true);
  });

  it('rejects bad thresholds and missing inputs on one line', async () => {
    const gt = tmp();
    mkdirSync(join(gt, 'x'));
    for (const bad of ['0.3,abc', '0.3,', '1.5']) {
      expect((await cli('eval', '--pred', gt, '--gt', gt, '--thresholds', bad)).stderr).toMatch(
        /^segkit: E_USAGE: --thresholds/,
      );
    }
    expect((await cli('eval', '--pred', '/no/such', '--gt', gt)).stderr).toMatch(
      /^segkit: E_FILE_NOT_FOUND: /,
    );
    expect((await cli('eval', '--gt', gt)).stderr).toMatch(
      /^segkit: E_USAGE: Missing required option --pred/,
    );
  });
});

describe('segkit eval text', () => {
  it('runs the text model over a split and prints the metrics with the time per image', async () => {
    const { textDataset } = await import('../../datasets/test/helpers/generate.js');
    const dir = await textDataset();
    const model = new URL('../../../fixtures/models/clipseg-fixture', import.meta.url).pathname;
    const out = join(tmp(), 'rep');
    const r = await cli(
      'eval',
      'text',
      '--manifest',
      join(dir, 'm.csv'),
      '--split',
      'train',
      '--prompts',
      join(dir, 'prompts.json'),
      '--model',
      model,
      '-o',
      out,
      '--json',
    );
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ split: 'train', images: 1 });
    expect(json.overall.miou).toBeGreaterThanOrEqual(0.9);
    expect(json.msPerImage).toBeGreaterThan(0);
    expect(existsSync(join(out, 'report.md'))).toBe(true);
  });

  it('compares SAM 3 with CLIPSeg on the same manifest: --model sam3 scores the union of its instances', async () => {
    const { textDataset } = await import('../../datasets/test/helpers/generate.js');
    const dir = await textDataset();
    const score = async (name: string) => {
      const model = new URL(`../../../fixtures/models/${name}`, import.meta.url).pathname;
      const r = await cli(
        'eval',
        'text',
        '--manifest',
        join(dir, 'm.csv'),
        '--split',
        'train',
        '--prompts',
        join(dir, 'prompts.json'),
        '--model',
        model,
        '-o',
        join(tmp(), 'rep'),
        '--json',
      );
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout).overall.miou as number;
    };
    expect(await score('sam3-fixture')).toBeGreaterThanOrEqual(0.9);
    expect(await score('clipseg-fixture')).toBeGreaterThanOrEqual(0.9);
  });
});
