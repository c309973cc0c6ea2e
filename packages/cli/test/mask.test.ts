import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { masksEqual, maskToPolygons, polygonsToMask, readMask, rleToMask, writeMask } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import { cli, example, tmp } from './helpers.js';

const cup = example('coffee-cup.mask.png');

describe('segkit mask rle / decode', () => {
  it('prints {"size":[h,w],"counts":"..."} that decodes to the same mask', async () => {
    const r = await cli('mask', 'rle', cup);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\{"size":\[400,600\],"counts":"[0-o]+"\}\n$/);
    expect(masksEqual(rleToMask(JSON.parse(r.stdout)), await readMask(cup))).toBe(true);
  });

  it('round-trips through decode to an identical PNG mask', async () => {
    const dir = tmp();
    const rleFile = join(dir, 'cup.rle.json');
    writeFileSync(rleFile, (await cli('mask', 'rle', cup)).stdout);
    const out = join(dir, 'back.png');
    const r = await cli('mask', 'decode', rleFile, '-o', out);
    expect(r.code).toBe(0);
    expect(masksEqual(await readMask(out), await readMask(cup))).toBe(true);
  });

  it('decode accepts uncompressed counts and a COCO annotation with a segmentation field', async () => {
    const dir = tmp();
    const f = join(dir, 'ann.json');
    writeFileSync(f, JSON.stringify({ id: 1, segmentation: { size: [2, 3], counts: [2, 3, 1] } }));
    expect((await cli('mask', 'decode', f, '-o', join(dir, 'm.png'))).code).toBe(0);
    expect(Array.from((await readMask(join(dir, 'm.png'))).data)).toEqual([0, 1, 1, 0, 1, 0]);
  });

  it('rejects an RLE whose counts do not sum to h×w, writing nothing', async () => {
    const dir = tmp();
    const f = join(dir, 'bad.json');
    writeFileSync(f, JSON.stringify({ size: [10, 10], counts: [5, 5] }));
    const r = await cli('mask', 'decode', f, '-o', join(dir, 'm.png'));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('segkit: E_RLE_INVALID: RLE counts sum to 10 but size 10×10 needs 100\n');
    expect(readdirSync(dir)).toEqual(['bad.json']);
  });

  it('rejects invalid JSON and JSON of the wrong shape', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'a.json'), '{not json');
    writeFileSync(join(dir, 'b.json'), '[1,2]');
    expect((await cli('mask', 'decode', join(dir, 'a.json'), '-o', join(dir, 'm.png'))).stderr).toMatch(
      /^segkit: E_JSON_INVALID: /,
    );
    expect((await cli('mask', 'decode', join(dir, 'b.json'), '-o', join(dir, 'm.png'))).stderr).toMatch(
      /^segkit: E_JSON_INVALID: /,
    );
  });

  it('requires -o', async () => {
    const r = await cli('mask', 'decode', 'x.json');
    expect(r).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^segkit: E_USAGE: Missing required option --output/),
    });
  });
});

describe('segkit mask polygons', () => {
  it('prints tagged flat polygons that rebuild the mask exactly, holes included', async () => {
    const dir = tmp();
    const ringPath = join(dir, 'ring.png');
    const ring = { width: 20, height: 20, data: new Uint8Array(400) };
    for (let y = 2; y < 18; y++)
      for (let x = 2; x < 18; x++) ring.data[y * 20 + x] = x > 6 && x < 13 && y > 6 && y < 13 ? 0 : 1;
    await writeMask(ringPath, ring);
    const r = await cli('mask', 'polygons', ringPath);
    const polys = JSON.parse(r.stdout);
    expect(polys.map((p: { type: string }) => p.type)).toEqual(['outer', 'hole']);
    expect(polys[0].points).toEqual([2, 2, 2, 18, 18, 18, 18, 2]);
    expect(masksEqual(polygonsToMask(polys, 20, 20), ring)).toBe(true);
  });

  it('simplifies with --tolerance', async () => {
    const exact = JSON.parse((await cli('mask', 'polygons', cup)).stdout);
    const simple = JSON.parse((await cli('mask', 'polygons', cup, '--tolerance', '1')).stdout);
    expect(simple[0].points.length).toBeLessThan(exact[0].points.length);
    expect(exact).toEqual(maskToPolygons(await readMask(cup)));
  });

  it('rejects a bad tolerance', async () => {
    const r = await cli('mask', 'polygons', cup, '--tolerance', 'abc');
    expect(r).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^segkit: E_USAGE: --tolerance must be a number/),
    });
  });
});

describe('segkit mask info', () => {
  it('prints width, height, area, bbox and components', async () => {
    const r = await cli('mask', 'info', cup);
    expect(JSON.parse(r.stdout)).toEqual({
      width: 600,
      height: 400,
      area: 51068,
      bbox: [173, 19, 240, 283],
      components: 1,
    });
  });

  it('reports a truncated PNG and a missing file on one line', async () => {
    const dir = tmp();
    const { readFileSync } = await import('node:fs');
    writeFileSync(join(dir, 't.png'), readFileSync(cup).subarray(0, 200));
    const t = await cli('mask', 'info', join(dir, 't.png'));
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/^segkit: E_IMAGE_DECODE: Cannot decode .*t\.png: .+\n$/);
    const m = await cli('mask', 'info', join(dir, 'missing.png'));
    expect(m.stderr).toBe(`segkit: E_FILE_NOT_FOUND: File not found: ${join(dir, 'missing.png')}\n`);
  });
});
