import { basename, dirname, extname, join } from 'node:path';
import {
  type Box,
  checkOutputs,
  cutout,
  formatFromPath,
  loadImage,
  maskToPolygons,
  overlay,
  UsageError,
  writeImage,
  writeMask,
} from '@segkit/core';
import {
  type LabeledPoint,
  normalizePrompt,
  type Prompt,
  Segmenter,
  type SegmentResult,
} from '@segkit/models';
import {
  defineCommand,
  dtypeOption,
  dtypeSpec,
  numberList,
  type OptionValues,
  requireOption,
} from '../command.js';
import { jsonLine } from '../util.js';
import { maxPixelsFrom, maxPixelsOption } from './images.js';

/** Builds the prompt from --point, --negative and --box. */
export function promptFromOptions(options: OptionValues): Prompt | undefined {
  const pos = ((options.point as string[] | undefined) ?? []).map((v) =>
    numberList(v, '--point', { count: 2, what: 'x,y numbers' }),
  );
  const neg = ((options.negative as string[] | undefined) ?? []).map((v) =>
    numberList(v, '--negative', { count: 2, what: 'x,y numbers' }),
  );
  const box =
    typeof options.box === 'string'
      ? (numberList(options.box, '--box', { count: 4, what: 'x,y,w,h numbers' }) as Box)
      : undefined;
  const points: LabeledPoint[] = [
    ...pos.map((p) => ({ point: p as [number, number], label: 1 as const })),
    ...neg.map((p) => ({ point: p as [number, number], label: 0 as const })),
  ];
  if (neg.length && !pos.length && !box)
    throw new UsageError('--negative needs at least one --point or a --box');
  if (box) return points.length ? { box, points } : { box };
  return points.length ? { points } : undefined;
}

const numbered = (path: string, k: number) =>
  join(dirname(path), `${basename(path, extname(path))}-${k}${extname(path) || '.png'}`);

