import { existsSync, readFileSync } from 'node:fs';
import { checkOutputs } from '@segkit/core';
import {
  type EvalReport,
  evalText,
  evaluate,
  openMaskSource,
  resultsSource,
  writeReport,
} from '@segkit/datasets';
import { readPromptSet } from '@segkit/models';
import {
  defineCommand,
  dtypeOption,
  dtypeSpec,
  eager,
  numberList,
  numberOption,
  requireOption,
} from '../command.js';
import { jsonOption, printResult } from '../util.js';
import { evalApCommand } from './eval-ap.js';

const f3 = (v: number) => v.toFixed(3);

/** `-o/--output DIR` for the report (`--out` still accepted) and `--json`, shared by both eval commands. */
const reportOptions = {
  output: {
    type: 'string',
    short: 'o',
    valueName: 'DIR',
    description: 'Write report.md, report.json, per_image.csv and panels here',
    aliases: ['out'],
  },
  ...jsonOption,
} as const;

/** The headline numbers of a report as a few readable lines. */
function humanReport(r: EvalReport): string {
  const width = Math.max(7, ...Object.keys(r.perLabel).map((l) => l.length));
  const row = (name: string, m: EvalReport['overall']) =>
    `${name.padEnd(width)}  ${f3(m.miou).padStart(6)}  ${f3(m.dice).padStart(6)}  ${String(m.n).padStart(5)}\n`;
  return (
    `split ${r.split}${r.threshold !== undefined ? `, threshold ${r.threshold}` : ''}\n` +
    `${'label'.padEnd(width)}  ${'mIoU'.padStart(6)}  ${'Dice'.padStart(6)}  ${'n'.padStart(5)}\n` +
    Object.entries(r.perLabel)
      .map(([l, m]) => row(l, m))
      .join('') +
    row('overall', r.overall)
  );
}

