import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeImage, iou, readMask, union } from '@segkit/core';
import sharp from 'sharp';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { scene } from '../../models/test/helpers/shapes.js';
import { cli, repo, tmp } from './helpers.js';

const samFixture = join(repo, 'fixtures/models/sam-fixture');
const sam2Fixture = join(repo, 'fixtures/models/sam2-fixture');
const { image, truth } = scene();
let photo: string;

beforeAll(async () => {
  photo = join(mkdtempSync(join(tmpdir(), 'segkit-scene-')), 'scene.png');
  await sharp(await encodeImage(image, 'png')).toFile(photo);
});
beforeEach(() => {
  process.env.SEGKIT_CACHE_DIR = mkdtempSync(join(tmpdir(), 'segkit-cache-'));
});

describe.each([
  ['sam', samFixture],
  ['sam2', sam2Fixture],
])('segkit segment with the %s fixture', (_, model) => {
  it('writes the clicked shape as a single-channel {0,255} PNG at the image size', async () => {
    const out = join(tmp(), 'mask.png');
    const r = await cli('segment', photo, '--point', '300,80', '--model', model, '-o', out);
    expect(r.code).toBe(0);
    expect(await sharp(out).metadata()).toMatchObject({ width: 400, height: 300, channels: 1 });
    const values = new Set(await sharp(out).raw().toBuffer());
    expect([...values].sort((a, b) => a - b)).toEqual([0, 255]);
    expect(iou(await readMask(out), truth.blue!)).toBeGreaterThanOrEqual(0.9);
  });

  it('--box returns the shape in the box; --negative removes a same-coloured second shape', async () => {
    const dir = tmp();
    await cli('segment', photo, '--box', '30,40,120,110', '--model', model, '-o', join(dir, 'box.png'));
    expect(iou(await readMask(join(dir, 'box.png')), truth.redA!)).toBeGreaterThanOrEqual(0.9);
    await cli('segment', photo, '--point', '90,95', '--model', model, '-o', join(dir, 'both.png'));
    expect(
      iou(await readMask(join(dir, 'both.png')), union(truth.redA!, truth.redB!)),
    ).toBeGreaterThanOrEqual(0.9);
    await cli(
      'segment',
      photo,
      '--point',
      '90,95',
      '--negative',
      '295,210',
      '--model',
      model,
      '-o',
      join(dir, 'one.png'),
    );
    expect(iou(await readMask(join(dir, 'one.png')), truth.redA!)).toBeGreaterThanOrEqual(0.9);
  });

  it('--multimask writes mask-0/1/2.png sorted by score, and --json describes them', async () => {
    const dir = tmp();
    const r = await cli(
      'segment',
      photo,
      '--point',
      '300,80',
      '--multimask',
      '--json',
      '--model',
      model,
      '-o',
      join(dir, 'mask.png'),
    );
    const rows = JSON.parse(r.stdout) as {
      score: number;
      file: string;
      model: string;
      bbox: number[];
      area: number;
    }[];
    expect(rows.map((x) => x.file)).toEqual([0, 1, 2].map((k) => join(dir, `mask-${k}.png`)));
    expect(rows.map((x) => x.score)).toEqual([...rows.map((x) => x.score)].sort((a, b) => b - a));
    for (const row of rows) expect(existsSync(row.file)).toBe(true);
    expect(existsSync(join(dir, 'mask.png'))).toBe(false);
  });
});

describe('segkit segment output options', () => {
  it('--json prints model, score, bbox and area; --overlay and --cutout write images', async () => {
    const dir = tmp();
    const r = await cli(
      'segment',
      photo,
      '--point',
      '300,80',
      '--model',
      samFixture,
      '--json',
      '--overlay',
      join(dir, 'o.jpg'),
      '--cutout',
      join(dir, 'c.png'),
      '-o',
      join(dir, 'm.png'),
    );
    const json = JSON.parse(r.stdout);
    expect(Object.keys(json)).toEqual(['model', 'score', 'scoreKind', 'bbox', 'area']);
    expect(json.area).toBeGreaterThan(7000);
    expect((await sharp(join(dir, 'o.jpg')).metadata()).format).toBe('jpeg');
    expect((await sharp(join(dir, 'c.png')).metadata()).channels).toBe(4);
  });

  it('--polygons prints the outline', async () => {
    const r = await cli(
      'segment',
      photo,
      '--box',
      '30,40,120,110',
      '--model',
      samFixture,
      '--polygons',
      '-o',
      join(tmp(), 'm.png'),
    );
    const polys = JSON.parse(r.stdout);
    expect(polys[0].type).toBe('outer');
  });

  it('uses the offline classic backend by default when SAM is not downloaded, saying how to get SAM', async () => {
    const out = join(tmp(), 'cup.png');
    const r = await cli('segment', join(repo, 'examples/coffee.png'), '--box', '165,12,255,300', '-o', out);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^segkit: note: SAM is not downloaded.*segkit models pull sam/);
    expect((await readMask(out)).width).toBe(600);
  });
});