export const segmentCommand = defineCommand({
  name: 'segment',
  description: 'Segment the object at a click or in a box (SAM, SAM 2, or the offline classic backend).',
  positionals: [
    { name: 'image', description: 'The photo; coordinates are in its pixels (after EXIF rotation)' },
  ],
  options: {
    point: { type: 'string', multiple: true, valueName: 'x,y', description: 'A positive click' },
    negative: {
      type: 'string',
      multiple: true,
      valueName: 'x,y',
      description: 'A negative click (not this)',
    },
    box: { type: 'string', valueName: 'x,y,w,h', description: 'A box around the object' },
    multimask: {
      type: 'boolean',
      description: 'Write all candidates as <out>-0.png, <out>-1.png, ... best first',
    },
    model: {
      type: 'string',
      valueName: 'NAME|REPO|DIR',
      description:
        'sam, sam-vit-base, sam2-tiny, sam2-small, sam2-pair-tiny, sam2-pair-base-plus, classic, org/name or a directory (default: sam if downloaded, else classic)',
    },
    output: { type: 'string', short: 'o', valueName: 'mask.png', description: 'Output mask PNG (required)' },
    json: {
      type: 'boolean',
      description:
        'Print {"model","score","scoreKind","bbox","area"} (an array with --multimask); scoreKind is predicted-iou (SAM) or stability (classic)',
    },
    overlay: { type: 'string', valueName: 'out.jpg', description: 'Also draw the mask over the image' },
    cutout: { type: 'string', valueName: 'out.png', description: 'Also write an RGBA cutout' },
    polygons: {
      type: 'boolean',
      description: 'Print the mask outline as polygons (inside the JSON with --json)',
    },
    dtype: dtypeSpec,
    'encoder-file': {
      type: 'string',
      valueName: 'FILE',
      description: 'The encoder of an encoder + decoder pair in the model folder (default encoder.onnx)',
    },
    'decoder-file': {
      type: 'string',
      valueName: 'FILE',
      description: 'The decoder of an encoder + decoder pair in the model folder (default decoder.onnx)',
    },
    'no-cache': {
      type: 'boolean',
      description:
        'Do not read or write the on-disk cache of image encoder outputs (<SEGKIT_CACHE_DIR>/embeddings, 2 GiB at most)',
    },
    ...maxPixelsOption,
  },
  examples: [
    'segkit segment examples/coffee.png --box 165,12,255,300 --model classic -o cup.png',
    'segkit segment examples/coffee.png --point 290,150 -o cup.png --overlay cup-overlay.jpg',
    'segkit segment photo.jpg --point 320,240 --negative 400,260 --multimask -o mask.png --json',
  ],
  async run({ positionals, options, io }) {
    const out = requireOption(options, 'output', 'segkit segment');
    if (formatFromPath(out) !== 'png') throw new UsageError('-o must name a .png file (masks are PNG)');
    for (const flag of ['overlay', 'cutout'] as const)
      if (typeof options[flag] === 'string') formatFromPath(options[flag] as string);
    const prompt = promptFromOptions(options);
    const planned = options.multimask ? [0, 1, 2].map((k) => numbered(out, k)) : [out];
    checkOutputs({ files: [...planned, options.overlay as string, options.cutout as string] });
    const maxPixels = maxPixelsFrom(options);
    const image = await loadImage(positionals[0]!, { maxPixels });
    normalizePrompt(prompt, image.width, image.height); // a bad prompt fails before any model is opened
    const segmenter = await Segmenter.create({
      ...(typeof options.model === 'string' ? { model: options.model } : {}),
      ...(options['no-cache'] ? { diskCacheDir: false as const } : {}),
      ...dtypeOption(options),
      ...(typeof options['encoder-file'] === 'string' ? { encoderFile: options['encoder-file'] } : {}),
      ...(typeof options['decoder-file'] === 'string' ? { decoderFile: options['decoder-file'] } : {}),
      onNotice: (m) => io.stderr(`segkit: note: ${m}\n`),
    });
    if (options.multimask && segmenter.candidates === 1)
      io.stderr(
        `segkit: note: the ${segmenter.modelName} backend yields one candidate, so --multimask writes only ${numbered(out, 0)}\n`,
      );
    const results: SegmentResult[] = options.multimask
      ? await segmenter.segment(image, { ...(prompt ? { prompt } : {}), multimask: true })
      : [await segmenter.segment(image, prompt ? { prompt } : {})];
    const paths = options.multimask ? results.map((_, k) => numbered(out, k)) : [out];
    for (const [k, r] of results.entries()) await writeMask(paths[k]!, r.mask);
    const best = results[0]!;
    if (typeof options.overlay === 'string')
      await writeImage(options.overlay, await overlay(image, [best.mask]));
    if (typeof options.cutout === 'string') await writeImage(options.cutout, cutout(image, best.mask));
    const summary = (r: SegmentResult, k: number) => ({
      model: segmenter.modelName,
      score: Number(r.score.toFixed(4)),
      scoreKind: r.scoreKind,
      bbox: r.bbox,
      area: r.area,
      ...(options.multimask ? { file: paths[k] } : {}),
      ...(options.polygons ? { polygons: maskToPolygons(r.mask, { tolerance: 1 }) } : {}),
    });
    if (options.json) io.stdout(jsonLine(options.multimask ? results.map(summary) : summary(best, 0)));
    else if (options.polygons) io.stdout(jsonLine(maskToPolygons(best.mask, { tolerance: 1 })));
    const { encoderRuns, encoderRunMs } = segmenter.stats;
    const encoder =
      segmenter.backend === 'classic'
        ? ''
        : encoderRuns
          ? `, image encoder ${(encoderRunMs / 1000).toFixed(1)} s`
          : ', image encoder skipped: cached';
    io.stderr(
      `wrote ${paths.join(', ')} (${segmenter.modelName}, ${best.scoreKind === 'stability' ? 'GrabCut stability' : 'predicted IoU'} ${best.score.toFixed(3)}, area ${best.area}${encoder})\n`,
    );
  },
});
