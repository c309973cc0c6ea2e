// SAM 3 through the CLI: find --model, text --model, dataset build-seg with the tracker and with --text-from-labels,
// and segment with the tracker; on the sam3-fixture (a colour rule) and, for the tracker, the real-architecture export.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeImage, iou, readMask } from '@segkit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { shapesImage } from '../../models/test/helpers/shapes.js';
import { cli, repo, tmp } from './helpers.js';

const fixture = join(repo, 'fixtures/models/sam3-fixture');
const tracker = join(repo, '../shared/real-arch/sam3-tracker');
const RED: [number, number, number] = [210, 40, 40];
const scene = shapesImage(300, 200, [
  { name: 'red1', box: [20, 20, 60, 50], colour: RED },
  { name: 'red2', box: [120, 30, 50, 50], colour: RED, kind: 'disc' },
  { name: 'blue', box: [200, 110, 70, 70], colour: [40, 60, 200], kind: 'disc' },
]);
let photo = '';
beforeAll(async () => {
  process.env.SEGKIT_CACHE_DIR = tmp();
  photo = join(tmp(), 'shapes.png');
  writeFileSync(photo, await encodeImage(scene.image, 'png'));
});

describe('segkit with SAM 3', () => {
  it('find --model: every instance of the text, with the model and layout in --json', async () => {
    const out = join(tmp(), 'found');
    const r = await cli('find', photo, '--model', fixture, '--text', 'red', '-o', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as {
      layout: string;
      decoderCalls: number;
      instances: { file: string }[];
    };
    expect(res.layout).toBe('sam3-usls');
    expect(res.decoderCalls).toBe(1);
    expect(res.instances.length).toBe(2);
    const masks = await Promise.all(res.instances.map((i) => readMask(i.file)));
    for (const name of ['red1', 'red2'])
      expect(Math.max(...masks.map((m) => iou(m, scene.truth[name]!)))).toBeGreaterThan(0.9);
    expect(r.stderr).toMatch(/found 2 instances; wrote/);
    const ex = await cli(
      'find',
      photo,
      '--model',
      fixture,
      '--positive',
      '210,130,40,40',
      '-o',
      join(tmp(), 'ex'),
    );
    expect(ex.code, ex.stderr).toBe(0);
    expect(ex.stderr).toMatch(/found 1 instance;/);
  });

  it('find --model refuses the pipeline’s options and prompts it cannot take, with coded errors', async () => {
    const both = await cli(
      'find',
      photo,
      '--model',
      fixture,
      '--text',
      'red',
      '--text-model',
      'clipseg',
      '-o',
      tmp(),
    );
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(
      /^segkit: E_USAGE: --text-model is an option of the CLIPSeg \+ SAM \+ CLIP pipeline/,
    );
    const none = await cli('find', photo, '--model', fixture, '--negative-box', '1,1,5,5', '-o', tmp());
    expect(none.stderr).toMatch(/^segkit: E_FIND_ALL_NEEDS_PROMPT/);
    const notSam3 = await cli(
      'find',
      photo,
      '--model',
      join(repo, 'fixtures/models/sam-fixture'),
      '--text',
      'red',
      '-o',
      tmp(),
    );
    expect(notSam3.stderr).toMatch(/^segkit: E_MODEL_UNSUPPORTED: .* is not a SAM 3 concept model/);
    const click = await cli(
      'segment',
      photo,
      '--model',
      fixture,
      '--point',
      '40,40',
      '-o',
      join(tmp(), 'm.png'),
    );
    expect(click.stderr).toMatch(
      /^segkit: E_MODEL_UNSUPPORTED: .* is a SAM 3 concept model .* use sam3-tracker/,
    );
  });

  it('text --model: the union of the instances as one mask per label', async () => {
    const out = join(tmp(), 'text');
    const r = await cli('text', photo, '--model', fixture, '--prompt', 'red', '--prompt', 'blue', '-o', out);
    expect(r.code, r.stderr).toBe(0);
    const red = await readMask(join(out, 'red.png'));
    const truth = scene.truth;
    const union = { ...truth.red1!, data: truth.red1!.data.map((v, i) => v | truth.red2!.data[i]!) };
    expect(iou(red, union)).toBeGreaterThan(0.9);
    expect(iou(await readMask(join(out, 'blue.png')), truth.blue!)).toBeGreaterThan(0.9);
  });

  it('dataset build-seg --model sam3 --text-from-labels: each box becomes its instance’s mask', async () => {
    const src = join(tmp(), 'boxes');
    mkdirSync(join(src, 'images'), { recursive: true });
    writeFileSync(join(src, 'images', 'shapes.png'), readFileSync(photo));
    const coco = {
      images: [{ id: 1, file_name: 'images/shapes.png', width: 300, height: 200 }],
      categories: [
        { id: 1, name: 'red' },
        { id: 2, name: 'blue' },
      ],
      annotations: [
        { id: 1, image_id: 1, category_id: 1, bbox: [18, 18, 64, 54], area: 3456, iscrowd: 0 },
        { id: 2, image_id: 1, category_id: 2, bbox: [198, 108, 74, 74], area: 5476, iscrowd: 0 },
      ],
    };
    writeFileSync(join(src, 'annotations.json'), JSON.stringify(coco));
    const out = join(tmp(), 'seg');
    const r = await cli(
      'dataset',
      'build-seg',
      join(src, 'annotations.json'),
      '-o',
      out,
      '--model',
      fixture,
      '--text-from-labels',
      '--json',
    );
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { masks: number; fallbacks: number };
    expect(summary).toMatchObject({ masks: 2, fallbacks: 0 });
    const written = JSON.parse(readFileSync(join(out, 'annotations.json'), 'utf8')) as {
      annotations: { category_id: number; area: number; bbox: number[] }[];
    };
    const blue = written.annotations.find((a) => a.category_id === 2)!;
    expect(Math.abs(blue.area - scene.truth.blue!.data.reduce((s, v) => s + v, 0))).toBeLessThan(200);
    const wrong = await cli(
      'dataset',
      'build-seg',
      join(src, 'annotations.json'),
      '-o',
      join(tmp(), 'x'),
      '--model',
      'classic',
      '--text-from-labels',
    );
    expect(wrong.stderr).toMatch(
      /^segkit: E_INVALID_ARGUMENT: --text-from-labels needs a SAM 3 concept model/,
    );
  });

  it.skipIf(!existsSync(tracker))('segment and build-seg take the SAM 3 tracker', async () => {
    const r = await cli(
      'segment',
      photo,
      '--model',
      tracker,
      '--point',
      '40,40',
      '--multimask',
      '-o',
      join(tmp(), 'm.png'),
      '--json',
    );
    expect(r.code, r.stderr).toBe(0);
    const src = join(tmp(), 'b');
    mkdirSync(join(src, 'images'), { recursive: true });
    writeFileSync(join(src, 'images', 'shapes.png'), readFileSync(photo));
    writeFileSync(
      join(src, 'annotations.json'),
      JSON.stringify({
        images: [{ id: 1, file_name: 'images/shapes.png', width: 300, height: 200 }],
        categories: [{ id: 1, name: 'red' }],
        annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [18, 18, 64, 54], area: 3456, iscrowd: 0 }],
      }),
    );
    const b = await cli(
      'dataset',
      'build-seg',
      join(src, 'annotations.json'),
      '-o',
      join(tmp(), 's'),
      '--model',
      tracker,
      '--json',
    );
    expect(b.code, b.stderr).toBe(0);
    expect(JSON.parse(b.stdout)).toMatchObject({ images: 1 });
  });
});
