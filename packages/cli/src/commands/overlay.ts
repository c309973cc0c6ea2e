import { checkOutputs, formatFromPath, overlay, UsageError, writeImage } from '@segkit/core';
import { defineCommand, numberOption, requireOption } from '../command.js';
import { loadImageAndMasks, maxPixelsOption } from './images.js';

export const overlayCommand = defineCommand({
  name: 'overlay',
  description:
    'Draw one or more masks over an image, colour-coded with a fixed palette (mask k always gets colour k).',
  positionals: [
    { name: 'image', description: 'The photo; EXIF orientation is applied' },
    { name: 'mask.png', description: 'Masks of the same size as the image', variadic: true },
  ],
  options: {
    output: {
      type: 'string',
      short: 'o',
      valueName: 'out.png',
      description: 'Output .png, .jpg or .webp (required)',
    },
    alpha: { type: 'string', valueName: 'A', default: '0.5', description: 'Fill opacity between 0 and 1' },
    'no-outline': { type: 'boolean', description: 'Do not draw mask boundaries' },
    label: {
      type: 'string',
      multiple: true,
      valueName: 'TEXT',
      description: 'Label for the next mask, in order',
    },
    ...maxPixelsOption,
  },
  examples: [
    'segkit overlay examples/coffee.png examples/coffee-cup.mask.png -o overlay.jpg',
    'segkit overlay examples/coffee.png examples/coffee-cup.mask.png --label cup --alpha 0.4 -o overlay.png',
  ],
  async run({ positionals, options, io }) {
    const out = requireOption(options, 'output', 'segkit overlay');
    formatFromPath(out);
    checkOutputs({ files: [out] });
    const alpha = numberOption(options, 'alpha', 0.5, 0, 1);
    const [imagePath, ...maskPaths] = positionals;
    const labels = (options.label as string[] | undefined) ?? [];
    if (labels.length > maskPaths.length) {
      throw new UsageError(`${labels.length} --label values given for ${maskPaths.length} mask(s)`);
    }
    const { image, masks } = await loadImageAndMasks(io, options, imagePath!, maskPaths);
    const result = await overlay(image, masks, {
      alpha,
      outline: options['no-outline'] !== true,
      ...(labels.length ? { labels } : {}),
    });
    await writeImage(out, result);
    io.stderr(`wrote ${out} (${masks.length} mask${masks.length === 1 ? '' : 's'})\n`);
  },
});
