// Classifier heads: training on CLIP crops of a generated box dataset, the crop cache, determinism, the head file
// and its refusal with another backbone, a reference check against scikit-learn, and the real-architecture CLIP.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maskToRle, seededRandom } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import {
  embedModelId,
  embedSamples,
  evaluateHead,
  loadHead,
  predictWithHead,
  type Sample,
  trainHead,
  trainSoftmax,
  writeHead,
} from '../src/index.js';
import { encodeNpy } from '../src/npy.js';
import { colourBoxDataset } from './helpers/colour-boxes.js';
import { gaussianClasses } from './helpers/gaussian-classes.js';

const repo = new URL('../../../', import.meta.url).pathname;
const clipFixture = join(repo, 'fixtures/models/clip-fixture');
const realClip = join(repo, '../shared/real-arch/clip');
const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));

/** The generated COCO folder as samples, every fifth image in val. */
function samplesOf(dir: string): Sample[] {
  const coco = JSON.parse(readFileSync(join(dir, 'annotations.json'), 'utf8')) as {
    images: { id: number; file_name: string }[];
    categories: { id: number; name: string }[];
    annotations: { image_id: number; category_id: number; bbox: [number, number, number, number] }[];
  };
  const files = new Map(coco.images.map((i) => [i.id, i.file_name]));
  const names = new Map(coco.categories.map((c) => [c.id, c.name]));
  return coco.annotations.map((a) => ({
    image: join(dir, 'images', files.get(a.image_id)!),
    label: names.get(a.category_id)!,
    bbox: a.bbox,
    split: a.image_id % 5 === 0 ? 'val' : 'train',
  }));
}

