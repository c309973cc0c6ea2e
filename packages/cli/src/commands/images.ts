import { DEFAULT_MAX_PIXELS, loadImage, readMask } from '@segkit/core';
import type { Io, OptionSpec, OptionValues } from '../command.js';
import { numberOption } from '../command.js';

/** The `--max-pixels` option shared by every command that decodes photos. */
export const maxPixelsOption: Record<string, OptionSpec> = {
  'max-pixels': {
    type: 'string',
    valueName: 'N',
    default: String(DEFAULT_MAX_PIXELS),
    description: 'Refuse images with more pixels than this',
  },
};

/** The `--max-pixels` value (default 100 MP). */
export const maxPixelsFrom = (options: OptionValues): number =>
  numberOption(options, 'max-pixels', DEFAULT_MAX_PIXELS, 1);

/** Reads a mask file named on the command line; a file that looks like a photo gets a warning on stderr. */
export const readMaskArg = (io: Io, path: string, maxPixels?: number) =>
  readMask(path, {
    ...(maxPixels !== undefined ? { maxPixels } : {}),
    onWarning: (m) => io.stderr(`segkit: warning: ${m}\n`),
  });

/** Loads the image and masks named on the command line, applying `--max-pixels`. */
export async function loadImageAndMasks(
  io: Io,
  options: OptionValues,
  imagePath: string,
  maskPaths: string[],
) {
  const maxPixels = maxPixelsFrom(options);
  const image = await loadImage(imagePath, { maxPixels });
  const masks = await Promise.all(maskPaths.map((p) => readMaskArg(io, p, maxPixels)));
  return { image, masks };
}
