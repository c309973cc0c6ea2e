import { join } from 'node:path';
import { checkOutputs, DatasetFormatError, progressBar, UsageError } from '@segkit/core';
import {
  blankAnnotations,
  buildManifest,
  buildSegmentation,
  DATASET_FORMATS,
  type DatasetFormat,
  detectFormat,
  type ManifestRow,
  mergeManifests,
  readDataset,
  readManifest,
  SPLITS,
  splitItems,
  splitTable,
  writeDataset,
  writeManifest,
} from '@segkit/datasets';
import { defineCommand, eager, numberList, numberOption, requireOption } from '../command.js';
import { jsonLine, jsonOption, printResult } from '../util.js';

const asFormat = (v: unknown, flag: string): DatasetFormat | undefined => {
  if (v === undefined) return undefined;
  if (!DATASET_FORMATS.includes(v as DatasetFormat)) {
    throw new DatasetFormatError(
      `${flag} must be one of ${DATASET_FORMATS.join(', ')}, got ${JSON.stringify(v)}`,
    );
  }
  return v as DatasetFormat;
};

const convert = defineCommand({
  name: 'convert',
  description: 'Convert a dataset between COCO, YOLO, YOLO-seg and PNG-mask folders, keeping masks intact.',
  positionals: [
    {
      name: 'in',
      description: 'A dataset folder (or a COCO .json); its format is detected unless --from is given',
    },
    { name: 'out', description: 'A new folder to create (written atomically, with manifest.json)' },
  ],
  options: {
    to: {
      type: 'string',
      valueName: 'FORMAT',
      description: `Output format: ${DATASET_FORMATS.join(', ')} (required)`,
    },
    from: { type: 'string', valueName: 'FORMAT', description: 'Input format, when detection is not enough' },
    rle: {
      type: 'boolean',
      description: 'COCO: write every mask as RLE (masks with holes or several parts always are)',
    },
    'keep-empty': {
      type: 'boolean',
      description:
        'COCO: keep annotations whose mask is blank (left out by default: COCOeval can never match them)',
    },
  },
  examples: [
    'segkit dataset convert data/masks data/coco --to coco',
    'segkit dataset convert data/coco/annotations.json data/yolo --to yolo-seg',
  ],
  async run({ positionals, options, io }) {
    const to = asFormat(requireOption(options, 'to', 'segkit dataset convert'), '--to')!;
    checkOutputs({ dirs: [positionals[1]] });
    const from = asFormat(options.from, '--from');
    const t0 = performance.now();
    const ds = await readDataset(positionals[0]!, from);
    for (const w of ds.warnings) io.stderr(`segkit: warning: ${w}\n`);
    const keepEmpty = options['keep-empty'] === true;
    await writeDataset(ds, positionals[1]!, to, { rle: options.rle === true, keepEmpty });
    const blank = to === 'coco' && !keepEmpty ? blankAnnotations(ds).size : 0;
    if (blank)
      io.stderr(
        `segkit: note: left out ${blank} annotation(s) with a blank mask (--keep-empty keeps them)\n`,
      );
    const s = ((performance.now() - t0) / 1000).toFixed(1);
    io.stderr(
      `wrote ${positionals[1]} (${to}): ${ds.images.length} images, ${ds.categories.length} categories, ${ds.annotations.length - blank} annotations, ${ds.warnings.length} warnings, ${s} s\n`,
    );
  },
});

/** Rows of a manifest CSV, or a manifest built from a dataset folder. */
async function rowsOf(path: string): Promise<ManifestRow[]> {
  if (path.endsWith('.csv')) return readManifest(path);
  const format = detectFormat(path);
  const ds = await readDataset(path, format);
  return buildManifest(ds, {
    source: path,
    ...(format === 'masks' ? { maskRoot: join(path, 'masks') } : {}),
  });
}

const manifest = defineCommand({
  name: 'manifest',
  description:
    'Write a CSV manifest: one row per (image, label) with image_id, image_path, mask_path, label, split, source_dataset.',
  positionals: [{ name: 'dataset', description: 'A dataset folder or COCO .json' }],
  options: {
    output: { type: 'string', short: 'o', valueName: 'manifest.csv', description: 'Output CSV (required)' },
  },
  examples: ['segkit dataset manifest data/masks -o manifest.csv'],
  async run({ positionals, options, io }) {
    const out = requireOption(options, 'output', 'segkit dataset manifest');
    checkOutputs({ files: [out] });
    const rows = await rowsOf(positionals[0]!);
    await writeManifest(rows, out);
    io.stderr(`wrote ${out} (${rows.length} rows)\n`);
  },
});

const merge = defineCommand({
  name: 'merge',
  description:
    'Merge manifests (CSV files or dataset folders) into one; identical repeats are dropped, conflicts are errors.',
  positionals: [{ name: 'manifest', description: 'Two or more manifests or datasets', variadic: true }],
  options: {
    output: { type: 'string', short: 'o', valueName: 'merged.csv', description: 'Output CSV (required)' },
  },
  examples: ['segkit dataset merge a.csv b.csv -o merged.csv'],
  async run({ positionals, options, io }) {
    const out = requireOption(options, 'output', 'segkit dataset merge');
    checkOutputs({ files: [out] });
    if (positionals.length < 2) throw new UsageError('merge needs at least two manifests');
    const rows = mergeManifests(
      await Promise.all(positionals.map(async (p) => ({ name: p, rows: await rowsOf(p) }))),
    );
    await writeManifest(rows, out);
    io.stderr(`wrote ${out} (${rows.length} rows from ${positionals.length} inputs)\n`);
  },
});