describe('classifier heads', () => {
  it('learns 5 colour classes to ≥ 0.95 validation accuracy; with shuffled labels it does not', async () => {
    const samples = samplesOf(await colourBoxDataset(40));
    const cacheDir = tmp('segkit-crops-');
    const r = await trainHead(samples, { embedModel: clipFixture, cacheDir });
    expect(r.head.info.labels).toEqual(['blue', 'green', 'purple', 'red', 'yellow']);
    expect(r.head.info.metrics.valAccuracy).toBeGreaterThanOrEqual(0.95);
    const rand = seededRandom(3);
    const labels = samples.map((s) => s.label);
    for (let i = labels.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [labels[i], labels[j]] = [labels[j]!, labels[i]!];
    }
    const shuffled = samples.map((s, i) => ({ ...s, label: s.split === 'val' ? s.label : labels[i]! }));
    const bad = await trainHead(shuffled, { embedModel: clipFixture, cacheDir });
    const val = samples.map((s, i) => [s, i] as const).filter(([s]) => s.split === 'val');
    const report = evaluateHead(
      bad.head,
      val.map(([, i]) => bad.vectors[i]!),
      val.map(([s]) => s.label),
    );
    expect(report.accuracy).toBeLessThan(0.8);
  });

  it('a second run embeds nothing and writes the same weights; 10 more images embed only theirs', async () => {
    const dir = await colourBoxDataset(40);
    const cacheDir = tmp('segkit-crops-');
    const samples = samplesOf(dir);
    const first = await trainHead(samples, { embedModel: clipFixture, cacheDir });
    expect(first.embeddings).toEqual({ computed: samples.length, cached: 0 });
    const second = await trainHead(samples, { embedModel: clipFixture, cacheDir });
    expect(second.embeddings).toEqual({ computed: 0, cached: samples.length });
    const [a, b] = [tmp('segkit-head-'), tmp('segkit-head-')];
    await writeHead(join(a, 'h'), first.head);
    await writeHead(join(b, 'h'), second.head);
    for (const f of ['weights.npy', 'bias.npy'])
      expect(readFileSync(join(a, 'h', f)).equals(readFileSync(join(b, 'h', f)))).toBe(true);
    const info = (p: string) => ({
      ...JSON.parse(readFileSync(join(p, 'h', 'head.json'), 'utf8')),
      createdAt: 0,
    });
    expect(info(a)).toEqual(info(b));
    const more = samplesOf(await colourBoxDataset(50));
    const third = await embedSamples(more, { model: clipFixture, cacheDir });
    const newOnes = more.filter((s) => /img04\d\.png$/.test(s.image)).length;
    expect(third.computed).toBe(newOnes);
    expect(third.cached).toBe(more.length - newOnes);
  });

  it('head.json names the model, labels and settings; another model or dimension is refused, coded', async () => {
    const samples = samplesOf(await colourBoxDataset(20));
    const r = await trainHead(samples, { embedModel: clipFixture, cacheDir: false, balanced: true });
    const dir = join(tmp('segkit-head-'), 'shapes');
    await writeHead(dir, r.head);
    const npy = readFileSync(join(dir, 'weights.npy'));
    expect(npy.subarray(1, 6).toString()).toBe('NUMPY');
    const head = await loadHead(dir, { embedModel: embedModelId(clipFixture), dim: 16 });
    expect(head.info).toMatchObject({
      format: 1,
      labels: r.head.info.labels,
      dim: 16,
      embedModel: { ref: clipFixture, id: clipFixture },
      crop: { padding: 0.1, blankBackground: true },
      training: { balanced: true, c: 1, seed: 42 },
    });
    await expect(
      loadHead(dir, { embedModel: embedModelId(join(repo, 'fixtures/models/clipseg-fixture')) }),
    ).rejects.toMatchObject({
      code: 'E_HEAD_MISMATCH',
      message: expect.stringContaining('clip-fixture'),
    });
    await expect(loadHead(dir, { dim: 512 })).rejects.toMatchObject({ code: 'E_HEAD_MISMATCH' });
    await expect(loadHead(tmp('segkit-empty-'))).rejects.toMatchObject({ code: 'E_HEAD_INVALID' });
    // The trained label comes first for a box of that class, with the top-two margin and no "unsure" flag.
    const red = samples.find((s) => s.label === 'red')!;
    const { vectors } = await embedSamples([red], { model: clipFixture, cacheDir: false });
    const [p] = predictWithHead(head, vectors);
    expect(p!.ranked[0]!.label).toBe('red');
    expect(p!.margin).toBeCloseTo(p!.ranked[0]!.probability - p!.ranked[1]!.probability, 12);
    expect(p!.ranked.reduce((s, x) => s + x.probability, 0)).toBeCloseTo(1, 6);
    expect(p!.unsure).toBe(false);
    expect(predictWithHead(head, vectors, 1.01)[0]!.unsure).toBe(true);
  });

  // The first python with scikit-learn: python3 on the PATH, else Debian's (where python3-sklearn installs it).
  const sklearn = ['python3', '/usr/bin/python3'].find(
    (py) => spawnSync(py, ['-c', 'import sklearn, numpy'], { encoding: 'utf8' }).status === 0,
  );
  if (!sklearn)
    console.warn(
      'scikit-learn reference check skipped: no python3 has sklearn (apt-get install python3-sklearn)',
    );
  it.skipIf(!sklearn)(
    'accuracy within 0.02 of scikit-learn’s LogisticRegression on the same embeddings',
    async () => {
      // Overlapping Gaussian classes in 32 dimensions, L2-normalised like CLIP embeddings: neither model is perfect.
      const c = 6;
      const d = 32;
      const make = gaussianClasses({ classes: c, dim: d, spread: 2.2, seed: 11 });
      const train = make(1200);
      const test = make(600);
      const { model } = await trainSoftmax(train.x, train.y, { classes: c, epochs: 100, patience: 100 });
      let ok = 0;
      for (let i = 0; i < test.y.length; i++) {
        let best = 0;
        let bestZ = Number.NEGATIVE_INFINITY;
        for (let k = 0; k < c; k++) {
          let z = model.bias[k]!;
          for (let j = 0; j < d; j++) z += test.x.data[i * d + j]! * model.weights[k * d + j]!;
          if (z > bestZ) {
            bestZ = z;
            best = k;
          }
        }
        if (best === test.y[i]) ok++;
      }
      const ours = ok / test.y.length;
      const dir = tmp('segkit-sk-');
      const save = (name: string, data: Float32Array, shape: number[]) =>
        writeFileSync(join(dir, name), encodeNpy(data, shape));
      save('xtr.npy', train.x.data, [train.y.length, d]);
      save('ytr.npy', Float32Array.from(train.y), [train.y.length]);
      save('xte.npy', test.x.data, [test.y.length, d]);
      save('yte.npy', Float32Array.from(test.y), [test.y.length]);
      const theirs = Number(
        execFileSync(
          sklearn!,
          [
            '-c',
            `import numpy as np, sys
from sklearn.linear_model import LogisticRegression
d = sys.argv[1]
m = LogisticRegression(C=1.0, max_iter=5000).fit(np.load(d + '/xtr.npy'), np.load(d + '/ytr.npy').astype(int))
print(m.score(np.load(d + '/xte.npy'), np.load(d + '/yte.npy').astype(int)))`,
            dir,
          ],
          { encoding: 'utf8' },
        ).trim(),
      );
      console.log(`test accuracy: SegKit ${ours.toFixed(4)}, scikit-learn ${theirs.toFixed(4)}`);
      expect(theirs).toBeGreaterThan(0.5);
      expect(theirs).toBeLessThan(0.99);
      expect(Math.abs(ours - theirs)).toBeLessThanOrEqual(0.02);
    },
  );

  it.skipIf(!existsSync(join(realClip, 'config.json')))(
    'the real-architecture CLIP export: crops of boxes and masks, a head naming that model, prediction',
    async () => {
      const samples = samplesOf(await colourBoxDataset(10));
      // One sample as a mask (the box's rectangle as RLE): the blank-background crop path.
      const s0 = samples[0]!;
      const data = new Uint8Array(160 * 120);
      const [x, y, w, h] = s0.bbox;
      for (let yy = y; yy < y + h; yy++) data.fill(1, yy * 160 + x, yy * 160 + x + w);
      samples[0] = { ...s0, rle: maskToRle({ width: 160, height: 120, data }) };
      const r = await trainHead(samples, { embedModel: realClip, cacheDir: false, epochs: 5 });
      expect(r.head.info.embedModel.id).toBe(realClip);
      const dim = r.head.info.dim;
      expect(dim).toBeGreaterThan(0);
      const dir = join(tmp('segkit-head-'), 'real');
      await writeHead(dir, r.head);
      const head = await loadHead(dir, { embedModel: embedModelId(realClip), dim });
      const [p] = predictWithHead(head, [r.vectors[1]!]);
      expect(p!.ranked).toHaveLength(head.info.labels.length);
      await expect(loadHead(dir, { embedModel: embedModelId(clipFixture) })).rejects.toMatchObject({
        code: 'E_HEAD_MISMATCH',
      });
    },
  );
});
