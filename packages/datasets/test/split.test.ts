import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildManifest,
  mergeManifests,
  readDataset,
  readManifest,
  SPLITS,
  type SplitItem,
  splitItems,
  splitTable,
  writeManifest,
} from '../src/index.js';
import { maskFolderDataset, tmp } from './helpers/generate.js';

/** Random single-label datasets in which every label has at least 3 images (always splittable with coverage). */
const arbItems = fc
  .array(fc.integer({ min: 3, max: 12 }), { minLength: 1, maxLength: 6 })
  .map((perLabel) =>
    perLabel.flatMap((n, l) =>
      Array.from({ length: n }, (_, k) => ({ id: `img-${l}-${k}`, labels: [`label${l}`] })),
    ),
  )
  .filter((items) => items.length >= 10);

const covered = (items: SplitItem[], a: Map<string, string>) => {
  const t = splitTable(items, a as never);
  return t.labels.every((l) => SPLITS.every((s) => t.counts[s][l]! > 0));
};

describe('splitItems', () => {
  it('is deterministic for a seed and independent of input order', () => {
    fc.assert(
      fc.property(arbItems, fc.integer({ min: 0, max: 1000 }), (items, seed) => {
        const a = splitItems(items, { seed });
        const b = splitItems([...items].reverse(), { seed });
        expect([...a].sort()).toEqual([...b].sort());
      }),
      { numRuns: 100 },
    );
  });

  it('puts every label in every split when each label has at least 3 images', () => {
    fc.assert(
      fc.property(arbItems, fc.integer({ min: 0, max: 1000 }), (items, seed) => {
        expect(covered(items, splitItems(items, { seed }))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('covers labels on multi-label images too, and keeps sizes near 70/15/15', () => {
    const items: SplitItem[] = Array.from({ length: 100 }, (_, i) => ({
      id: String(i).padStart(3, '0'),
      labels: [i % 2 ? 'car' : 'person', ...(i % 25 === 0 ? ['rare'] : []), ...(i % 7 === 0 ? ['bike'] : [])],
    }));
    const a = splitItems(items);
    expect(covered(items, a)).toBe(true);
    const t = splitTable(items, a);
    expect(t.images).toEqual({ train: 70, val: 15, test: 15 });
  });

  it('changes with the seed', () => {
    const items = Array.from({ length: 50 }, (_, i) => ({ id: String(i), labels: ['x'] }));
    expect([...splitItems(items, { seed: 1 })]).not.toEqual([...splitItems(items, { seed: 2 })]);
  });

  it('rejects bad ratios', () => {
    expect(() => splitItems([], { ratios: [1, -1, 0] })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }),
    );
  });
});

describe('manifests', () => {
  it('builds one row per (image, label), writes and reads CSV (with quoting) exactly', async () => {
    const src = await maskFolderDataset();
    const rows = buildManifest(await readDataset(src), {
      source: 'demo, "quoted"',
      maskRoot: join(src, 'masks'),
    });
    expect(rows.map((r) => [r.image_path, r.label, r.mask_path])).toEqual([
      [join(src, 'images/a.png'), 'cat', join(src, 'masks/cat/a.png')],
      [join(src, 'images/a.png'), 'dog', join(src, 'masks/dog/a.png')],
      [join(src, 'images/b.png'), 'cat', join(src, 'masks/cat/b.png')],
    ]);
    const csv = join(src, 'm.csv');
    await writeManifest(rows, csv);
    // On disk, paths are relative to the CSV's folder; reading resolves them back.
    expect(readFileSync(csv, 'utf8')).toContain('images/a.png,masks/cat/a.png,cat');
    expect(await readManifest(csv)).toEqual(rows);
    const elsewhere = join(tmp(), 'deeper', 'm.csv');
    mkdirSync(dirname(elsewhere));
    await writeManifest(rows, elsewhere);
    expect(readFileSync(elsewhere, 'utf8')).toContain('../../');
    expect(await readManifest(elsewhere)).toEqual(rows);
  });

  it('merges manifests, dropping identical repeats and refusing conflicts', () => {
    const row = {
      image_id: '1',
      image_path: 'a.png',
      mask_path: 'm/a.png',
      label: 'cat',
      split: '',
      source_dataset: 'x',
    };
    expect(
      mergeManifests([
        { name: 'a', rows: [row] },
        { name: 'b', rows: [row, { ...row, label: 'dog' }] },
      ]),
    ).toHaveLength(2);
    expect(() =>
      mergeManifests([
        { name: 'a', rows: [row] },
        { name: 'b', rows: [{ ...row, split: 'test' }] },
      ]),
    ).toThrow(/differs between a and b/);
  });

  it('reports malformed CSV lines with their numbers', async () => {
    const p = join(tmp(), 'bad.csv');
    writeFileSync(
      p,
      'image_id,image_path,mask_path,label,split,source_dataset\n1,a.png,,cat,,x\n2,b.png\n3,,,cat,,x\n',
    );
    await expect(readManifest(p)).rejects.toMatchObject({
      code: 'E_DATASET_INVALID',
      message: expect.stringMatching(/line 3: has 2 fields.*line 4: image_path is empty/),
    });
  });
});
