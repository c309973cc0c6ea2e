import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  checkHead,
  type EpochMetrics,
  embedModelId,
  embedSamples,
  evaluateHead,
  loadHead,
  predictWithHead,
  reportText,
  trainHead,
  writeConfusionPng,
  writeHead,
} from '@segkit/analytics';
import { type Box, checkOutputs, progressBar, UsageError, writeFileAtomic } from '@segkit/core';
import {
  defineCommand,
  eager,
  numberList,
  numberOption,
  type OptionValues,
  requireOption,
} from '../command.js';
import { jsonOption, printResult } from '../util.js';
import { datasetSamples } from './classify-samples.js';

const trainOptions = {
  'embed-model': {
    type: 'string',
    valueName: 'NAME|REPO|DIR',
    description: 'CLIP model for the crops (default: clip)',
  },
  val: {
    type: 'string',
    valueName: 'FRACTION',
    default: '0.2',
    description: 'Validation share of the images (early stopping, calibration)',
  },
  balanced: { type: 'boolean', description: 'Weight classes by inverse frequency' },
  epochs: {
    type: 'string',
    valueName: 'N',
    default: '60',
    description: 'Most passes over the training crops',
  },
  c: {
    type: 'string',
    valueName: 'C',
    default: '1',
    description: 'Inverse regularisation strength (scikit-learn’s C)',
  },
  seed: {
    type: 'string',
    valueName: 'N',
    default: '42',
    description: 'Seed of the split and the training shuffle',
  },
  'no-cache': { type: 'boolean', description: 'Embed every crop again instead of reading the crop cache' },
} as const;

function trainSettings(options: OptionValues, testShare: number) {
  const val = numberOption(options, 'val', 0.2, 0, 0.9);
  if (val + testShare >= 1) throw new UsageError('--val and --test leave nothing to train on');
  return {
    val,
    seed: numberOption(options, 'seed', 42, 0),
    train: {
      ...(typeof options['embed-model'] === 'string' ? { embedModel: options['embed-model'] } : {}),
      balanced: options.balanced === true,
      epochs: numberOption(options, 'epochs', 60, 1, 10_000),
      c: numberOption(options, 'c', 1, 1e-6, 1e6),
      seed: numberOption(options, 'seed', 42, 0),
      ...(options['no-cache'] === true ? { cacheDir: false as const } : {}),
    },
  };
}

const epochLine = (m: EpochMetrics) =>
  `epoch ${String(m.epoch).padStart(3)}  loss ${m.loss.toFixed(4)}  train acc ${m.trainAccuracy.toFixed(3)}` +
  (m.valLoss === null
    ? ''
    : `  val loss ${m.valLoss.toFixed(4)}  val acc ${m.valAccuracy!.toFixed(3)}  val macro-F1 ${m.valMacroF1!.toFixed(3)}`) +
  '\n';

const train = defineCommand({
  name: 'train',
  description:
    'Train a classifier head (softmax regression on CLIP embeddings of the labelled boxes and masks) and write its folder.',
  positionals: [{ name: 'dataset', description: 'A dataset folder or .zip in any format SegKit reads' }],
  options: {
    output: {
      type: 'string',
      short: 'o',
      valueName: 'DIR',
      description: 'The head folder to write (required)',
      aliases: ['out'],
    },
    ...trainOptions,
    ...jsonOption,
  },
  examples: [
    'segkit classify train examples/dataset/coco -o heads/shapes --embed-model fixtures/models/clip-fixture',
  ],
  async run({ positionals, options, io }) {
    const out = requireOption(options, 'output', 'segkit classify train');
    checkOutputs({ dirs: [out] });
    const s = trainSettings(options, 0);
    const { samples, images } = await datasetSamples(positionals[0]!, { val: s.val, test: 0, seed: s.seed });
    const json = options.json === true;
    const r = await trainHead(samples, {
      ...s.train,
      progress: progressBar('embed crops', { unit: 'items' }),
      onEpoch: (m) => {
        if (!json) io.stderr(epochLine(m));
      },
    });
    await writeHead(out, r.head);
    const t = r.head.info.training;
    printResult(
      io,
      options,
      {
        head: out,
        labels: r.head.info.labels,
        metrics: r.head.info.metrics,
        training: t,
        embeddings: r.embeddings,
      },
      () =>
        `${r.head.info.labels.length} labels from ${samples.length} crops of ${images} images (${t.samples.train} train, ${t.samples.val} val); ` +
        `best epoch ${t.bestEpoch}: val accuracy ${r.head.info.metrics.valAccuracy?.toFixed(3) ?? '-'}, macro-F1 ${r.head.info.metrics.valMacroF1?.toFixed(3) ?? '-'}\n` +
        `embeddings: ${r.embeddings.computed} computed, ${r.embeddings.cached} from the cache\n`,
    );
    io.stderr(`wrote ${out}\n`);
  },
});

