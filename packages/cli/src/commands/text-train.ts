import { checkOutputs, progressBar, UsageError } from '@segkit/core';
import { DEFAULT_LR, type EpochRow, trainText } from '@segkit/datasets';
import { readPromptSet } from '@segkit/models';
import { defineCommand, numberOption, requireOption } from '../command.js';
import { jsonOption, printResult } from '../util.js';

const pct = (v: number) => v.toFixed(3);

/** One table row per epoch: loss, val mIoU and per-label Dice at 0.5, and the sweep's best threshold. */
function epochLine(row: EpochRow, labels: string[]): string {
  const dice = labels.map((l) => `${l} ${row.perLabel[l] ? pct(row.perLabel[l].dice) : '—'}`).join('  ');
  return `epoch ${String(row.epoch).padStart(2)}  loss ${row.trainLoss.toFixed(4)}  val mIoU@0.5 ${pct(row.miou)}  Dice@0.5 ${dice}  best t=${row.bestThreshold.toFixed(1)} mIoU ${pct(row.bestMiou)}  (${row.seconds.toFixed(0)} s)\n`;
}

export const textTrainCommand = defineCommand({
  name: 'train',
  description:
    "Fine-tune a CLIPSeg model's decoder on a manifest's train split (frozen backbone), keeping the best epoch by val mIoU.",
  options: {
    manifest: {
      type: 'string',
      valueName: 'split.csv',
      description: 'Manifest with train and val rows (required)',
    },
    prompts: {
      type: 'string',
      valueName: 'prompts.json',
      description: 'Labels with prompt lists (required)',
    },
    output: { type: 'string', short: 'o', valueName: 'DIR', description: 'Model folder to write (required)' },
    model: {
      type: 'string',
      valueName: 'NAME|REPO|DIR',
      description: 'Base CLIPSeg model (default: clipseg)',
    },
    epochs: { type: 'string', valueName: 'N', default: '8', description: 'Epochs' },
    lr: { type: 'string', valueName: 'LR', default: String(DEFAULT_LR), description: 'AdamW learning rate' },
    'weight-decay': { type: 'string', valueName: 'W', default: '1e-4', description: 'AdamW weight decay' },
    batch: { type: 'string', valueName: 'N', default: '16', description: 'Batch size' },
    size: { type: 'string', valueName: 'PX', default: '352', description: "The model's input size (352)" },
    'bce-weight': {
      type: 'string',
      valueName: 'W',
      default: '1',
      description: 'Weight of the weighted BCE term',
    },
    'dice-weight': { type: 'string', valueName: 'W', default: '1', description: 'Weight of the Dice term' },
    balance: {
      type: 'string',
      valueName: 'label|dataset',
      description: 'Repeat rows of smaller groups each epoch',
    },
    seed: { type: 'string', valueName: 'N', default: '42', description: 'Shuffle and prompt-draw seed' },
    'val-split': {
      type: 'string',
      valueName: 'NAME',
      default: 'val',
      description: 'Split scored each epoch',
    },
    'freeze-reduces': {
      type: 'boolean',
      description: 'Freeze the reduces too and cache their outputs (12× smaller feature cache)',
    },
    'cache-dir': {
      type: 'string',
      valueName: 'DIR',
      description: 'Feature cache (default: <cache>/clipseg-features)',
    },
    'cache-dtype': {
      type: 'string',
      valueName: 'fp32|fp16',
      default: 'fp32',
      description: 'Feature cache precision',
    },
    q8: {
      type: 'boolean',
      description: 'Also write onnx/model_quantized.onnx, an 8-bit copy (load it with --dtype q8)',
    },
    threads: {
      type: 'string',
      valueName: 'N',
      description: 'Threads that share each batch (default: every core, at most 4)',
    },
    resume: { type: 'boolean', description: 'Continue an interrupted training in -o' },
    ...jsonOption,
  },
  examples: [
    'segkit text train --manifest split.csv --prompts prompts.json -o models/clipseg-drywall',
    'segkit text train --manifest split.csv --prompts prompts.json -o models/clipseg-drywall --resume',
  ],
  async run({ options, io }) {
    const manifest = requireOption(options, 'manifest', 'segkit text train');
    const promptsFile = requireOption(options, 'prompts', 'segkit text train');
    const out = requireOption(options, 'output', 'segkit text train');
    checkOutputs({ dirs: [out] });
    const balance = options.balance === undefined ? undefined : String(options.balance);
    if (balance !== undefined && balance !== 'label' && balance !== 'dataset')
      throw new UsageError('--balance must be label or dataset');
    const cacheDtype = String(options['cache-dtype'] ?? 'fp32');
    if (cacheDtype !== 'fp32' && cacheDtype !== 'fp16')
      throw new UsageError('--cache-dtype must be fp32 or fp16');
    const prompts = await readPromptSet(promptsFile);
    const labels = Object.keys(prompts);
    const result = await trainText(manifest, prompts, out, {
      ...(typeof options.model === 'string' ? { model: options.model } : {}),
      epochs: numberOption(options, 'epochs', 8, 1, 10_000),
      lr: numberOption(options, 'lr', DEFAULT_LR, 0, 1),
      weightDecay: numberOption(options, 'weight-decay', 1e-4, 0, 1),
      batch: numberOption(options, 'batch', 16, 1, 4096),
      size: numberOption(options, 'size', 352, 1, 4096),
      bceWeight: numberOption(options, 'bce-weight', 1, 0),
      diceWeight: numberOption(options, 'dice-weight', 1, 0),
      ...(balance ? { balance } : {}),
      seed: numberOption(options, 'seed', 42, 0),
      valSplit: String(options['val-split'] ?? 'val'),
      freezeReduces: options['freeze-reduces'] === true,
      ...(typeof options['cache-dir'] === 'string' ? { cacheDir: options['cache-dir'] } : {}),
      cacheDtype,
      resume: options.resume === true,
      q8: options.q8 === true,
      ...(options.threads !== undefined ? { threads: numberOption(options, 'threads', 1, 1, 64) } : {}),
      progress: (epoch, epochs) => progressBar(`epoch ${epoch}/${epochs}`, { unit: 'items' }),
      onZeroShot: (z) =>
        io.stderr(
          `zero-shot  val mIoU@0.5 ${pct(z.miou)}  best t=${z.bestThreshold.toFixed(1)} mIoU ${pct(z.bestMiou)}\n`,
        ),
      onEpoch: (row) => io.stderr(epochLine(row, labels)),
    });
    const mib = (result.cache.bytes / 2 ** 20).toFixed(1);
    io.stderr(
      `feature cache ${result.cache.dir}: ${result.cache.entries} images, ${mib} MiB; ${result.backbonePasses} backbone passes this run\n`,
    );
    printResult(io, options, result, () =>
      result.best
        ? `best epoch ${result.best.epoch}: val mIoU ${pct(result.best.bestMiou)} at threshold ${result.best.bestThreshold.toFixed(1)} (${pct(result.best.miou)} at 0.5)${result.zeroShot ? `, zero-shot ${pct(result.zeroShot.bestMiou)}` : ''}; model in ${out}\n`
        : `no epoch finished; nothing written to ${out}\n`,
    );
  },
});
