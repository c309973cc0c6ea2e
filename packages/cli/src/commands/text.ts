import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeNpy } from '@segkit/analytics';
import { checkOutputs, loadImage, type RawImage, UsageError, writeImage, writeMask } from '@segkit/core';
import { type PromptSet, readPromptSet, segmentText, slug, toPromptSet } from '@segkit/models';
import { defineCommand, dtypeOption, dtypeSpec, eager, numberOption, requireOption } from '../command.js';
import { jsonOption, printResult } from '../util.js';
import { maxPixelsFrom, maxPixelsOption } from './images.js';
import { textTrainCommand } from './text-train.js';

export const textCommand = defineCommand({
  name: 'text',
  description:
    'Segment what text prompts describe (CLIPSeg, or SAM 3 with --model sam3): one mask PNG per label, optionally the probability maps.',
  positionals: [{ name: 'image', description: 'The photo' }],
  options: {
    prompt: {
      type: 'string',
      multiple: true,
      valueName: 'TEXT',
      description: 'A prompt; its label is the text as a slug',
    },
    prompts: {
      type: 'string',
      valueName: 'prompts.json',
      description: 'Labels with prompt lists: {"crack": ["segment crack", ...]}',
    },
    model: {
      type: 'string',
      valueName: 'NAME|REPO|DIR',
      description:
        'CLIPSeg model (default: clipseg), or a SAM 3 concept model (sam3, sam3-text): each label is then the union of the instances found',
    },
    dtype: dtypeSpec,
    output: {
      type: 'string',
      short: 'o',
      valueName: 'DIR',
      description: 'Output folder for <label>.png (required)',
    },
    threshold: {
      type: 'string',
      valueName: 'T',
      description:
        'Probability threshold (default 0.5); with a SAM 3 model, its detection score threshold (default 0.3)',
    },
    combine: {
      type: 'string',
      valueName: 'max|mean',
      default: 'max',
      description: "How a label's prompts combine",
    },
    open: { type: 'string', valueName: 'R', default: '0', description: 'Morphological opening radius (px)' },
    close: { type: 'string', valueName: 'R', default: '0', description: 'Morphological closing radius (px)' },
    'min-area': {
      type: 'string',
      valueName: 'PX',
      default: '0',
      description: 'Drop components smaller than this',
    },
    instances: { type: 'boolean', description: 'Also write <label>-<k>.png per connected component' },
    probabilities: {
      type: 'boolean',
      description:
        'Also write the probability map: <label>.prob.png (8-bit) or, with --prob-format npy, .prob.npy',
    },
    'prob-format': {
      type: 'string',
      valueName: 'png|npy',
      default: 'png',
      description: 'Probability map format: 8-bit PNG, or float32 [height, width] NumPy array',
    },
    ...jsonOption,
    ...maxPixelsOption,
  },
  subcommands: { train: eager(textTrainCommand) },
  examples: [
    'segkit models pull clipseg',
    'segkit text wall.jpg --prompt "segment crack" -o out/ --threshold 0.4 --probabilities',
    'segkit text wall.jpg --prompts prompts.json -o out/',
    'segkit text wall.jpg --prompt "segment crack" -o out/ --probabilities --prob-format npy',
  ],
  async run({ positionals, options, io }) {
    const out = requireOption(options, 'output', 'segkit text');
    checkOutputs({ dirs: [out] });
    const bare = (options.prompt as string[] | undefined) ?? [];
    let set: PromptSet = {};
    if (typeof options.prompts === 'string') set = await readPromptSet(options.prompts);
    if (bare.length) set = { ...set, ...toPromptSet(bare) };
    if (!Object.keys(set).length) throw new UsageError('Give --prompt TEXT or --prompts FILE');
    const probFormat = String(options['prob-format'] ?? 'png');
    if (probFormat !== 'png' && probFormat !== 'npy')
      throw new UsageError('--prob-format must be png or npy');
    const combine = String(options.combine ?? 'max');
    if (combine !== 'max' && combine !== 'mean') throw new UsageError('--combine must be max or mean');
    const image = await loadImage(positionals[0]!, {
      maxPixels: maxPixelsFrom(options),
    });
    const results = await segmentText(image, set, {
      ...(options.threshold !== undefined
        ? { threshold: numberOption(options, 'threshold', 0.5, 0, 1) }
        : {}),
      combine,
      openRadius: numberOption(options, 'open', 0, 0),
      closeRadius: numberOption(options, 'close', 0, 0),
      minArea: numberOption(options, 'min-area', 0, 0),
      instances: options.instances === true,
      ...(typeof options.model === 'string' ? { model: options.model } : {}),
      ...dtypeOption(options),
    });
    await mkdir(out, { recursive: true });
    const summary: { label: string; file: string; area: number; instances: number | undefined }[] = [];
    for (const r of results) {
      const name = slug(r.label);
      await writeMask(join(out, `${name}.png`), r.mask);
      if (options.probabilities && probFormat === 'npy') {
        await writeNpy(join(out, `${name}.prob.npy`), r.probability, [r.height, r.width]);
      } else if (options.probabilities) {
        const grey: RawImage = {
          width: r.width,
          height: r.height,
          channels: 1,
          data: Uint8Array.from(r.probability, (p) => Math.round(p * 255)),
        };
        await writeImage(join(out, `${name}.prob.png`), grey);
      }
      for (const [k, m] of (r.instances ?? []).entries()) await writeMask(join(out, `${name}-${k}.png`), m);
      summary.push({
        label: r.label,
        file: join(out, `${name}.png`),
        area: r.mask.data.reduce((a, b) => a + b, 0),
        instances: r.instances?.length,
      });
    }
    printResult(io, options, summary, () =>
      summary
        .map(
          (s) =>
            `${s.label}: ${s.file}, area ${s.area}${s.instances !== undefined ? `, ${s.instances} instances` : ''}\n`,
        )
        .join(''),
    );
    io.stderr(`wrote ${results.length} mask${results.length === 1 ? '' : 's'} to ${out}\n`);
  },
});
