import sharp, { type Metadata } from 'sharp';
import { ImageDecodeError, ImageFormatError, ImageTooLargeError, InvalidArgumentError } from './errors.js';
import { readInput, writeFileAtomic } from './fs.js';
import { toRgb } from './render.js';
import type { RawImage } from './types.js';
import { describe } from './validate.js';

/** Default limit on decoded image size: 100 megapixels. */
export const DEFAULT_MAX_PIXELS = 100_000_000;

/** Options for {@link loadImage}. */
export interface LoadImageOptions {
  /** Refuse images with more pixels than this (default 100 megapixels). */
  maxPixels?: number;
}

/** An image input: a file path or the encoded bytes. */
export type ImageInput = string | Uint8Array;

/** Maps a sharp/libvips failure to a SegKit error. */
export function imageError(e: unknown, source: string): Error {
  const msg = e instanceof Error ? e.message : String(e);
  if (/unsupported image format/i.test(msg)) {
    return new ImageFormatError(`${source} is not a supported image (PNG, JPEG, WebP, TIFF, GIF, AVIF)`);
  }
  if (/pixel limit/i.test(msg)) return new ImageTooLargeError(`${source} exceeds the pixel limit`);
  const detail = msg.split('\n')[0]!.replace(/:\s*$/, '');
  return new ImageDecodeError(`Cannot decode ${source}: ${detail || 'empty input'}`, { cause: e });
}

async function toBytes(input: ImageInput): Promise<{ bytes: Uint8Array; source: string }> {
  if (typeof input === 'string') return { bytes: await readInput(input), source: input };
  if (input instanceof Uint8Array) return { bytes: input, source: 'image buffer' };
  throw new InvalidArgumentError(
    `Expected a file path or Uint8Array for image but received ${describe(input)}`,
  );
}

/** Reads the header and enforces the pixel limit before anything is decoded. */
export async function openImage(input: ImageInput, opts: LoadImageOptions = {}) {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!(maxPixels > 0))
    throw new InvalidArgumentError(`Expected a positive number for maxPixels but received ${maxPixels}`);
  const { bytes, source } = await toBytes(input);
  if (bytes.length === 0) throw new ImageDecodeError(`Cannot decode ${source}: the file is empty`);
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw imageError(e, source);
  }
  const w = meta.width ?? 0;
  const h = meta.height ?? 0;
  if (w * h > maxPixels) {
    throw new ImageTooLargeError(
      `${source} is ${w}×${h} (${((w * h) / 1e6).toFixed(1)} MP), over the limit of ${(maxPixels / 1e6).toFixed(1)} MP; raise maxPixels (--max-pixels) to allow it`,
    );
  }
  const pipeline = sharp(bytes, { limitInputPixels: maxPixels, failOn: 'warning' });
  return { pipeline, source, meta };
}

/**
 * Reads an image's width and height from its header (EXIF orientation applied), without decoding pixels.
 * @example await imageSize('photo.jpg') // { width: 4000, height: 3000 }
 */
export async function imageSize(
  input: ImageInput,
  opts: LoadImageOptions = {},
): Promise<{ width: number; height: number }> {
  const { meta } = await openImage(input, opts);
  const swap = (meta.orientation ?? 1) >= 5;
  return { width: (swap ? meta.height : meta.width) ?? 0, height: (swap ? meta.width : meta.height) ?? 0 };
}

/**
 * Loads an image as 8-bit RGB, with EXIF orientation applied and transparency flattened onto white.
 * Refuses images over `maxPixels` (default 100 MP) with `E_IMAGE_TOO_LARGE` before decoding them.
 *
 * @example const img = await loadImage('photo.jpg'); // { width, height, channels: 3, data }
 */
export async function loadImage(input: ImageInput, opts: LoadImageOptions = {}): Promise<RawImage> {
  const { pipeline, source } = await openImage(input, opts);
  try {
    const { data, info } = await pipeline
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return {
      width: info.width,
      height: info.height,
      channels: 3,
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    };
  } catch (e) {
    throw imageError(e, source);
  }
}

/** Uses a decoded image as it is, or loads a path or encoded bytes with {@link loadImage}. */
export async function toRawImage(
  input: ImageInput | RawImage,
  opts: LoadImageOptions = {},
): Promise<RawImage> {
  if (typeof input === 'object' && input !== null && 'channels' in input && 'data' in input) return input;
  return loadImage(input, opts);
}

/** Output formats {@link encodeImage} writes. */
export type ImageFormat = 'png' | 'jpeg' | 'webp';

/** Picks the output format from a file name's extension (`.png`, `.jpg`/`.jpeg`, `.webp`). */
export function formatFromPath(path: string): ImageFormat {
  const ext = path.toLowerCase().split('.').pop();
  if (ext === 'png') return 'png';
  if (ext === 'jpg' || ext === 'jpeg') return 'jpeg';
  if (ext === 'webp') return 'webp';
  throw new InvalidArgumentError(`Cannot tell the image format of ${path}: use a .png, .jpg or .webp name`);
}

/** Encodes a raw image as PNG, JPEG (quality 90) or WebP. */
export async function encodeImage(image: RawImage, format: ImageFormat = 'png'): Promise<Buffer> {
  const s = sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: image.channels },
  });
  if (format === 'jpeg') return s.jpeg({ quality: 90 }).toBuffer();
  if (format === 'webp') return s.webp({ quality: 90 }).toBuffer();
  return s.png().toBuffer();
}

/**
 * Writes a raw image atomically, in the format its extension names.
 * @example await writeImage('overlay.jpg', await overlay(img, [mask]));
 */
export async function writeImage(path: string, image: RawImage): Promise<void> {
  const format = formatFromPath(path);
  await writeFileAtomic(path, await encodeImage(image, format));
}

/**
 * Resizes an image to exactly `width`×`height` with bilinear filtering (the resampling SAM's processors use), as RGB.
 * @example const square = await resizeImage(photo, 1024, 1024);
 */
export async function resizeImage(image: RawImage, width: number, height: number): Promise<RawImage> {
  const rgb = image.channels === 3 ? image : toRgb(image);
  const { data, info } = await sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data) };
}
