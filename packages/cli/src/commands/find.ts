import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Box,
  checkOutputs,
  formatFromPath,
  loadImage,
  overlay,
  writeFileAtomic,
  writeImage,
  writeMask,
} from '@segkit/core';
import { findAll } from '@segkit/models';
import { defineCommand, numberList, numberOption, requireOption } from '../command.js';
import { jsonOption, printResult } from '../util.js';
import { maxPixelsFrom, maxPixelsOption } from './images.js';

const boxes = (v: unknown, flag: string): Box[] =>
  ((v as string[] | undefined) ?? []).map(
    (b) => numberList(b, flag, { count: 4, what: 'x,y,w,h numbers' }) as Box,
  );

export const findCommand = defineCommand({
  name: 'find',
  description:
    'Find every instance of a concept from a text prompt and/or exemplar boxes (CLIPSeg + SAM + CLIP).',
  positionals: [{ name: 'image', description: 'The photo' }],
  options: {
    text: { type: 'string', valueName: 'TEXT', description: 'What to find' },
    positive: {
      type: 'string',
      multiple: true,
      valueName: 'x,y,w,h',
      description: 'An example of what to find',
    },
    'negative-box': {
      type: 'string',
      multiple: true,
      valueName: 'x,y,w,h',
      description: 'An example of what not to find (--negative is the deprecated old name)',
      aliases: ['negative'],
    },
    threshold: {
      type: 'string',
      valueName: 'S',
      default: '0.25',
      description: 'Minimum score (positive minus negative similarity)',
    },
    max: { type: 'string', valueName: 'N', default: '50', description: 'At most N instances' },
    'min-area': {
      type: 'string',
      valueName: 'PX',
      description: 'Ignore candidate regions under PX pixels (default: 0.1% of the image)',
    },
    'max-candidates': {
      type: 'string',
      valueName: 'N',
      default: '200',
      description: 'Score at most N candidate regions, largest first',
    },
    'segment-model': {
      type: 'string',
      valueName: 'NAME',
      description: 'Segmenter (default: sam if downloaded, else classic)',
    },
    'text-model': { type: 'string', valueName: 'NAME', description: 'CLIPSeg model (default: clipseg)' },
    'embed-model': {
      type: 'string',
      valueName: 'NAME',
      description: 'CLIP embedding model (default: clip)',
      aliases: ['clip-model'],
    },
    output: {
      type: 'string',
      short: 'o',
      valueName: 'DIR',
      description: 'Output folder for <k>.png and instances.json (required)',
    },
    overlay: { type: 'string', valueName: 'out.jpg', description: 'Also draw the instances over the image' },
    ...jsonOption,
    ...maxPixelsOption,
  },
  examples: [
    'segkit find shelf.jpg --text "bottle" --positive 120,40,30,90 --negative-box 300,50,40,40 -o found/ --overlay found.jpg',
  ],
  async run({ positionals, options, io }) {
    const out = requireOption(options, 'output', 'segkit find');
    if (typeof options.overlay === 'string') formatFromPath(options.overlay);
    checkOutputs({ dirs: [out], files: [options.overlay as string | undefined] });
    const image = await loadImage(positionals[0]!, { maxPixels: maxPixelsFrom(options) });
    const found = await findAll(image, {
      ...(typeof options.text === 'string' ? { text: options.text } : {}),
      positiveExemplars: boxes(options.positive, '--positive'),
      negativeExemplars: boxes(options['negative-box'], '--negative-box'),
      threshold: numberOption(options, 'threshold', 0.25, -1, 1),
      maxInstances: numberOption(options, 'max', 50, 1, 10_000),
      ...(options['min-area'] !== undefined ? { minArea: numberOption(options, 'min-area', 0, 1) } : {}),
      maxCandidates: numberOption(options, 'max-candidates', 200, 1, 100_000),
      ...(typeof options['segment-model'] === 'string' ? { segmentModel: options['segment-model'] } : {}),
      ...(typeof options['text-model'] === 'string' ? { textModel: options['text-model'] } : {}),
      ...(typeof options['embed-model'] === 'string' ? { clipModel: options['embed-model'] } : {}),
    });
    await mkdir(out, { recursive: true });
    const rows: { file: string; bbox: Box; score: number; source: string }[] = [];
    for (const [k, f] of found.entries()) {
      const file = join(out, `${k}.png`);
      await writeMask(file, f.mask);
      rows.push({ file, bbox: f.bbox, score: Number(f.score.toFixed(4)), source: f.source });
    }
    await writeFileAtomic(join(out, 'instances.json'), `${JSON.stringify(rows, null, 2)}\n`);
    if (typeof options.overlay === 'string')
      await writeImage(
        options.overlay,
        await overlay(
          image,
          found.map((f) => f.mask),
        ),
      );
    printResult(io, options, rows, () =>
      rows.map((r) => `${r.file}: score ${r.score}, bbox [${r.bbox.join(', ')}] (${r.source})\n`).join(''),
    );
    io.stderr(`found ${found.length} instance${found.length === 1 ? '' : 's'}; wrote ${out}\n`);
  },
});
