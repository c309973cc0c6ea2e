import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decompressRle, masksEqual, maskToRle, readMask } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import { type CocoJson, readCoco, readDataset, segmentationToMask, writeDataset } from '../src/index.js';
import { H, maskFolderDataset, shapes, tmp, W, writePhoto } from './helpers/generate.js';

/** A COCO dataset using every segmentation form: polygons, multi-polygon, uncompressed RLE, compressed RLE, crowd. */
async function cocoDataset(): Promise<string> {
  const dir = tmp();
  mkdirSync(join(dir, 'images'));
  await writePhoto(join(dir, 'images/one.png'), 1);
  await writePhoto(join(dir, 'images/two.png'), 2);
  const json = {
    images: [
      { id: 10, file_name: 'one.png', width: W, height: H },
      { id: 20, file_name: 'two.png', width: W, height: H },
    ],
    categories: [
      { id: 3, name: 'cat', supercategory: 'animal' },
      { id: 7, name: 'dog' },
    ],
    annotations: [
      {
        id: 1,
        image_id: 10,
        category_id: 3,
        bbox: [8, 30, 12, 12],
        area: 144,
        iscrowd: 0,
        segmentation: [[8, 30, 20, 30, 20, 42, 8, 42]],
      },
      {
        id: 2,
        image_id: 10,
        category_id: 7,
        bbox: [30, 5, 30, 39],
        area: 0,
        iscrowd: 0,
        segmentation: [
          [30, 5, 38, 5, 38, 12, 30, 12],
          [45, 30, 60, 30, 60, 44, 45, 44],
        ],
      },
      {
        id: 3,
        image_id: 20,
        category_id: 3,
        bbox: [4, 4, 20, 20],
        area: 336,
        iscrowd: 0,
        segmentation: maskToRle(shapes.ring, { compressed: false }),
      },
      {
        id: 4,
        image_id: 20,
        category_id: 7,
        bbox: [30, 5, 30, 39],
        area: 266,
        iscrowd: 0,
        segmentation: maskToRle(shapes.twoParts),
      },
      {
        id: 5,
        image_id: 20,
        category_id: 7,
        bbox: [8, 30, 12, 12],
        area: 144,
        iscrowd: 1,
        segmentation: maskToRle(shapes.square),
      },
    ],
  };
  writeFileSync(join(dir, 'annotations.json'), JSON.stringify(json));
  return dir;
}

const masksById = (ds: Awaited<ReturnType<typeof readDataset>>) =>
  new Map(
    ds.annotations.map((a) => [
      a.id,
      segmentationToMask(a.segmentation!, ds.images.find((i) => i.id === a.imageId)!),
    ]),
  );

describe('COCO → SegKit → COCO', () => {
  it('keeps every mask pixel-exact, ids and categories intact', async () => {
    const src = await cocoDataset();
    const ds = await readDataset(src);
    expect(ds.images.map((i) => i.id)).toEqual([10, 20]);
    const out = join(tmp(), 'out');
    await writeDataset(ds, out, 'coco');
    const back = await readDataset(out);
    expect(back.categories).toEqual(ds.categories);
    const a = masksById(ds);
    const b = masksById(back);
    expect([...b.keys()]).toEqual([1, 2, 3, 4, 5]);
    for (const [id, m] of a) expect(masksEqual(b.get(id)!, m), `annotation ${id}`).toBe(true);
    expect(masksEqual(a.get(3)!, shapes.ring)).toBe(true);
    expect(back.annotations.find((x) => x.id === 5)!.iscrowd).toBe(true);
  });

  it('writes a ring and a two-part mask as RLE, a simple mask as one polygon, and everything as RLE with rle: true', async () => {
    const ds = await readDataset(await maskFolderDataset());
    const out = join(tmp(), 'coco');
    await writeDataset(ds, out, 'coco');
    const json = JSON.parse(readFileSync(join(out, 'annotations.json'), 'utf8')) as CocoJson;
    const kind = (name: string, file: string) => {
      const img = json.images.find((i) => i.file_name === file)!;
      const cat = json.categories.find((c) => c.name === name)!;
      const seg = json.annotations.find(
        (x) => x.image_id === img.id && x.category_id === cat.id,
      )!.segmentation;
      return Array.isArray(seg) ? `polygons:${seg.length}` : 'rle';
    };
    expect(kind('cat', 'a.png')).toBe('rle'); // ring: has a hole
    expect(kind('dog', 'a.png')).toBe('rle'); // two parts
    expect(kind('cat', 'b.png')).toBe('polygons:1'); // simple square
    const outRle = join(tmp(), 'coco-rle');
    await writeDataset(ds, outRle, 'coco', { rle: true });
    const all = JSON.parse(readFileSync(join(outRle, 'annotations.json'), 'utf8')) as CocoJson;
    expect(all.annotations.every((x) => !Array.isArray(x.segmentation))).toBe(true);
  });

  it('PNG masks → COCO → PNG masks is pixel-exact', async () => {
    const src = await maskFolderDataset();
    const coco = join(tmp(), 'coco');
    await writeDataset(await readDataset(src), coco, 'coco');
    const back = join(tmp(), 'masks');
    await writeDataset(await readDataset(coco), back, 'masks');
    for (const f of ['cat/a.png', 'cat/b.png', 'dog/a.png']) {
      expect(
        masksEqual(await readMask(join(back, 'masks', f)), await readMask(join(src, 'masks', f))),
        f,
      ).toBe(true);
    }
    expect(readFileSync(join(back, 'images/a.png')).equals(readFileSync(join(src, 'images/a.png')))).toBe(
      true,
    );
  });

  it('writes a manifest.json with counts and the SHA-256 of every file', async () => {
    const out = join(tmp(), 'coco');
    await writeDataset(await readDataset(await maskFolderDataset()), out, 'coco');
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.counts).toEqual({ images: 2, categories: 2, annotations: 3 });
    expect(Object.keys(manifest.files).sort()).toEqual(['annotations.json', 'images/a.png', 'images/b.png']);
    for (const [f, sha] of Object.entries(manifest.files))
      expect(
        createHash('sha256')
          .update(readFileSync(join(out, f)))
          .digest('hex'),
      ).toBe(sha);
  });

  it('refuses to write into an existing directory', async () => {
    const ds = await readDataset(await maskFolderDataset());
    await expect(writeDataset(ds, tmp(), 'coco')).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
  });
});