describe.each([
  [
    'sam-official-fixture',
    ['--encoder-file', 'sam_vit_fixture.encoder.onnx', '--decoder-file', 'sam_vit_fixture.decoder.onnx'],
  ],
  ['sam2-pair-fixture', []],
])('segkit segment on an encoder + decoder pair (%s)', (name, files) => {
  it('--multimask writes three files, best first; --box works', async () => {
    const dir = tmp();
    const model = join(repo, 'fixtures/models', name);
    const r = await cli(
      'segment',
      photo,
      '--point',
      '300,80',
      '--multimask',
      '--model',
      model,
      ...files,
      '-o',
      join(dir, 'm.png'),
      '--json',
    );
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { score: number; file: string }[];
    expect(rows.map((x) => x.file)).toEqual([0, 1, 2].map((k) => join(dir, `m-${k}.png`)));
    expect(rows.map((x) => x.score)).toEqual([...rows.map((x) => x.score)].sort((a, b) => b - a));
    expect(iou(await readMask(join(dir, 'm-0.png')), truth.blue!)).toBeGreaterThanOrEqual(0.9);
    const boxed = await cli(
      'segment',
      photo,
      '--box',
      '30,40,120,110',
      '--model',
      model,
      ...files,
      '-o',
      join(dir, 'b.png'),
    );
    expect(boxed.code).toBe(0);
    expect(iou(await readMask(join(dir, 'b.png')), truth.redA!)).toBeGreaterThanOrEqual(0.9);
  });
});

describe('segkit segment --dtype', () => {
  it('picks a weight variant of a folder, and names the files when it has none of that kind', async () => {
    const r = await cli('segment', photo, '--model', samFixture, '--dtype', 'q8', '-o', join(tmp(), 'm.png'));
    expect(r.stderr).toMatch(
      /^segkit: E_MODEL_MISSING: .* lacks onnx\/vision_encoder_quantized\.onnx .*its onnx\/ has prompt_encoder_mask_decoder\.onnx, vision_encoder\.onnx/,
    );
    expect(
      (await cli('segment', photo, '--model', samFixture, '--dtype', 'fp32', '-o', join(tmp(), 'm.png')))
        .code,
    ).toBe(0);
  });
});

describe('segkit segment with the classic backend', () => {
  it('a click alone gives the clicked region, not a dot, and the score says it is only GrabCut stability', async () => {
    const out = join(tmp(), 'm.png');
    const r = await cli('segment', photo, '--point', '90,95', '--model', 'classic', '-o', out, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ model: 'classic', scoreKind: 'stability' });
    expect(iou(await readMask(out), truth.redA!)).toBeGreaterThanOrEqual(0.9);
    expect(r.stderr).toMatch(/\(classic, GrabCut stability \d\.\d{3}, area \d+\)/);
    // On the photo, the click in the coffee gives the coffee's surface (thousands of pixels), not a 12×13 dot.
    const coffee = await cli(
      'segment',
      join(repo, 'examples/coffee.png'),
      '--point',
      '290,150',
      '-o',
      out,
      '--json',
    );
    const { area, bbox } = JSON.parse(coffee.stdout);
    expect(area).toBeGreaterThan(4000);
    expect(bbox[2]).toBeGreaterThan(100);
  });

  it('--multimask on classic says that it yields one candidate and writes one file', async () => {
    const dir = tmp();
    const r = await cli(
      'segment',
      photo,
      '--point',
      '90,95',
      '--model',
      'classic',
      '--multimask',
      '-o',
      join(dir, 'm.png'),
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^segkit: note: the classic backend yields one candidate, so --multimask writes only .*m-0\.png/,
    );
    expect(existsSync(join(dir, 'm-0.png'))).toBe(true);
    expect(existsSync(join(dir, 'm-1.png'))).toBe(false);
  });
});

describe('segkit segment errors', () => {
  it.each([
    [['--point', '500,10'], 'E_PROMPT_OUT_OF_BOUNDS'],
    [['--box', '350,250,100,100'], 'E_PROMPT_OUT_OF_BOUNDS'],
    [['--point', '1,2,3'], 'E_USAGE'],
    [['--negative', '10,10'], 'E_USAGE'],
    [['--point', '10,10', '--model', 'sam-xxl'], 'E_MODEL_UNKNOWN'],
    [['--point', '10,10', '--model', 'sam2-small'], 'E_MODEL_MISSING'],
  ])('%j → %s on one line, nothing written', async (args, code) => {
    const dir = tmp();
    const r = await cli('segment', photo, ...args, '-o', join(dir, 'm.png'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^segkit: ${code}: [^\\n]+\\n$`));
    expect(existsSync(join(dir, 'm.png'))).toBe(false);
  });
});

const bin = join(repo, 'packages/cli/bin/segkit.js');
describe.skipIf(!existsSync(join(repo, 'packages/cli/dist/main.js')))(
  'segkit segment across processes',
  () => {
    it('a second process on the same image and model runs the image encoder 0 times (disk cache); --no-cache runs it', () => {
      const env = { ...process.env, SEGKIT_CACHE_DIR: mkdtempSync(join(tmpdir(), 'segkit-cache-')) };
      const run = (...extra: string[]) =>
        spawnSync(
          process.execPath,
          [
            bin,
            'segment',
            photo,
            '--point',
            '300,80',
            '--model',
            samFixture,
            '-o',
            join(tmp(), 'm.png'),
            ...extra,
          ],
          {
            env,
            encoding: 'utf8',
          },
        );
      const first = run();
      expect(first.status).toBe(0);
      expect(first.stderr).toMatch(/image encoder \d+\.\d s\)/);
      const second = run();
      expect(second.stderr).toMatch(/image encoder skipped: cached\)/);
      const third = run('--point', '90,95'); // another prompt on the same image: still no encoder run
      expect(third.stderr).toMatch(/image encoder skipped: cached\)/);
      expect(run('--no-cache').stderr).toMatch(/image encoder \d+\.\d s\)/);
    });
  },
);
