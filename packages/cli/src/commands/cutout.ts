import { checkOutputs, cutout, formatFromPath, InvalidArgumentError, writeImage } from '@segkit/core';
import { defineCommand, requireOption } from '../command.js';
import { loadImageAndMasks, maxPixelsOption } from './images.js';

export const cutoutCommand = defineCommand({
  name: 'cutout',
  description: 'Cut the masked region out of an image as an RGBA PNG whose alpha is the mask.',
  positionals: [
    { name: 'image', description: 'The photo (PNG, JPEG, WebP, TIFF…); EXIF orientation is applied' },
    { name: 'mask.png', description: 'A mask of the same size as the image' },
  ],
  options: {
    output: {
      type: 'string',
      short: 'o',
      valueName: 'out.png',
      description: 'Output PNG or WebP (required)',
    },
    crop: { type: 'boolean', description: "Crop the result to the mask's bounding box" },
    ...maxPixelsOption,
  },
  examples: ['segkit cutout examples/coffee.png examples/coffee-cup.mask.png -o cup.png'],
  async run({ positionals, options, io }) {
    const out = requireOption(options, 'output', 'segkit cutout');
    if (formatFromPath(out) === 'jpeg')
      throw new InvalidArgumentError('A cutout needs transparency: write a .png or .webp');
    checkOutputs({ files: [out] });
    const { image, masks } = await loadImageAndMasks(io, options, positionals[0]!, [positionals[1]!]);
    const result = cutout(image, masks[0]!, { crop: options.crop === true });
    await writeImage(out, result);
    io.stderr(`wrote ${out} (${result.width}×${result.height} RGBA)\n`);
  },
});
