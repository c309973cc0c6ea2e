import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  checkOutputs,
  formatFromPath,
  loadImage,
  overlay,
  writeFileAtomic,
  writeImage,
  writeMask,
} from '@segkit/core';
import { segmentPanoptic, slug } from '@segkit/models';
import { defineCommand, numberOption, requireOption } from '../command.js';
import { jsonOption, printResult } from '../util.js';
import { maxPixelsFrom, maxPixelsOption } from './images.js';

export const panopticCommand = defineCommand({
  name: 'panoptic',
  description: 'Panoptic segmentation (DETR, COCO panoptic labels): one mask per thing and per stuff class.',
  positionals: [{ name: 'image', description: 'The photo' }],
  options: {
    output: {
      type: 'string',
      short: 'o',
      valueName: 'DIR',
      description: 'Output folder for <k>-<label>.png and segments.json (required)',
    },
    model: {
      type: 'string',
      valueName: 'NAME|REPO|DIR',
      description: 'DETR panoptic model (default: detr-panoptic)',
    },
    threshold: {
      type: 'string',
      valueName: 'T',
      default: '0.85',
      description: 'Minimum class score of a segment',
    },
    ...jsonOption,
    overlay: {
      type: 'string',
      valueName: 'out.jpg',
      description: 'Also draw the labelled segments over the image',
    },
    ...maxPixelsOption,
  },
  examples: [
    'segkit models pull detr-panoptic',
    'segkit panoptic street.jpg -o out/ --overlay out/overlay.jpg --json',
  ],
  async run({ positionals, options, io }) {
    const out = requireOption(options, 'output', 'segkit panoptic');
    if (typeof options.overlay === 'string') formatFromPath(options.overlay);
    checkOutputs({ dirs: [out], files: [options.overlay as string | undefined] });
    const image = await loadImage(positionals[0]!, { maxPixels: maxPixelsFrom(options) });
    const segments = await segmentPanoptic(image, {
      threshold: numberOption(options, 'threshold', 0.85, 0, 1),
      ...(typeof options.model === 'string' ? { model: options.model } : {}),
    });
    await mkdir(out, { recursive: true });
    const rows: {
      file: string;
      label: string;
      labelId: number;
      isThing: boolean;
      score: number;
      bbox: number[];
      area: number;
    }[] = [];
    for (const [k, s] of segments.entries()) {
      const file = join(out, `${k}-${slug(s.label)}.png`);
      await writeMask(file, s.mask);
      rows.push({
        file,
        label: s.label,
        labelId: s.labelId,
        isThing: s.isThing,
        score: Number(s.score.toFixed(4)),
        bbox: s.bbox,
        area: s.area,
      });
    }
    await writeFileAtomic(join(out, 'segments.json'), `${JSON.stringify(rows, null, 2)}\n`);
    if (typeof options.overlay === 'string') {
      await writeImage(
        options.overlay,
        await overlay(
          image,
          segments.map((s) => ({ mask: s.mask, label: s.label })),
          { labels: true },
        ),
      );
    }
    printResult(io, options, rows, () =>
      rows
        .map((r) => `${r.file}: ${r.label}${r.isThing ? '' : ' (stuff)'}, score ${r.score}, area ${r.area}\n`)
        .join(''),
    );
    io.stderr(`wrote ${segments.length} segments to ${out}\n`);
  },
});