describe('malformed COCO annotations', () => {
  it('reports every problem together with its JSON path, and writes nothing', async () => {
    const dir = tmp();
    const json = {
      images: [
        { id: 1, file_name: 'a.png', width: 10, height: 10 },
        { id: 1, file_name: 'b.png', width: 10, height: 10 },
      ],
      categories: [{ id: 1, name: 'x' }],
      annotations: [
        { id: 1, image_id: 99, category_id: 1, bbox: [0, 0, 1, 1] },
        { id: 2, image_id: 1, category_id: 5, bbox: [0, 0, 1, 1] },
        { id: 3, image_id: 1, category_id: 1, segmentation: [[0, 0, 5, 5]] },
        { id: 4, image_id: 1, category_id: 1, bbox: [0, 0, 2, 2] },
        { id: 4, image_id: 1, category_id: 1, bbox: [0, 0, 2, 2] },
        { id: 6, image_id: 1, category_id: 1, segmentation: { size: [10, 10], counts: [5, 5] } },
      ],
    };
    writeFileSync(join(dir, 'annotations.json'), JSON.stringify(json));
    const err = await readCoco(join(dir, 'annotations.json')).catch((e) => e);
    expect(err.code).toBe('E_DATASET_INVALID');
    const where = err.problems.map((p: { where: string }) => p.where);
    expect(where).toEqual([
      '$.images[1].id',
      '$.annotations[0].image_id',
      '$.annotations[1].category_id',
      '$.annotations[2].segmentation[0]',
      '$.annotations[4].id',
      '$.annotations[5].segmentation',
    ]);
    expect(err.message).toMatch(/^6 problems: annotations\.json \$\.images\[1\]\.id: duplicate image id 1; /);
    expect(err.message).toContain('polygon has 2 points; at least 3 are needed');
    expect(err.message).toContain('RLE counts sum to 10');
  });

  it('clips a bbox outside its image and counts a warning', async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'annotations.json'),
      JSON.stringify({
        images: [{ id: 1, file_name: 'a.png', width: 10, height: 10 }],
        categories: [{ id: 1, name: 'x' }],
        annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [5, 5, 10, 10] }],
      }),
    );
    const ds = await readCoco(join(dir, 'annotations.json'));
    expect(ds.annotations[0]!.bbox).toEqual([5, 5, 5, 5]);
    expect(ds.warnings).toEqual([
      expect.stringContaining('$.annotations[0].bbox: [5, 5, 10, 10] lies outside the 10×10 image; clipped'),
    ]);
  });

  it('rejects invalid JSON and a file_name that leaves the dataset', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'bad.json'), '{"images": [');
    await expect(readCoco(join(dir, 'bad.json'))).rejects.toMatchObject({ code: 'E_JSON_INVALID' });
    for (const name of ['../secret.png', '/etc/passwd', 'C:/x.png', 'a\\..\\b.png']) {
      writeFileSync(
        join(dir, 'a.json'),
        JSON.stringify({
          images: [{ id: 1, file_name: name, width: 1, height: 1 }],
          categories: [],
          annotations: [],
        }),
      );
      await expect(readCoco(join(dir, 'a.json')), name).rejects.toMatchObject({ code: 'E_UNSAFE_PATH' });
    }
  });

  it('leaves no output directory behind when a conversion fails', async () => {
    const ds = await readDataset(await maskFolderDataset());
    ds.images[0]!.file = 'missing.png';
    const parent = tmp();
    await expect(writeDataset(ds, join(parent, 'out'), 'coco')).rejects.toMatchObject({
      code: 'E_FILE_NOT_FOUND',
    });
    expect(readdirSync(parent)).toEqual([]);
    expect(existsSync(join(parent, 'out'))).toBe(false);
  });
});

describe('uncompressed RLE import', () => {
  it('accepts counts arrays and stores them compressed', async () => {
    const ds = await readDataset(await cocoDataset());
    const ring = ds.annotations.find((a) => a.id === 3)!;
    expect('rle' in ring.segmentation! && typeof ring.segmentation.rle.counts).toBe('string');
    expect(decompressRle((ring.segmentation as { rle: never }).rle).counts).toEqual(
      maskToRle(shapes.ring, { compressed: false }).counts,
    );
  });
});
