// `segkit text train` on the real-architecture CLIPSeg (tiny config, random weights): the command's table and files,
// the feature cache that makes a second training run no backbone pass, resume, and its refusals.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { colourShapesDataset, PROMPTS, roboflowExport } from '../../datasets/test/helpers/colour-shapes.js';
import { cli, repo, tmp } from './helpers.js';

const model = join(repo, '../shared/real-arch/clipseg');

/** A generated shapes dataset with its prompts file, and `segkit text train` arguments for it on the real graph. */
async function shapes(train: number, val: number, seed?: number) {
  const ds = await colourShapesDataset(train, val, 96, seed);
  const prompts = join(ds.dir, 'prompts.json');
  writeFileSync(prompts, JSON.stringify(PROMPTS));
  return {
    ds,
    prompts,
    args: ['text', 'train', '--manifest', ds.manifest, '--prompts', prompts, '--model', model],
  };
}
const present = existsSync(join(model, 'onnx/model.onnx'));

describe.skipIf(!present)('segkit text train', () => {
  it('trains, reports each epoch, writes a loadable model, training.json and the curve; a second run computes no backbone pass', async () => {
    const { ds, args: train } = await shapes(12, 6);
    const out = join(tmp(), 'model');
    const args = [...train.slice(2), '--cache-dir', tmp(), '--batch', '6', '--lr', '1e-3'];
    const r = await cli('text', 'train', ...args, '--epochs', '2', '--q8', '-o', out);
    expect(r.stderr).toMatch(
      /epoch {2}1 {2}loss \d\.\d{4} {2}val mIoU@0\.5 \d\.\d{3} {2}Dice@0\.5 red \S+ {2}blue \S+ {2}yellow \S+ {2}cyan \S+ {2}best t=0\.\d mIoU \d\.\d{3}/,
    );
    expect(r.stderr).toMatch(/epoch {2}2 /);
    expect(r.stderr).toMatch(/^zero-shot {2}val mIoU@0\.5 \d\.\d{3} {2}best t=0\.\d mIoU \d\.\d{3}$/m);
    expect(r.stderr).toMatch(/feature cache .*: 18 images, [\d.]+ MiB; 18 backbone passes this run/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^best epoch [12]: val mIoU \d\.\d{3} at threshold 0\.\d \(\d\.\d{3} at 0\.5\), zero-shot \d\.\d{3}; model in /,
    );
    const training = JSON.parse(readFileSync(join(out, 'training.json'), 'utf8'));
    expect(training).toMatchObject({
      status: 'complete',
      settings: { epochs: 2, lr: 1e-3, batch: 6, weightDecay: 1e-4, seed: 42, freezeReduces: false },
      examples: { train: expect.any(Number), val: expect.any(Number) },
      backbonePasses: 18,
      threads: expect.any(Number),
    });
    expect(training.history).toHaveLength(2);
    expect(existsSync(join(out, '.segkit-train'))).toBe(false);
    expect((await sharp(join(out, 'training-curve.png')).metadata()).width).toBe(640);
    // The output is a CLIPSeg model folder that `segkit text` loads.
    const seg = await cli(
      'text',
      join(ds.dir, 'images', 'img0000.png'),
      '--prompt',
      'segment red',
      '--model',
      out,
      '-o',
      tmp(),
    );
    expect(seg.code).toBe(0);
    // --q8 wrote the 8-bit copy too, which --dtype q8 loads.
    expect(training.q8).toBe(true);
    expect(existsSync(join(out, 'onnx', 'model_quantized.onnx'))).toBe(true);
    const image = join(ds.dir, 'images', 'img0000.png');
    const q8 = await cli(
      'text',
      image,
      '--prompt',
      'segment red',
      '--model',
      out,
      '--dtype',
      'q8',
      '-o',
      tmp(),
    );
    expect(q8.code).toBe(0);
    expect(
      (await cli('text', image, '--prompt', 'segment red', '--model', out, '--dtype', 'q9', '-o', tmp()))
        .stderr,
    ).toBe('segkit: E_USAGE: --dtype must be one of fp32, fp16, q8, int8, uint8, q4\n');

    // Same data, new output: every feature comes from the cache.
    const againOut = join(tmp(), 'again');
    const again = await cli('text', 'train', ...args, '--epochs', '1', '--threads', '1', '-o', againOut);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/; 0 backbone passes this run/);
    expect(JSON.parse(readFileSync(join(againOut, 'training.json'), 'utf8')).threads).toBe(1);
    // A finished training is not overwritten.
    const twice = await cli('text', 'train', ...args, '--epochs', '1', '-o', out);
    expect(twice.stderr).toMatch(
      /^segkit: E_INVALID_ARGUMENT: .* already holds a finished training; choose another -o/,
    );
  });

  it('refuses bad settings with one line', async () => {
    const { prompts, args } = await shapes(4, 2);
    const base = [...args, '-o', join(tmp(), 'm')];
    expect((await cli(...base, '--balance', 'colour')).stderr).toBe(
      'segkit: E_USAGE: --balance must be label or dataset\n',
    );
    expect((await cli(...base, '--threads', '0')).stderr).toBe(
      'segkit: E_USAGE: --threads must be a number between 1 and 64, got "0"\n',
    );
    expect((await cli(...base, '--threads', '1.5')).stderr).toMatch(
      /^segkit: E_INVALID_ARGUMENT: Expected an integer ≥ 1 for threads, got 1.5\n$/,
    );
    expect((await cli(...base, '--size', '224')).stderr).toMatch(
      /^segkit: E_INVALID_ARGUMENT: --size must be 352/,
    );
    expect((await cli(...base, '--val-split', 'test')).stderr).toMatch(/has no test rows with a mask/);
    expect((await cli(...base, '--resume')).stderr).toMatch(/has no training to resume/);
    expect((await cli('text', 'train', '--prompts', prompts, '-o', tmp())).stderr).toMatch(
      /Missing required option --manifest/,
    );
    const quantizedOnly = await cli(
      ...base.slice(0, -4),
      '--model',
      join(repo, 'fixtures/models/clipseg-fixture'),
      '-o',
      join(tmp(), 'q'),
    );
    expect(quantizedOnly.stderr).toMatch(/^segkit: E_MODEL_(UNSUPPORTED|MISSING): /);
  });

  it("runs the drywall report's flow on generated data: two Roboflow exports → masks → manifests → merge → split → train → eval text", async () => {
    const ds = await colourShapesDataset(48, 0, 96, 21);
    const w = tmp();
    const at = (p: string) => join(w, p);
    // Two annotation projects: one labels red and blue on the even photos, the other yellow and cyan on the odd.
    await roboflowExport(ds, at('export-a'), ['red', 'blue'], { images: (i) => i % 2 === 0 });
    await roboflowExport(ds, at('export-b'), ['yellow', 'cyan'], { images: (i) => i % 2 === 1, seed: 2 });
    writeFileSync(at('prompts.json'), JSON.stringify(PROMPTS));
    const steps: string[][] = [
      ['dataset', 'convert', at('export-a'), at('masks-a'), '--to', 'masks'],
      ['dataset', 'convert', at('export-b'), at('masks-b'), '--to', 'masks'],
      ['dataset', 'manifest', at('masks-a'), '-o', at('a.csv')],
      ['dataset', 'manifest', at('masks-b'), '-o', at('b.csv')],
      ['dataset', 'merge', at('a.csv'), at('b.csv'), '-o', at('merged.csv')],
      ['dataset', 'split', at('merged.csv'), '-o', at('split.csv'), '--seed', '42', '--ratios', '70,15,15'],
      [
        'text',
        'train',
        '--manifest',
        at('split.csv'),
        '--prompts',
        at('prompts.json'),
        '--model',
        model,
        '-o',
        at('models/shapes'),
        '--epochs',
        '2',
        '--batch',
        '8',
        '--lr',
        '1e-3',
        '--cache-dir',
        at('cache'),
      ],
      [
        'eval',
        'text',
        '--manifest',
        at('split.csv'),
        '--split',
        'test',
        '--prompts',
        at('prompts.json'),
        '--model',
        at('models/shapes'),
        '--thresholds',
        '0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9',
        '-o',
        at('report'),
      ],
    ];
    for (const step of steps) {
      const r = await cli(...step);
      expect(r.code, `${step.slice(0, 2).join(' ')}: ${r.stderr}`).toBe(0);
    }
    const report = JSON.parse(readFileSync(at('report/report.json'), 'utf8'));
    expect(Object.keys(report.perLabel).sort()).toEqual(['blue', 'cyan', 'red', 'yellow']);
    expect(report.thresholds).toHaveLength(9);
    expect(readdirSync(at('report/panels')).filter((f) => f.endsWith('.png')).length).toBeGreaterThan(0);
  });
});

