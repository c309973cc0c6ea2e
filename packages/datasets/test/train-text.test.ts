// Decoder-only CLIPSeg training on the real-architecture export (tiny config, random weights): it learns coloured
// shapes from a zero-shot mIoU near 0 to ≥ 0.6, `eval text` on the written model confirms the figure, a run with the
// masks shuffled between rows does not get there, and an interrupted run resumes to the same result.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import { evalText, readManifest, SWEEP, trainText, writeManifest } from '../src/index.js';
import { colourShapesDataset, PROMPTS } from './helpers/colour-shapes.js';

const repoRoot = new URL('../../../', import.meta.url).pathname;
const model = join(repoRoot, '../shared/real-arch/clipseg');
const present = existsSync(join(model, 'onnx/model.onnx'));
const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));

describe.skipIf(!present)('segkit text train learns (real-architecture CLIPSeg)', () => {
  it('lifts val mIoU from near 0 to ≥ 0.6; eval text agrees; shuffled masks do not get there', {
    timeout: 600_000,
  }, async () => {
    const ds = await colourShapesDataset(96, 24);
    const cacheDir = tmp('segkit-tt-cache-');
    const common = { model, lr: 1e-3, batch: 8, epochs: 5, cacheDir };
    // Zero-shot: the untrained decoder on val, scored exactly as `segkit eval text` scores it.
    const zero = await evalText(ds.manifest, PROMPTS, { split: 'val', model, thresholds: SWEEP });
    const zeroBest = Math.max(...zero.report.thresholds.map((t) => t.miou));
    expect(zeroBest).toBeLessThan(0.2);

    const out = join(tmp('segkit-tt-'), 'model');
    const run = await trainText(ds.manifest, PROMPTS, out, common);
    expect(run.history).toHaveLength(5);
    // Training's own zero-shot row is the same figure.
    expect(Math.abs(run.zeroShot!.bestMiou - zeroBest)).toBeLessThan(1e-3);
    expect(run.best!.bestMiou).toBeGreaterThanOrEqual(0.6);
    expect(run.history[0]!.trainLoss).toBeGreaterThan(run.history.at(-1)!.trainLoss);
    // The written model, evaluated by `segkit eval text`, gives the figure training reported for its best epoch.
    const tuned = await evalText(ds.manifest, PROMPTS, { split: 'val', model: out, thresholds: SWEEP });
    const tunedBest = Math.max(...tuned.report.thresholds.map((t) => t.miou));
    expect(Math.abs(tunedBest - run.best!.bestMiou)).toBeLessThan(1e-3);
    expect(Math.abs(tuned.report.overall.miou - run.best!.miou)).toBeLessThan(1e-3);
    const training = JSON.parse(readFileSync(join(out, 'training.json'), 'utf8'));
    expect(training.best.epoch).toBe(run.best!.epoch);

    // Control: the same training with each train row's mask taken from another row cannot learn the task.
    const rows = await readManifest(ds.manifest);
    const train = rows.filter((r) => r.split === 'train');
    const r = seededRandom(11);
    const masks = train.map((row) => row.mask_path).sort(() => r() - 0.5);
    train.forEach((row, i) => {
      row.mask_path = masks[i]!;
    });
    const shuffled = join(ds.dir, 'shuffled.csv');
    await writeManifest(rows, shuffled);
    const control = await trainText(shuffled, PROMPTS, join(tmp('segkit-tt-ctl-'), 'model'), common);
    expect(control.best!.bestMiou).toBeLessThan(0.45);
    // Both runs read their features from the cache after the first: no image went through the backbone twice.
    expect(control.backbonePasses).toBe(0);
  });

  it('an interrupted training resumes from its last finished epoch to the same result as an uninterrupted one', {
    timeout: 300_000,
  }, async () => {
    const ds = await colourShapesDataset(12, 6, 96, 9);
    const opts = { model, lr: 1e-3, batch: 6, epochs: 3, cacheDir: tmp('segkit-tt-cache2-') };
    const straight = await trainText(ds.manifest, PROMPTS, join(tmp('segkit-tt-s-'), 'm'), opts);
    const out = join(tmp('segkit-tt-r-'), 'm');
    const stop = new AbortController();
    const first = await trainText(ds.manifest, PROMPTS, out, {
      ...opts,
      signal: stop.signal,
      onEpoch: () => stop.abort(),
    });
    expect(first.interrupted).toBe(true);
    expect(first.history).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(out, 'training.json'), 'utf8')).status).toBe('interrupted');
    await expect(trainText(ds.manifest, PROMPTS, out, opts)).rejects.toMatchObject({
      code: 'E_INVALID_ARGUMENT',
      message: expect.stringMatching(/unfinished training: continue it with --resume/),
    });
    await expect(
      trainText(ds.manifest, PROMPTS, out, { ...opts, resume: true, lr: 5e-4 }),
    ).rejects.toMatchObject({
      message: expect.stringMatching(/was trained with lr=0\.001; resume with the same settings/),
    });
    const resumed = await trainText(ds.manifest, PROMPTS, out, { ...opts, resume: true });
    expect(resumed.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    for (const [i, h] of resumed.history.entries()) {
      expect(h.trainLoss).toBeCloseTo(straight.history[i]!.trainLoss, 5);
      expect(h.bestMiou).toBeCloseTo(straight.history[i]!.bestMiou, 5);
    }
    expect(existsSync(join(out, '.segkit-train'))).toBe(false);
  });
});