const split = defineCommand({
  name: 'split',
  description:
    'Re-split by image into train/val/test: seeded, reproducible, keeping every label in every split when possible.',
  positionals: [{ name: 'manifest', description: 'A manifest CSV or a dataset folder' }],
  options: {
    output: {
      type: 'string',
      short: 'o',
      valueName: 'split.csv',
      description: 'Output manifest CSV with the split column (required)',
    },
    seed: { type: 'string', valueName: 'N', default: '42', description: 'Random seed' },
    ratios: {
      type: 'string',
      valueName: '70,15,15',
      default: '70,15,15',
      description: 'train,val,test proportions',
    },
    ...jsonOption,
  },
  examples: ['segkit dataset split manifest.csv -o split.csv --seed 42 --ratios 70,15,15'],
  async run({ positionals, options, io }) {
    const out = requireOption(options, 'output', 'segkit dataset split');
    checkOutputs({ files: [out] });
    const seed = numberOption(options, 'seed', 42, 0, 2 ** 32 - 1);
    const ratios = numberList(String(options.ratios ?? '70,15,15'), '--ratios', {
      count: 3,
      min: 0,
      what: 'three non-negative numbers like 70,15,15',
    });
    if (ratios.every((r) => r === 0)) throw new UsageError('--ratios cannot all be 0');
    const rows = await rowsOf(positionals[0]!);
    const byImage = new Map<string, string[]>();
    for (const r of rows) byImage.set(r.image_path, [...(byImage.get(r.image_path) ?? []), r.label]);
    const items = [...byImage].map(([id, labels]) => ({ id, labels }));
    const assignment = splitItems(items, { seed, ratios: ratios as [number, number, number] });
    await writeManifest(
      rows.map((r) => ({ ...r, split: assignment.get(r.image_path)! })),
      out,
    );
    const table = splitTable(items, assignment);
    const width = Math.max('images'.length, ...table.labels.map((l) => l.length));
    const line = (name: string, n: (s: (typeof SPLITS)[number]) => number) =>
      `${name.padEnd(width)}  ${SPLITS.map((s) => String(n(s)).padStart(6)).join('')}\n`;
    printResult(
      io,
      options,
      table,
      () =>
        `${'label'.padEnd(width)}  ${SPLITS.map((s) => s.padStart(6)).join('')}\n` +
        table.labels.map((l) => line(l, (s) => table.counts[s][l]!)).join('') +
        line('images', (s) => table.images[s]),
    );
    io.stderr(`wrote ${out} (seed ${seed})\n`);
  },
});

const buildSeg = defineCommand({
  name: 'build-seg',
  description:
    'Turn a box dataset into a segmentation dataset by prompting a segmenter with every box (resumable).',
  positionals: [
    { name: 'bbox-dataset', description: 'A COCO, YOLO or other dataset with boxes (never modified)' },
  ],
  options: {
    output: {
      type: 'string',
      short: 'o',
      valueName: 'DIR',
      description: 'The new COCO dataset folder (required)',
      aliases: ['out'],
    },
    ...jsonOption,
    model: {
      type: 'string',
      valueName: 'NAME',
      description:
        'sam, classic, sam2-tiny, sam3-tracker, a repo or a folder (default: sam if downloaded, else classic); or a SAM 3 concept model (sam3), which takes each box as an exemplar',
    },
    'text-from-labels': {
      type: 'boolean',
      description: "With a SAM 3 concept model: each box's class name as the text prompt, next to the box",
    },
    'score-threshold': {
      type: 'string',
      valueName: 'S',
      default: '0',
      description: 'Masks scoring below S fall back to the box',
    },
    simplify: {
      type: 'string',
      valueName: 'PX',
      default: '1.5',
      description: 'Polygon simplification tolerance in pixels',
    },
    'min-area': {
      type: 'string',
      valueName: 'PX',
      default: '0',
      description: 'Masks smaller than this fall back to the box',
    },
    workers: { type: 'string', valueName: 'N', default: '1', description: 'Images processed concurrently' },
  },
  examples: [
    'segkit dataset build-seg data/yolo-boxes -o data/seg --model classic --simplify 1.5',
    'segkit dataset build-seg data/yolo-boxes -o data/seg3 --model sam3 --text-from-labels',
  ],
  async run({ positionals, options, io }) {
    const out = requireOption(options, 'output', 'segkit dataset build-seg');
    checkOutputs({ dirs: [out] });
    const ds = await readDataset(positionals[0]!);
    const summary = await buildSegmentation(ds, out, {
      ...(typeof options.model === 'string' ? { model: options.model } : {}),
      ...(options['text-from-labels'] === true ? { textFromLabels: true } : {}),
      scoreThreshold: numberOption(options, 'score-threshold', 0, 0, 1),
      simplify: numberOption(options, 'simplify', 1.5, 0),
      minArea: numberOption(options, 'min-area', 0, 0),
      workers: numberOption(options, 'workers', 1, 1, 64),
      progress: progressBar('build-seg images', { unit: 'items' }),
      onNotice: (m) => io.stderr(`segkit: note: ${m}\n`),
    });
    if (options.json) io.stdout(jsonLine(summary));
    io.stderr(
      `wrote ${out}: ${summary.images} images, ${summary.masks} masks, ${summary.fallbacks} fallbacks to the box${summary.resumed ? `, ${summary.resumed} images resumed` : ''}, ${summary.seconds.toFixed(1)} s (${summary.model})\n`,
    );
  },
});

export const datasetCommand = defineCommand({
  name: 'dataset',
  description: 'Work with datasets: convert between formats, write, merge and re-split CSV manifests.',
  subcommands: {
    convert: eager(convert),
    manifest: eager(manifest),
    merge: eager(merge),
    split: eager(split),
    'build-seg': eager(buildSeg),
  },
});