const predict = defineCommand({
  name: 'predict',
  description: 'Rank a head’s labels for boxes of an image, with calibrated probabilities.',
  positionals: [{ name: 'image', description: 'The image' }],
  options: {
    box: {
      type: 'string',
      multiple: true,
      valueName: 'x,y,w,h',
      description: 'A box to classify (repeatable; required)',
    },
    head: { type: 'string', valueName: 'DIR', description: 'The head folder (required)' },
    'embed-model': {
      type: 'string',
      valueName: 'NAME|REPO|DIR',
      description: 'CLIP model (default: the one the head names)',
    },
    threshold: {
      type: 'string',
      valueName: 'P',
      default: '0.5',
      description: 'Below this top probability a box is "unsure"',
    },
    ...jsonOption,
  },
  examples: [
    'segkit classify predict examples/dataset/coco/images/img00.png --box 20,10,50,40 --head heads/shapes --json',
  ],
  async run({ positionals, options, io }) {
    const dir = requireOption(options, 'head', 'segkit classify predict');
    const boxes = ((options.box as string[] | undefined) ?? []).map(
      (b) => numberList(b, '--box', { count: 4, what: 'x,y,w,h numbers', min: 0 }) as Box,
    );
    if (!boxes.length) throw new UsageError('segkit classify predict needs at least one --box x,y,w,h');
    const model = typeof options['embed-model'] === 'string' ? options['embed-model'] : undefined;
    const head = await loadHead(dir, model ? { embedModel: embedModelId(model) } : {});
    const { vectors, dim } = await embedSamples(
      boxes.map((bbox) => ({ image: positionals[0]!, label: '', bbox })),
      { model: model ?? head.info.embedModel.ref, crop: head.info.crop },
    );
    checkHead(head.info, dir, { dim });
    const threshold = numberOption(options, 'threshold', 0.5, 0, 1);
    const results = predictWithHead(head, vectors, threshold).map((p, i) => ({ box: boxes[i]!, ...p }));
    printResult(io, options, results, () =>
      results
        .map(
          (r) =>
            `${r.box.join(',')}: ${r.ranked[0]!.label} ${(r.ranked[0]!.probability * 100).toFixed(1)}%` +
            `${r.unsure ? ' (unsure)' : ''}  then ${r.ranked
              .slice(1, 3)
              .map((x) => `${x.label} ${(x.probability * 100).toFixed(1)}%`)
              .join(', ')}\n`,
        )
        .join(''),
    );
  },
});

const bench = defineCommand({
  name: 'bench',
  description:
    'Train a head on the train split and evaluate it on the test split: accuracy, macro-F1, a per-class table, the confusion matrix (and a PNG of it).',
  positionals: [{ name: 'dataset', description: 'A dataset folder or .zip in any format SegKit reads' }],
  options: {
    output: {
      type: 'string',
      short: 'o',
      valueName: 'DIR',
      description: 'Folder for confusion.png, report.txt, report.json and the head (optional)',
      aliases: ['out'],
    },
    test: { type: 'string', valueName: 'FRACTION', default: '0.2', description: 'Test share of the images' },
    ...trainOptions,
    ...jsonOption,
  },
  examples: [
    'segkit classify bench examples/dataset/coco --embed-model fixtures/models/clip-fixture -o report-heads',
  ],
  async run({ positionals, options, io }) {
    const out = typeof options.output === 'string' ? options.output : undefined;
    if (out) checkOutputs({ dirs: [out] });
    const testShare = numberOption(options, 'test', 0.2, 0.01, 0.9);
    const s = trainSettings(options, testShare);
    const { samples } = await datasetSamples(positionals[0]!, { val: s.val, test: testShare, seed: s.seed });
    const test = samples.map((x, i) => [x, i] as const).filter(([x]) => x.split === 'test');
    if (!test.length) throw new UsageError('The test split is empty: raise --test or use a larger dataset');
    const t0 = performance.now();
    const r = await trainHead(samples, {
      ...s.train,
      progress: progressBar('embed crops', { unit: 'items' }),
    });
    const trainMs = performance.now() - t0;
    const report = evaluateHead(
      r.head,
      test.map(([, i]) => r.vectors[i]!),
      test.map(([x]) => x.label),
    );
    if (out) {
      mkdirSync(out, { recursive: true });
      await writeConfusionPng(report, join(out, 'confusion.png'));
      await writeFileAtomic(join(out, 'report.txt'), reportText(report));
      await writeFileAtomic(join(out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
      await writeHead(join(out, 'head'), r.head);
    }
    printResult(
      io,
      options,
      {
        ...report,
        test: test.length,
        train: r.head.info.training.samples,
        embeddings: r.embeddings,
        trainMs,
      },
      () => `${test.length} test crops\n${reportText(report)}`,
    );
    if (out) io.stderr(`wrote ${join(out, 'confusion.png')}, report.txt, report.json and head/\n`);
  },
});

export const classifyCommand = defineCommand({
  name: 'classify',
  description:
    'Classifier heads on CLIP embeddings: train one on a dataset’s labels, predict with it, benchmark it.',
  subcommands: { train: eager(train), predict: eager(predict), bench: eager(bench) },
});
