import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadImage, readMask } from '@segkit/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { cli, example, tmp } from './helpers.js';

const photo = example('coffee.png');
const cup = example('coffee-cup.mask.png');

describe('segkit cutout', () => {
  it('writes an RGBA PNG whose alpha is the mask', async () => {
    const out = join(tmp(), 'cup.png');
    const r = await cli('cutout', photo, cup, '-o', out);
    expect(r.code).toBe(0);
    const meta = await sharp(out).metadata();
    expect(meta).toMatchObject({ width: 600, height: 400, channels: 4, format: 'png' });
    const alpha = await sharp(out).extractChannel(3).raw().toBuffer();
    const mask = await readMask(cup);
    expect(alpha.every((a, i) => (a === 255) === (mask.data[i] === 1))).toBe(true);
  });

  it('crops to the mask with --crop', async () => {
    const out = join(tmp(), 'cup.png');
    await cli('cutout', photo, cup, '--crop', '-o', out);
    expect(await sharp(out).metadata()).toMatchObject({ width: 240, height: 283 });
  });

  it('refuses a JPEG output (no transparency) and a mask of the wrong size', async () => {
    const dir = tmp();
    expect((await cli('cutout', photo, cup, '-o', join(dir, 'x.jpg'))).stderr).toMatch(
      /^segkit: E_INVALID_ARGUMENT: /,
    );
    const small = join(dir, 'small.png');
    await sharp({ create: { width: 10, height: 10, channels: 3, background: '#fff' } })
      .png()
      .toFile(small);
    const r = await cli('cutout', photo, small, '-o', join(dir, 'out.png'));
    expect(r.stderr).toBe(
      'segkit: E_MASK_SIZE_MISMATCH: The mask and the image differ in size: 10×10 vs 600×400\n',
    );
    expect(existsSync(join(dir, 'out.png'))).toBe(false);
  });

  it('refuses an image over --max-pixels', async () => {
    const r = await cli('cutout', photo, cup, '--max-pixels', '1000', '-o', join(tmp(), 'o.png'));
    expect(r.stderr).toMatch(/^segkit: E_IMAGE_TOO_LARGE: .*600×400/);
  });
});

describe('segkit overlay', () => {
  it('draws several masks in palette order and writes JPEG or PNG by extension', async () => {
    const dir = tmp();
    const saucer = join(dir, 'saucer.png');
    // A second mask: a band under the cup.
    const raw = Buffer.alloc(600 * 400);
    for (let y = 300; y < 360; y++) raw.fill(255, y * 600 + 120, y * 600 + 470);
    await sharp(raw, { raw: { width: 600, height: 400, channels: 1 } })
      .png()
      .toFile(saucer);
    const out = join(dir, 'ov.jpg');
    const r = await cli('overlay', photo, cup, saucer, '--label', 'cup', '--label', 'saucer', '-o', out);
    expect(r.code).toBe(0);
    expect((await sharp(out).metadata()).format).toBe('jpeg');
    const png = join(dir, 'ov.png');
    await cli('overlay', photo, cup, saucer, '--alpha', '0.8', '--no-outline', '-o', png);
    const img = await loadImage(png);
    const orig = await loadImage(photo);
    const at = (im: { data: Uint8Array }, x: number, y: number) =>
      Array.from(im.data.subarray((y * 600 + x) * 3, (y * 600 + x) * 3 + 3));
    // Inside the cup: mostly palette colour 0 (blue); inside the band: colour 1 (orange); outside: unchanged.
    expect(at(img, 290, 240)[2]!).toBeGreaterThan(at(img, 290, 240)[0]!);
    expect(at(img, 300, 340)[0]!).toBeGreaterThan(at(img, 300, 340)[2]!);
    expect(at(img, 20, 380)).toEqual(at(orig, 20, 380));
  });

  it('rejects a bad alpha, too many labels and an unknown output type, writing nothing', async () => {
    const dir = tmp();
    expect((await cli('overlay', photo, cup, '--alpha', '1.5', '-o', join(dir, 'o.png'))).stderr).toMatch(
      /^segkit: E_USAGE: --alpha/,
    );
    expect(
      (await cli('overlay', photo, cup, '--label', 'a', '--label', 'b', '-o', join(dir, 'o.png'))).stderr,
    ).toMatch(/^segkit: E_USAGE: 2 --label/);
    expect((await cli('overlay', photo, cup, '-o', join(dir, 'o.bmp'))).stderr).toMatch(
      /^segkit: E_INVALID_ARGUMENT: Cannot tell the image format/,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('needs at least one mask', async () => {
    expect((await cli('overlay', photo, '-o', 'x.png')).stderr).toMatch(
      /^segkit: E_USAGE: Missing argument <mask.png>/,
    );
  });
});
