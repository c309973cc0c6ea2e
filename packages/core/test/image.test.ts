import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadImage } from '../src/index.js';

const coffee = new URL('../../../examples/coffee.png', import.meta.url).pathname;

describe('loadImage', () => {
  it('decodes to 8-bit RGB', async () => {
    const img = await loadImage(coffee);
    expect(img).toMatchObject({ width: 600, height: 400, channels: 3 });
    expect(img.data.length).toBe(600 * 400 * 3);
  });

  it('applies the EXIF orientation', async () => {
    // A 4×2 image, left half red and right half blue, stored with orientation 6 (rotate 90° clockwise to view).
    const raw = Buffer.alloc(4 * 2 * 3);
    for (let y = 0; y < 2; y++)
      for (let x = 0; x < 4; x++) raw.set(x < 2 ? [255, 0, 0] : [0, 0, 255], (y * 4 + x) * 3);
    const jpeg = await sharp(raw, { raw: { width: 4, height: 2, channels: 3 } })
      .withMetadata({ orientation: 6 })
      .png()
      .toBuffer();
    const img = await loadImage(jpeg);
    expect([img.width, img.height]).toEqual([2, 4]);
    expect(Array.from(img.data.subarray(0, 3))).toEqual([255, 0, 0]); // top row is the former left (red)
    expect(Array.from(img.data.subarray(img.data.length - 3))).toEqual([0, 0, 255]);
  });

  it('refuses images over the pixel limit before decoding, with a hint', async () => {
    await expect(loadImage(coffee, { maxPixels: 100_000 })).rejects.toMatchObject({
      code: 'E_IMAGE_TOO_LARGE',
      message: expect.stringContaining('600×400'),
    });
  });

  it('refuses a huge image by its header alone (the 100 MP default)', async () => {
    const huge = await sharp({ create: { width: 12000, height: 9000, channels: 3, background: '#000' } })
      .png({ compressionLevel: 1 })
      .toBuffer();
    await expect(loadImage(huge)).rejects.toMatchObject({ code: 'E_IMAGE_TOO_LARGE' });
  });

  it('rejects a truncated JPEG and a non-image', async () => {
    const jpeg = await sharp(readFileSync(coffee)).jpeg().toBuffer();
    await expect(loadImage(jpeg.subarray(0, jpeg.length >> 1))).rejects.toMatchObject({
      code: 'E_IMAGE_DECODE',
    });
    await expect(loadImage(Buffer.from('%PDF-1.4 not an image'))).rejects.toMatchObject({
      code: 'E_IMAGE_UNSUPPORTED',
    });
    await expect(loadImage(42 as never)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
  });
});
