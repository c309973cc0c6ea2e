import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeImage } from '@segkit/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { RED, shapesImage } from '../../models/test/helpers/shapes.js';
import { adjustedRandIndex, analyze, plotRun, readNpy, readRows } from '../src/index.js';
import { colourImages, trueColour } from './helpers/colour-images.js';

const fx = (n: string) => new URL(`../../../fixtures/models/${n}`, import.meta.url).pathname;
const models = { segmentModel: fx('sam-fixture'), embedModel: fx('clip-fixture'), pointsPerSide: 6 };

describe('segkit analyze pipeline (fixture SAM + fixture CLIP)', () => {
  it('runs end to end on 30 images: run layout, masks.jsonl, numpy-loadable embeddings, plot and resume', async () => {
    const src = await colourImages();
    const out = mkdtempSync(join(tmpdir(), 'segkit-runs-'));
    const images = Array.from({ length: 30 }, (_, i) =>
      join(src, 'images', `img${String(i).padStart(2, '0')}.png`),
    );
    const { dir, rows, run } = await analyze(images, out, { backend: 'sam', ...models, minClusterSize: 10 });
    expect(dir).toMatch(/run-\d{4}-/);
    expect(rows.length).toBeGreaterThanOrEqual(90); // at least one mask per shape
    // The acceptance: 3 HDBSCAN clusters whose members are the right colours (adjusted Rand index ≥ 0.9).
    const truth = await Promise.all(rows.map((r) => trueColour(r.image, join(dir, 'masks', `${r.id}.png`))));
    expect(new Set(truth)).toEqual(new Set([0, 1, 2]));
    const labels = rows.map((r) => r.mask_cluster!);
    expect(new Set(labels.filter((c) => c >= 0)).size).toBe(3);
    expect(adjustedRandIndex(labels, truth)).toBeGreaterThanOrEqual(0.9);
    expect(run).toMatchObject({ counts: { clusters: 3 }, umap: { init: 'spectral' } });
    // Within one image, the red, green and blue shapes embed far apart.
    const { data, shape } = await readNpy(join(dir, 'embeddings/img00.npy'));
    const d = shape[1]!;
    const v = (k: number) => data.slice(k * d, (k + 1) * d);
    const big = rows.filter((r) => r.id.startsWith('img00/') && r.area > 1000).map((r) => r.embedding.index);
    expect(big).toHaveLength(3);
    const cos = (a: Float32Array, b: Float32Array) => a.reduce((t, x, i) => t + x * b[i]!, 0);
    for (const i of big) for (const j of big) if (i < j) expect(cos(v(i), v(j))).toBeLessThan(0.2);
    expect(rows.every((r) => Number.isInteger(r.mask_cluster) && r.mask_umap?.length === 2)).toBe(true);
    expect(run).toMatchObject({
      pipeline: 'segkit.analyze',
      status: 'complete',
      counts: { images: 30, masks: rows.length },
    });
    const first = JSON.parse(readFileSync(join(dir, 'masks.jsonl'), 'utf8').split('\n')[0]!);
    expect(Object.keys(first)).toEqual([
      'id',
      'image',
      'bbox',
      'area',
      'score',
      'backend',
      'prompt',
      'embedding',
      'mask_umap',
      'mask_cluster',
      'mask_cluster_probability',
      'mask_outlier_score',
    ]);
    // hdbscan's probabilities_ and outlier_scores_ come with every mask: noise has probability 0, and each cluster
    // has a member of probability 1 (its densest core); outlier scores lie in [0, 1].
    for (const r of rows) {
      expect(r.mask_outlier_score).toBeGreaterThanOrEqual(0);
      expect(r.mask_outlier_score).toBeLessThanOrEqual(1);
      if (r.mask_cluster! < 0) expect(r.mask_cluster_probability).toBe(0);
      else expect(r.mask_cluster_probability).toBeGreaterThan(0);
    }
    for (const c of [0, 1, 2])
      expect(
        Math.max(...rows.filter((r) => r.mask_cluster === c).map((r) => r.mask_cluster_probability!)),
      ).toBe(1);
    expect(run).toMatchObject({
      params: {
        minSamples: null,
        clusterSelectionMethod: 'eom',
        clusterSelectionEpsilon: 0,
        allowSingleCluster: false,
      },
    });
    // The embeddings load in numpy.
    const py = spawnSync(
      'python3',
      ['-c', `import numpy as np; a=np.load('${join(dir, first.embedding.file)}'); print(a.dtype, a.shape)`],
      { encoding: 'utf8' },
    );
    if (py.status === 0)
      expect(py.stdout.trim()).toBe(`float32 (${rows.filter((r) => r.id.startsWith('img00/')).length}, 16)`);
    // A plot is drawn.
    await plotRun(dir, join(dir, 'scatter.png'));
    expect((await sharp(join(dir, 'scatter.png')).metadata()).format).toBe('png');
    // Running again on the run directory resumes: every image is skipped.
    const again = await analyze(images, dir, {
      backend: 'sam',
      ...models,
      minClusterSize: 10,
      nNeighbors: 45,
    });
    expect(again.run).toMatchObject({ resumed: true, counts: { masks: rows.length } });
    // Changing what the masks are made of is refused: the run would mix two settings.
    await expect(analyze(images, dir, { backend: 'sam', ...models, pointsPerSide: 8 })).rejects.toMatchObject(
      {
        code: 'E_INVALID_ARGUMENT',
        message: expect.stringMatching(
          /was made with pointsPerSide=6; resume it with the same settings \(now pointsPerSide=8\)/,
        ),
      },
    );
    expect(readRows(dir)).toHaveLength(rows.length);
  });

  it('handles an image with no masks and a run smaller than n_neighbors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segkit-small-'));
    const { image } = shapesImage(120, 90, [{ name: 'r', box: [10, 10, 40, 40], colour: RED }]);
    writeFileSync(join(dir, 'one.png'), await encodeImage(image, 'png'));
    writeFileSync(join(dir, 'blank.png'), await encodeImage(shapesImage(120, 90, []).image, 'png'));
    const { run } = await analyze([join(dir, 'one.png'), join(dir, 'blank.png')], join(dir, 'out'), {
      backend: 'sam',
      ...models,
    });
    expect(run).toMatchObject({
      counts: { images: 2, imagesWithoutMasks: 1, masks: 1, clusters: 0, noise: 1 },
      umap: { adapted: true },
    });
  });

  it('refuses a run directory of another pipeline, and clipseg without a prompt', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segkit-other-'));
    writeFileSync(join(dir, 'run.json'), JSON.stringify({ pipeline: 'someone-else' }));
    await expect(
      analyze([fx('../../examples/coffee.png')], dir, { backend: 'sam', ...models }),
    ).rejects.toMatchObject({
      code: 'E_INVALID_ARGUMENT',
      message: expect.stringContaining('another pipeline'),
    });
    await expect(
      analyze([fx('../../examples/coffee.png')], mkdtempSync(join(tmpdir(), 'x-')), { backend: 'clipseg' }),
    ).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    expect(existsSync(join(dir, 'masks.jsonl'))).toBe(false);
    // Two different files with one stem would share masks/<stem>/: refused before anything is written.
    const twin = mkdtempSync(join(tmpdir(), 'segkit-twin-'));
    writeFileSync(join(twin, 'coffee.png'), readFileSync(fx('../../examples/coffee.png')));
    const out = mkdtempSync(join(tmpdir(), 'segkit-twin-out-'));
    await expect(
      analyze([fx('../../examples/coffee.png'), join(twin, 'coffee.png')], out, {
        backend: 'sam',
        ...models,
      }),
    ).rejects.toMatchObject({
      code: 'E_INVALID_ARGUMENT',
      message: expect.stringContaining('share the name "coffee"'),
    });
    expect(readdirSync(out)).toEqual([]);
    // Bad HDBSCAN settings are refused before any image is segmented, not after the whole run.
    for (const [opts, message] of [
      [{ minSamples: 2.5 }, /integer ≥ 1 for minSamples/],
      [{ minClusterSize: 1 }, /integer ≥ 2 for minClusterSize/],
      [{ clusterSelectionMethod: 'best' as 'eom' }, /eom or leaf/],
      [{ clusterSelectionEpsilon: -1 }, /≥ 0 for clusterSelectionEpsilon/],
    ] as const) {
      await expect(
        analyze([fx('../../examples/coffee.png')], out, { backend: 'sam', ...models, ...opts }),
      ).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT', message: expect.stringMatching(message) });
      expect(readdirSync(out)).toEqual([]);
    }
  });
});
