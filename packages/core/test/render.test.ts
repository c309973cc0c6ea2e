import { describe, expect, it } from 'vitest';
import {
  cutout,
  loadImage,
  maskFromFunction,
  overlay,
  paletteColor,
  panel,
  placeLabels,
  type RawImage,
  readMask,
} from '../src/index.js';

const grey = (w: number, h: number, v = 100): RawImage => ({
  width: w,
  height: h,
  channels: 3,
  data: new Uint8Array(w * h * 3).fill(v),
});
const px = (img: RawImage, x: number, y: number) =>
  Array.from(img.data.subarray((y * img.width + x) * img.channels, (y * img.width + x + 1) * img.channels));

describe('palette', () => {
  it('is deterministic and distinct for the first 30 indices', () => {
    expect(paletteColor(3)).toEqual(paletteColor(3));
    const set = new Set(Array.from({ length: 30 }, (_, i) => paletteColor(i).join(',')));
    expect(set.size).toBe(30);
  });
});

describe('overlay', () => {
  const img = grey(20, 10);
  const left = maskFromFunction(20, 10, (x) => x < 10);
  const right = maskFromFunction(20, 10, (x) => x >= 10);

  it('blends segment k with palette colour k at the given alpha and outlines it', async () => {
    const out = await overlay(img, [left, right], { alpha: 0.5 });
    const [r0, g0, b0] = paletteColor(0);
    expect(px(out, 5, 5)).toEqual([r0, g0, b0].map((c) => Math.round(100 * 0.5 + c * 0.5)));
    expect(px(out, 9, 5)).toEqual(paletteColor(0)); // boundary pixel in full colour
    expect(px(out, 15, 5)).not.toEqual(px(out, 5, 5));
  });

  it('keeps the outline visible on an object of the overlay colour itself: a contrasting halo outside it', async () => {
    const colour = paletteColor(0);
    const object = maskFromFunction(40, 30, (x, y) => x >= 10 && x < 30 && y >= 8 && y < 22);
    const photo: RawImage = {
      width: 40,
      height: 30,
      channels: 3,
      data: new Uint8Array(40 * 30 * 3).fill(128),
    };
    for (let i = 0; i < 40 * 30; i++) if (object.data[i]) photo.data.set(colour, i * 3);
    const out = await overlay(photo, [object]);
    const distance = (a: number[], b: number[]) => Math.hypot(...a.map((v, i) => v - b[i]!));
    // Just outside the left edge, the halo stands out from both the object's colour and the background.
    expect(distance(px(out, 9, 15), colour)).toBeGreaterThan(150);
    expect(distance(px(out, 9, 15), [128, 128, 128])).toBeGreaterThan(150);
    expect(px(out, 5, 15)).toEqual([128, 128, 128]); // further out, untouched
  });

  it('places labels so that they do not cover each other', () => {
    const boxes = Array.from({ length: 6 }, () => ({ x: 50, y: 40, w: 60, h: 16 }));
    const placed = placeLabels(boxes, 200, 150);
    for (const [i, a] of placed.entries()) {
      expect(a.x).toBeGreaterThanOrEqual(0);
      expect(a.y + a.h).toBeLessThanOrEqual(150);
      for (const b of placed.slice(i + 1))
        expect(a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y).toBe(true);
    }
    expect(placed[0]).toEqual(boxes[0]); // a free spot is kept as wanted
  });

  it('gives the same colours for the same segment order every time', async () => {
    const a = await overlay(img, [left, right]);
    const b = await overlay(img, [left, right]);
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
  });

  it('draws labels', async () => {
    const big = grey(200, 100);
    const m = maskFromFunction(200, 100, (x, y) => x > 50 && y > 40);
    const plain = await overlay(big, [m], { outline: false });
    const labelled = await overlay(big, [m], { outline: false, labels: ['cup'] });
    let changed = 0;
    for (let i = 0; i < plain.data.length; i++) if (plain.data[i] !== labelled.data[i]) changed++;
    expect(changed).toBeGreaterThan(50);
  });

  it('rejects a mask whose size differs from the image', async () => {
    await expect(overlay(img, [maskFromFunction(10, 10, () => true)])).rejects.toMatchObject({
      code: 'E_MASK_SIZE_MISMATCH',
    });
  });

  it('rejects alpha outside 0..1', async () => {
    await expect(overlay(img, [left], { alpha: 2 })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
  });
});

describe('cutout', () => {
  it('keeps RGB and puts the mask in alpha', async () => {
    const photo = await loadImage(new URL('../../../examples/coffee.png', import.meta.url).pathname);
    const mask = await readMask(new URL('../../../examples/coffee-cup.mask.png', import.meta.url).pathname);
    const out = cutout(photo, mask);
    expect(out.channels).toBe(4);
    let mismatches = 0;
    for (let i = 0; i < mask.data.length; i++)
      if ((out.data[i * 4 + 3] === 255) !== (mask.data[i] === 1)) mismatches++;
    expect(mismatches).toBe(0);
    expect(px(out, 300, 150).slice(0, 3)).toEqual(px(photo, 300, 150));
    const cropped = cutout(photo, mask, { crop: true });
    expect([cropped.width, cropped.height]).toEqual([240, 283]);
  });
  it('rejects a size mismatch', () => {
    expect(() =>
      cutout(
        grey(4, 4),
        maskFromFunction(5, 4, () => true),
      ),
    ).toThrow(expect.objectContaining({ code: 'E_MASK_SIZE_MISMATCH' }));
  });
});

describe('panel', () => {
  it('lays tiles side by side at a common height with a caption band', async () => {
    const a = grey(40, 20, 0);
    const m = maskFromFunction(20, 10, (x) => x < 5);
    const out = await panel(
      [
        { image: a, caption: 'Original' },
        { image: m, caption: 'GT' },
        { image: m, caption: 'Prediction' },
      ],
      { height: 20, gap: 4 },
    );
    expect(out.height).toBeGreaterThan(20);
    expect(out.width).toBe(40 + 40 + 40 + 4 * 4);
    // The first tile's pixels are black, below the caption band.
    expect(px(out, 10, out.height - 10)).toEqual([0, 0, 0]);
  });
  it('needs at least one tile', async () => {
    await expect(panel([])).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
  });
});