const bin = join(repo, 'packages/cli/bin/segkit.js');
const built = existsSync(join(repo, 'packages/cli/dist/main.js'));

describe.skipIf(!present || !built)('segkit text train, interrupted (the installed binary)', () => {
  it('Ctrl-C after an epoch exits 130 and keeps the best model so far; --resume finishes the training', async () => {
    const { args: train } = await shapes(12, 6, 41);
    const out = join(tmp(), 'model');
    const args = [...train, '--batch', '6', '--cache-dir', tmp(), '--epochs', '4', '-o', out];
    const child = spawn(process.execPath, [bin, ...args]);
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    for (let i = 0; i < 1200 && !/epoch {2}1 /.test(stderr); i++) await sleep(50);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain('segkit: interrupted (SIGINT)');
    // The best epoch so far is a loadable model; the resume state is there; no temporary file is left.
    expect(existsSync(join(out, 'onnx/model.onnx'))).toBe(true);
    expect(existsSync(join(out, '.segkit-train/state.json'))).toBe(true);
    const all = readdirSync(out, { recursive: true, encoding: 'utf8' });
    expect(all.filter((p) => p.includes('.tmp-'))).toEqual([]);
    const done = JSON.parse(readFileSync(join(out, 'training.json'), 'utf8')).history.length;
    expect(done).toBeGreaterThanOrEqual(1);
    const again = await cli(...args, '--resume');
    expect(again.code, again.stderr).toBe(0);
    const training = JSON.parse(readFileSync(join(out, 'training.json'), 'utf8'));
    expect(training.status).toBe('complete');
    expect(training.history.map((h: { epoch: number }) => h.epoch)).toEqual([1, 2, 3, 4]);
    expect(again.stderr).not.toMatch(new RegExp(`epoch  ${done} `));
  });
});
