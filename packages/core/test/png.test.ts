import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodeMaskPng, readMask, writeMask } from '../src/index.js';
import { ringAndParts } from './helpers/arbitraries.js';
import { encodePng } from './helpers/png-encoder.js';

const bits = (m: { data: Uint8Array }) => Array.from(m.data);

describe('readMask', () => {
  it.each([
    [1, [0, 1, 0, 1], [0, 1, 0, 1]],
    [2, [0, 1, 2, 3], [0, 0, 1, 1]], // 85 < 128 ≤ 170
    [4, [0, 7, 8, 15], [0, 0, 1, 1]], // 119 < 128 ≤ 136
    [8, [0, 127, 128, 255], [0, 0, 1, 1]],
    [16, [0, 32767, 32896, 65535], [0, 0, 1, 1]],
  ] as const)('reads %i-bit greyscale with the ≥128 rule', (bitDepth, samples, expected) => {
    const png = encodePng({ width: 4, height: 1, bitDepth, colour: 'grey', samples });
    return readMask(png).then((m) => expect(bits(m)).toEqual(expected));
  });

  it('uses alpha for RGBA and grey+alpha masks', async () => {
    const rgba = encodePng({
      width: 3,
      height: 1,
      bitDepth: 8,
      colour: 'rgba',
      samples: [0, 0, 0, 255, 0, 0, 0, 127, 0, 0, 0, 128],
    });
    expect(bits(await readMask(rgba))).toEqual([1, 0, 1]);
    const ga = encodePng({
      width: 2,
      height: 1,
      bitDepth: 16,
      colour: 'grey-alpha',
      samples: [0, 65535, 65535, 0],
    });
    expect(bits(await readMask(ga))).toEqual([1, 0]);
  });

  it('uses colour when an RGBA mask is fully opaque, and counts coloured pixels in RGB and palette masks', async () => {
    const opaque = encodePng({
      width: 2,
      height: 1,
      bitDepth: 8,
      colour: 'rgba',
      samples: [255, 255, 255, 255, 0, 0, 0, 255],
    });
    expect(bits(await readMask(opaque))).toEqual([1, 0]);
    const rgb = encodePng({
      width: 3,
      height: 1,
      bitDepth: 8,
      colour: 'rgb',
      samples: [200, 0, 0, 0, 0, 0, 0, 0, 130],
    });
    expect(bits(await readMask(rgb))).toEqual([1, 0, 1]);
    const pal = encodePng({
      width: 3,
      height: 1,
      bitDepth: 2,
      colour: 'palette',
      samples: [0, 1, 2],
      palette: [
        [0, 0, 0],
        [255, 255, 255],
        [0, 140, 0],
      ],
    });
    expect(bits(await readMask(pal))).toEqual([0, 1, 1]);
  });

  it('rejects a truncated PNG, garbage and an empty file with E_IMAGE_DECODE / E_IMAGE_UNSUPPORTED', async () => {
    const good = await encodeMaskPng(ringAndParts());
    await expect(readMask(good.subarray(0, 40))).rejects.toMatchObject({ code: 'E_IMAGE_DECODE' });
    await expect(readMask(new Uint8Array(0))).rejects.toMatchObject({ code: 'E_IMAGE_DECODE' });
    await expect(readMask(Buffer.from('definitely not a png'))).rejects.toMatchObject({
      code: 'E_IMAGE_UNSUPPORTED',
    });
  });

  it('rejects a missing file with E_FILE_NOT_FOUND', async () => {
    await expect(readMask('/nonexistent/mask.png')).rejects.toMatchObject({ code: 'E_FILE_NOT_FOUND' });
  });

  it('rejects a mask over the pixel limit', async () => {
    const png = encodePng({
      width: 10,
      height: 10,
      bitDepth: 8,
      colour: 'grey',
      samples: new Array(100).fill(0),
    });
    await expect(readMask(png, { maxPixels: 99 })).rejects.toMatchObject({ code: 'E_IMAGE_TOO_LARGE' });
  });
});

describe('writeMask', () => {
  it('writes a single-channel 8-bit PNG with values {0, 255} that reads back exactly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segkit-'));
    const path = join(dir, 'm.png');
    const m = ringAndParts();
    await writeMask(path, m);
    const meta = await sharp(path).metadata();
    expect(meta).toMatchObject({ channels: 1, depth: 'uchar', width: 12, height: 10, format: 'png' });
    const raw = await sharp(readFileSync(path)).extractChannel(0).raw().toBuffer();
    expect(new Set(raw)).toEqual(new Set([0, 255]));
    expect(bits(await readMask(path))).toEqual(bits(m));
    expect(readdirSync(dir)).toEqual(['m.png']);
  });
});
