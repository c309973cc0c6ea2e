import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { iou, masksEqual } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import { detectFormat, readDataset, segmentationToMask, writeDataset } from '../src/index.js';
import { H, maskFolderDataset, shapes, tmp, W, writePhoto } from './helpers/generate.js';

async function yoloSeg(): Promise<string> {
  const dir = tmp();
  mkdirSync(join(dir, 'images'));
  mkdirSync(join(dir, 'labels'));
  await writePhoto(join(dir, 'images/p.png'), 3);
  writeFileSync(join(dir, 'data.yaml'), 'names:\n  0: person\n  1: bike\n');
  // A triangle and a pentagon in normalised coordinates (6 decimals).
  writeFileSync(
    join(dir, 'labels/p.txt'),
    '0 0.1 0.1 0.5 0.125 0.3 0.6\n1 0.6 0.2 0.9 0.25 0.95 0.7 0.7 0.9 0.55 0.5\n',
  );
  return dir;
}

describe('YOLO-seg', () => {
  it('is detected, and YOLO-seg → SegKit → YOLO-seg keeps the polygons and their masks', async () => {
    const src = await yoloSeg();
    expect(detectFormat(src)).toBe('yolo-seg');
    const ds = await readDataset(src);
    expect(ds.categories.map((c) => c.name)).toEqual(['person', 'bike']);
    const out = join(tmp(), 'y');
    await writeDataset(ds, out, 'yolo-seg');
    const parse = (f: string) =>
      readFileSync(f, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(' ').map(Number));
    const a = parse(join(src, 'labels/p.txt'));
    const b = parse(join(out, 'labels/p.txt'));
    expect(b.length).toBe(a.length);
    for (const [i, row] of b.entries())
      for (const [j, v] of row.entries()) expect(v).toBeCloseTo(a[i]![j]!, 6);
    const back = await readDataset(out);
    back.annotations.forEach((ann, i) => {
      const img = back.images[0]!;
      expect(
        masksEqual(
          segmentationToMask(ann.segmentation!, img),
          segmentationToMask(ds.annotations[i]!.segmentation!, img),
        ),
      ).toBe(true);
    });
  });

  it('writes one polygon per part; holes cannot be expressed and are counted', async () => {
    const ds = await readDataset(await maskFolderDataset());
    const out = join(tmp(), 'y');
    await writeDataset(ds, out, 'yolo-seg');
    const lines = readFileSync(join(out, 'labels/a.txt'), 'utf8').trim().split('\n');
    expect(lines.filter((l) => l.startsWith('1 '))).toHaveLength(2); // dog: two parts → two polygons
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.holesDropped).toBe(1); // the ring
    // The two-part mask survives YOLO-seg exactly.
    const back = await readDataset(out);
    const img = back.images.find((i) => i.file === 'a.png')!;
    const dog = back.annotations.filter((x) => x.imageId === img.id && x.categoryId === 1);
    const { union } = await import('@segkit/core');
    const m = dog.map((x) => segmentationToMask(x.segmentation!, img)).reduce((p, q) => union(p, q));
    expect(masksEqual(m, shapes.twoParts)).toBe(true);
  });
});

describe('YOLO detection', () => {
  it('reads boxes with class names from data.yaml and writes them back', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'images'));
    mkdirSync(join(dir, 'labels'));
    await writePhoto(join(dir, 'images/q.png'));
    writeFileSync(join(dir, 'data.yaml'), 'names: [car, tree]\n');
    writeFileSync(join(dir, 'labels/q.txt'), '1 0.5 0.5 0.25 0.5\n');
    expect(detectFormat(dir)).toBe('yolo');
    const ds = await readDataset(dir);
    expect(ds.annotations[0]).toMatchObject({ categoryId: 1, bbox: [24, 12, 16, 24] });
    const out = join(tmp(), 'det');
    await writeDataset(ds, out, 'yolo');
    expect(readFileSync(join(out, 'labels/q.txt'), 'utf8')).toBe('1 0.5 0.5 0.25 0.5\n');
    expect(W * H).toBeGreaterThan(0);
  });

  it('reports bad label lines with file and line number', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'images'));
    mkdirSync(join(dir, 'labels'));
    await writePhoto(join(dir, 'images/q.png'));
    writeFileSync(join(dir, 'data.yaml'), 'names: [car]\n');
    writeFileSync(join(dir, 'labels/q.txt'), '0 0.5 0.5 0.2 0.2\n3 0.5 0.5 0.2 0.2\n0 0.1 0.2\n');
    await expect(readDataset(dir)).rejects.toMatchObject({
      code: 'E_DATASET_INVALID',
      message: expect.stringMatching(
        /labels\/q\.txt line 2: class 3 is not in data\.yaml.*labels\/q\.txt line 3: expected/,
      ),
    });
  });
});

describe('masks folder', () => {
  it('reads one annotation per (image, label), with the label from the folder', async () => {
    const ds = await readDataset(await maskFolderDataset());
    expect(ds.categories.map((c) => c.name)).toEqual(['cat', 'dog']);
    expect(ds.annotations).toHaveLength(3);
    const ring = ds.annotations.find((a) => a.area === 336)!;
    expect(iou(segmentationToMask(ring.segmentation!, ds.images[0]!), shapes.ring)).toBe(1);
  });
});
