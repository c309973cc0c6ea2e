import sharp, { type OutputInfo } from 'sharp';
import { writeFileAtomic } from './fs.js';
import { type ImageInput, imageError, openImage } from './image.js';
import type { Mask } from './types.js';
import { assertMask } from './validate.js';

/**
 * Reads a mask PNG (or any image) of any bit depth and channel count.
 * A pixel is foreground when its value is ≥ 128 (on the 8-bit scale; 16-bit values are scaled).
 * - Grey: the grey value. RGB or palette: the brightest channel, so coloured masks count.
 * - With an alpha channel that is not fully opaque everywhere: the alpha value.
 *   (A fully opaque RGBA mask carries its mask in the colours, so those are used.)
 * EXIF orientation is not applied: masks are stored in pixel order.
 *
 * @example const mask = await readMask('mask.png'); // { width, height, data: 0/1 bytes }
 */
export async function readMask(
  input: ImageInput,
  opts: { maxPixels?: number; onWarning?: (message: string) => void } = {},
): Promise<Mask> {
  const { pipeline, source } = await openImage(input, opts);
  let raw: { data: Buffer; info: OutputInfo };
  try {
    raw = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw imageError(e, source);
  }
  const { data, info } = raw;
  const { width, height, channels } = info;
  const n = width * height;
  const out = new Uint8Array(n);
  let useAlpha = false;
  if (channels === 2 || channels === 4) {
    for (let i = channels - 1; i < data.length; i += channels) {
      if (data[i] !== 255) {
        useAlpha = true;
        break;
      }
    }
  }
  if (useAlpha) {
    for (let i = 0, j = channels - 1; i < n; i++, j += channels) out[i] = data[j]! >= 128 ? 1 : 0;
  } else {
    const colour = channels === 2 ? 1 : Math.min(channels, 3);
    const levels = new Uint8Array(256);
    let coloured = 0;
    for (let i = 0, j = 0; i < n; i++, j += channels) {
      let v = data[j]!;
      let lo = v;
      for (let c = 1; c < colour; c++) {
        if (data[j + c]! > v) v = data[j + c]!;
        if (data[j + c]! < lo) lo = data[j + c]!;
      }
      if (v - lo > 24) coloured++;
      levels[v] = 1;
      out[i] = v >= 128 ? 1 : 0;
    }
    const distinct = levels.reduce((a, b) => a + b, 0);
    // A mask has two levels (a few more where it is anti-aliased); a photo has many, often in colour.
    if (opts.onWarning && (distinct > 32 || coloured > 0.01 * n))
      opts.onWarning(
        `${source} looks like a photo, not a mask (${distinct} grey levels${coloured > 0.01 * n ? ', in colour' : ''}); its pixels ≥ 128 were taken as the mask`,
      );
  }
  return { width, height, data: out };
}

/** Encodes a mask as a single-channel 8-bit PNG with values 0 and 255. */
export async function encodeMaskPng(mask: Mask): Promise<Buffer> {
  assertMask(mask);
  const grey = new Uint8Array(mask.data.length);
  for (let i = 0; i < grey.length; i++) grey[i] = mask.data[i] ? 255 : 0;
  return sharp(grey, { raw: { width: mask.width, height: mask.height, channels: 1 } })
    .toColourspace('b-w')
    .png({ compressionLevel: 6 })
    .toBuffer();
}

/**
 * Writes a mask as a single-channel 8-bit PNG ({0, 255}), atomically.
 * @example await writeMask('mask.png', mask);
 */
export async function writeMask(path: string, mask: Mask): Promise<void> {
  await writeFileAtomic(path, await encodeMaskPng(mask));
}
