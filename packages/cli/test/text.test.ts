import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy } from '@segkit/analytics';
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
      '--json',
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

  it('writes the probability map as a float32 .npy that numpy loads, matching the 8-bit PNG', async () => {
    const out = join(tmp(), 'out');
    const args = ['text', photo, '--prompt', 'segment red', '--model', model, '-o', out, '--probabilities'];
    expect((await cli(...args, '--prob-format', 'npy')).code).toBe(0);
    const { data, shape } = await readNpy(join(out, 'segment-red.prob.npy'));
    expect(shape).toEqual([300, 400]);
    const mask = await readMask(join(out, 'segment-red.png'));
    for (let i = 0; i < data.length; i += 997) expect(data[i]! >= 0.5).toBe(mask.data[i] === 1);
    const py = spawnSync(
      'python3',
      [
        '-c',
        'import numpy as np,sys; a=np.load(sys.argv[1]); print(a.dtype, a.shape)',
        join(out, 'segment-red.prob.npy'),
      ],
      { encoding: 'utf8' },
    );
    if (py.status === 0) expect(py.stdout.trim()).toBe('float32 (300, 400)');
    expect((await cli(...args, '--prob-format', 'tiff')).stderr).toBe(
      'segkit: E_USAGE: --prob-format must be png or npy\n',
    );
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
