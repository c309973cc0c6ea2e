import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeImage, iou, readMask, union } from '@segkit/core';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { scene } from '../../models/test/helpers/shapes.js';
import { cli, repo, tmp } from './helpers.js';

const model = join(repo, 'fixtures/models/clipseg-fixture');
const { image, truth } = scene();
let photo: string;
beforeAll(async () => {
  photo = join(mkdtempSync(join(tmpdir(), 'segkit-text-')), 'scene.png');
  writeFileSync(photo, await encodeImage(image, 'png'));
});

describe('segkit text', () => {
  it('writes <label>.png per prompt (the slug of a bare prompt) and probability maps on request', async () => {
    const out = join(tmp(), 'out');
    const r = await cli(
      'text',
      photo,
      '--prompt',
      'segment red',
      '--model',
      model,
      '-o',
      out,
      '--probabilities',
    );
    expect(r.code).toBe(0);
    const mask = await readMask(join(out, 'segment-red.png'));
    expect(iou(mask, union(truth.redA!, truth.redB!))).toBeGreaterThanOrEqual(0.9);
    expect(await sharp(join(out, 'segment-red.png')).metadata()).toMatchObject({
      channels: 1,
      width: 400,
      height: 300,
    });
    expect(existsSync(join(out, 'segment-red.prob.png'))).toBe(true);
    expect(JSON.parse(r.stdout)[0]).toMatchObject({ label: 'segment-red' });
  });

  it('reads prompt sets from JSON', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'p.json'), JSON.stringify({ blueish: ['blue', 'cyan'] }));
    await cli('text', photo, '--prompts', join(dir, 'p.json'), '--model', model, '-o', join(dir, 'o'));
    expect(iou(await readMask(join(dir, 'o/blueish.png')), truth.blue!)).toBeGreaterThanOrEqual(0.9);
  });

  it('errors: no prompt, an empty prompt, a bad threshold, invalid JSON', async () => {
    const dir = tmp();
    expect((await cli('text', photo, '--model', model, '-o', dir)).stderr).toMatch(
      /^segkit: E_USAGE: Give --prompt/,
    );
    expect((await cli('text', photo, '--prompt', ' ', '--model', model, '-o', dir)).stderr).toMatch(
      /^segkit: E_PROMPT_INVALID: /,
    );
    expect(
      (await cli('text', photo, '--prompt', 'red', '--threshold', '2', '--model', model, '-o', dir)).stderr,
    ).toMatch(/^segkit: E_USAGE: --threshold/);
    writeFileSync(join(dir, 'bad.json'), '{');
    expect(
      (await cli('text', photo, '--prompts', join(dir, 'bad.json'), '--model', model, '-o', dir)).stderr,
    ).toMatch(/^segkit: E_JSON_INVALID: /);
  });
});