const evalMasks = defineCommand({
  name: 'eval',
  description:
    'Score predicted masks against ground truth: IoU and Dice per image, mIoU and Dice per label and overall.',
  options: {
    pred: {
      type: 'string',
      valueName: 'DIR|COCO',
      description:
        'Predictions: a mask folder (<label>/<stem>.png or <stem>.png), a COCO .json, or a COCO results list with a COCO --gt (required)',
    },
    gt: {
      type: 'string',
      valueName: 'DIR|COCO|CSV',
      description:
        'Ground truth: the same forms, or a manifest .csv (with --split, only that split) (required)',
    },
    labels: { type: 'string', valueName: 'a,b', description: 'Only these labels' },
    'score-threshold': {
      type: 'string',
      valueName: 'S',
      default: '0.5',
      description: 'With a COCO results list as --pred: keep detections scoring at least this',
    },
    thresholds: {
      type: 'string',
      valueName: '0.3,0.4,...',
      description: 'Thresholds to sweep for probability maps',
      default: '0.3,0.4,0.5,0.6',
    },
    threshold: {
      type: 'string',
      valueName: 'T',
      description: 'Threshold for the headline numbers (probability maps)',
      default: '0.5',
    },
    split: {
      type: 'string',
      valueName: 'NAME',
      description:
        'Which split this is (val, test, …); with a manifest --gt only its rows are scored; a sweep on test is flagged',
    },
    images: {
      type: 'string',
      valueName: 'DIR',
      description: 'Folder of the original images, for report panels',
    },
    ...reportOptions,
    k: {
      type: 'string',
      valueName: 'K',
      description: 'Panels for the K best and K worst images',
      default: '3',
    },
  },
  examples: [
    'segkit eval --pred preds/ --gt gt/ -o report/',
    'segkit eval --pred probs/ --gt data/coco/annotations.json --split val --thresholds 0.3,0.4,0.5,0.6 -o report/',
  ],
  async run({ options, io }) {
    if (typeof options.output === 'string') checkOutputs({ dirs: [options.output] });
    const predPath = requireOption(options, 'pred', 'segkit eval');
    const gtPath = requireOption(options, 'gt', 'segkit eval');
    const images = typeof options.images === 'string' ? options.images : undefined;
    const split = typeof options.split === 'string' ? options.split : undefined;
    // A COCO results list (a JSON array) is predictions by score; anything else is a mask source.
    const isResults =
      predPath.endsWith('.json') &&
      existsSync(predPath) &&
      /^\s*\[/.test(readFileSync(predPath, 'utf8').slice(0, 64));
    const [pred, gt] = await Promise.all([
      isResults
        ? resultsSource(predPath, gtPath, numberOption(options, 'score-threshold', 0.5, 0, 1))
        : openMaskSource(predPath, images),
      openMaskSource(gtPath, images, split),
    ]);
    const report = await evaluate(pred, gt, {
      ...(typeof options.labels === 'string'
        ? { labels: options.labels.split(',').map((l) => l.trim()) }
        : {}),
      thresholds: numberList(String(options.thresholds ?? '0.3,0.4,0.5,0.6'), '--thresholds', {
        min: 0,
        max: 1,
        what: 'numbers in [0, 1] separated by commas',
      }),
      threshold: numberOption(options, 'threshold', 0.5, 0, 1),
      ...(typeof options.split === 'string' ? { split: options.split } : {}),
    });
    if (typeof options.output === 'string')
      await writeReport(report, options.output, pred, gt, { k: numberOption(options, 'k', 3, 0, 100) });
    const { perImage, ...summary } = report;
    printResult(io, options, { ...summary, perImageCount: perImage.length }, () => humanReport(report));
    for (const n of report.notes) io.stderr(`segkit: note: ${n}\n`);
  },
});

const evalTextCommand = defineCommand({
  name: 'text',
  description:
    'Run text-prompted segmentation over a manifest split and evaluate it, with the time per image.',
  options: {
    manifest: {
      type: 'string',
      valueName: 'm.csv',
      description: 'Manifest with mask_path ground truth (required)',
    },
    split: { type: 'string', valueName: 'NAME', description: 'Only this split (for example test)' },
    prompts: {
      type: 'string',
      valueName: 'prompts.json',
      description: 'Labels with prompt lists (required)',
    },
    model: {
      type: 'string',
      valueName: 'NAME|REPO|DIR',
      description: 'Text model (default: clipseg), or a SAM 3 concept model (sam3, sam3-text)',
    },
    dtype: dtypeSpec,
    threshold: {
      type: 'string',
      valueName: 'T',
      default: '0.5',
      description: 'Threshold for the headline numbers',
    },
    thresholds: {
      type: 'string',
      valueName: '0.3,0.4,...',
      default: '0.3,0.4,0.5,0.6',
      description: 'Thresholds to sweep',
    },
    ...reportOptions,
  },
  examples: [
    'segkit eval text --manifest m.csv --split test --prompts prompts.json --model clipseg --threshold 0.5 -o report/',
  ],
  async run({ options, io }) {
    if (typeof options.output === 'string') checkOutputs({ dirs: [options.output] });
    const manifest = requireOption(options, 'manifest', 'segkit eval text');
    const prompts = await readPromptSet(requireOption(options, 'prompts', 'segkit eval text'));
    const r = await evalText(manifest, prompts, {
      ...(typeof options.split === 'string' ? { split: options.split } : {}),
      ...(typeof options.model === 'string' ? { model: options.model } : {}),
      ...dtypeOption(options),
      threshold: numberOption(options, 'threshold', 0.5, 0, 1),
      thresholds: numberList(String(options.thresholds ?? '0.3,0.4,0.5,0.6'), '--thresholds', {
        min: 0,
        max: 1,
        what: 'numbers in [0, 1] separated by commas',
      }),
    });
    if (typeof options.output === 'string') await writeReport(r.report, options.output, r.pred, r.gt);
    const { perImage, ...summary } = r.report;
    const msPerImage = Number(r.msPerImage.toFixed(1));
    printResult(
      io,
      options,
      { ...summary, perImageCount: perImage.length, images: r.images, msPerImage },
      () => `${humanReport(r.report)}${r.images} images, ${msPerImage} ms per image\n`,
    );
    for (const n of r.report.notes) io.stderr(`segkit: note: ${n}\n`);
  },
});

/** `segkit eval` scores masks itself; `segkit eval text` runs a text model first. */
export const evalCommand = defineCommand({
  ...evalMasks,
  subcommands: { text: eager(evalTextCommand), ap: eager(evalApCommand) },
});
