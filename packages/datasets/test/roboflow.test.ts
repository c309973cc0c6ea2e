import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { masksEqual, maskToRle } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import { buildManifest, detectFormat, readDataset, segmentationToMask, writeDataset } from '../src/index.js';
import { H, shapes, tmp, W, writePhoto } from './helpers/generate.js';

async function roboflow(): Promise<string> {
  const dir = tmp();
  const splits: [string, { id: number; name: string }[]][] = [
    [
      'train',
      [
        { id: 0, name: 'cracks' },
        { id: 1, name: 'crack' },
      ],
    ],
    [
      'valid',
      [
        { id: 0, name: 'cracks' },
        { id: 1, name: 'crack' },
        { id: 2, name: 'spall' },
      ],
    ],
  ];
  for (const [folder, categories] of splits) {
    mkdirSync(join(dir, folder));
    await writePhoto(join(dir, folder, 'img.png'), folder.length);
    const annotations = [
      {
        id: 1,
        image_id: 1,
        category_id: categories.length - 1,
        bbox: [4, 4, 20, 20],
        area: 336,
        iscrowd: 0,
        segmentation: maskToRle(shapes.ring),
      },
    ];
    writeFileSync(
      join(dir, folder, '_annotations.coco.json'),
      JSON.stringify({
        images: [{ id: 1, file_name: 'img.png', width: W, height: H }],
        categories,
        annotations,
      }),
    );
  }
  return dir;
}

describe('Roboflow COCO-segmentation layout', () => {
  it('reads train/ and valid/ as one dataset with splits, renumbered ids and categories unified by name', async () => {
    const dir = await roboflow();
    expect(detectFormat(dir)).toBe('coco');
    const ds = await readDataset(dir);
    expect(ds.images.map((i) => [i.id, i.file, i.split])).toEqual([
      [1, 'train/img.png', 'train'],
      [2, 'valid/img.png', 'val'],
    ]);
    expect(ds.categories.map((c) => [c.id, c.name])).toEqual([
      [0, 'cracks'],
      [1, 'crack'],
      [2, 'spall'],
    ]);
    expect(ds.annotations.map((a) => [a.id, a.imageId, a.categoryId])).toEqual([
      [1, 1, 1],
      [2, 2, 2],
    ]);
    expect(masksEqual(segmentationToMask(ds.annotations[1]!.segmentation!, ds.images[1]!), shapes.ring)).toBe(
      true,
    );
    expect(buildManifest(ds).map((r) => r.split)).toEqual(['train', 'val']);
    const out = join(tmp(), 'coco');
    await writeDataset(ds, out, 'coco');
    expect((await readDataset(out)).images.map((i) => i.file)).toEqual(['train/img.png', 'valid/img.png']);
    // Flattening both img.png files into masks/<label>/img.png would overwrite one: refused, nothing written.
    const flat = join(tmp(), 'masks');
    await expect(writeDataset(ds, flat, 'masks')).rejects.toMatchObject({
      code: 'E_DATASET_INVALID',
      message: expect.stringContaining('share the name img'),
    });
    const { existsSync } = await import('node:fs');
    expect(existsSync(flat)).toBe(false);
  });
});
