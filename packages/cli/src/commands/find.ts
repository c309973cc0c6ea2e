import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Box,
  checkOutputs,
  formatFromPath,
  loadImage,
  overlay,
  UsageError,
  writeFileAtomic,
  writeImage,
  writeMask,
} from '@segkit/core';
import { findAll, findConcept } from '@segkit/models';
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
    'Find every instance of a concept from a text prompt and/or exemplar boxes: with SAM 3 (--model sam3), or the light CLIPSeg + SAM + CLIP pipeline.',
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
    model: {
      type: 'string',
      valueName: 'NAME',
      description:
        'A SAM 3 concept model (sam3, sam3-text, sam3-anylabeling, an imported name or a folder); without it, the CLIPSeg + SAM + CLIP pipeline',
    },
    threshold: {
      type: 'string',
      valueName: 'S',
      description:
        'Minimum score: SAM 3 its detection score (default 0.3); the pipeline positive minus negative similarity (default 0.25)',
    },
    max: {
      type: 'string',
      valueName: 'N',
      description: 'At most N instances (default: SAM 3 200, the pipeline 50)',
    },
    nms: {
      type: 'string',
      valueName: 'IOU',
      description:
        'SAM 3: drop an instance whose mask IoU with a better one exceeds IOU (default off; samexporter merges its per-box calls at 0.5)',
    },
    'min-area': {
      type: 'string',
      valueName: 'PX',
      description: 'Ignore candidate regions under PX pixels (default: 0.1% of the image)',
    },
    'max-candidates': {
      type: 'string',
      valueName: 'N',
      description: 'Score at most N candidate regions, largest first (default 200)',
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
    'segkit find street.jpg --model sam3 --text "car" --negative-box 300,50,40,40 -o cars/ --json',
  ],
  async run({ positionals, options, io }) {
    const out = requireOption(options, 'output', 'segkit find');
    if (typeof options.overlay === 'string') formatFromPath(options.overlay);
    checkOutputs({ dirs: [out], files: [options.overlay as string | undefined] });
    const image = await loadImage(positionals[0]!, { maxPixels: maxPixelsFrom(options) });
    const positiveExemplars = boxes(options.positive, '--positive');
    const negativeExemplars = boxes(options['negative-box'], '--negative-box');
    const text = typeof options.text === 'string' ? { text: options.text } : {};
    const model = typeof options.model === 'string' ? options.model : undefined;
    const pipelineOnly = ['segment-model', 'text-model', 'embed-model', 'min-area', 'max-candidates'].filter(
      (k) => options[k] !== undefined,
    );
    if (model && pipelineOnly.length)
      throw new UsageError(
        `--${pipelineOnly[0]} is an option of the CLIPSeg + SAM + CLIP pipeline; SAM 3 (--model) answers the whole prompt itself`,
      );
    const nms = options.nms !== undefined ? { nms: numberOption(options, 'nms', 0.5, 0, 1) } : {};
    const concept = model
      ? await findConcept(image, {
          model,
          ...text,
          positiveExemplars,
          negativeExemplars,
          threshold: numberOption(options, 'threshold', 0.3, 0, 1),
          maxInstances: numberOption(options, 'max', 200, 1, 10_000),
          ...nms,
        })
      : undefined;
    const found = concept
      ? concept.instances.map((i) => ({ ...i, source: concept.model }))
      : await findAll(image, {
          ...text,
          positiveExemplars,
          negativeExemplars,
          threshold: numberOption(options, 'threshold', 0.25, -1, 1),
          maxInstances: numberOption(options, 'max', 50, 1, 10_000),
          ...(options['min-area'] !== undefined ? { minArea: numberOption(options, 'min-area', 0, 1) } : {}),
          maxCandidates: numberOption(options, 'max-candidates', 200, 1, 100_000),
          ...nms,
          ...(typeof options['segment-model'] === 'string' ? { segmentModel: options['segment-model'] } : {}),
          ...(typeof options['text-model'] === 'string' ? { textModel: options['text-model'] } : {}),
          ...(typeof options['embed-model'] === 'string' ? { clipModel: options['embed-model'] } : {}),
        });
    await mkdir(out, { recursive: true });
    const rows: { file: string; bbox: Box; score: number; source: string }[] = [];
    for (const [k, f] of found.entries()) {
      const file = join(out, `${k}.png`);
      await writeMask(file, f.mask);
      rows.push({
        file,
        bbox: f.bbox.map((v) => Number(v.toFixed(2))) as Box,
        score: Number(f.score.toFixed(4)),
        source: f.source,
      });
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
    // With SAM 3, --json says which model and layout answered and how: samexporter's graphs take one box per call, so
    // several exemplars are several decoder calls merged by NMS.
    const how = concept && {
      model: concept.model,
      layout: concept.layout,
      decoderCalls: concept.decoderCalls,
      ...(concept.merged ? { merged: concept.merged } : {}),
    };
    printResult(io, options, how ? { ...how, instances: rows } : rows, () =>
      rows.map((r) => `${r.file}: score ${r.score}, bbox [${r.bbox.join(', ')}] (${r.source})\n`).join(''),
    );
    const calls = concept?.merged
      ? ` (${concept.decoderCalls} decoder calls, one per exemplar box, merged by NMS at IoU ${concept.merged.iou})`
      : '';
    io.stderr(`found ${found.length} instance${found.length === 1 ? '' : 's'}${calls}; wrote ${out}\n`);
  },
});
