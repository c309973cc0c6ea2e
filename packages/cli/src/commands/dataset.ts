import { DatasetFormatError } from '@segkit/core';
import { DATASET_FORMATS, type DatasetFormat, readDataset, writeDataset } from '@segkit/datasets';
import { defineCommand, eager, requireOption } from '../command.js';

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
  },
  examples: [
    'segkit dataset convert data/masks data/coco --to coco',
    'segkit dataset convert data/coco/annotations.json data/yolo --to yolo-seg',
  ],
  async run({ positionals, options, io }) {
    const to = asFormat(requireOption(options, 'to', 'segkit dataset convert'), '--to')!;
    const from = asFormat(options.from, '--from');
    const t0 = performance.now();
    const ds = await readDataset(positionals[0]!, from);
    for (const w of ds.warnings) io.stderr(`segkit: warning: ${w}\n`);
    await writeDataset(ds, positionals[1]!, to, { rle: options.rle === true });
    const s = ((performance.now() - t0) / 1000).toFixed(1);
    io.stderr(
      `wrote ${positionals[1]} (${to}): ${ds.images.length} images, ${ds.categories.length} categories, ${ds.annotations.length} annotations, ${ds.warnings.length} warnings, ${s} s\n`,
    );
  },
});

export const datasetCommand = defineCommand({
  name: 'dataset',
  description: 'Work with datasets: convert between formats.',
  subcommands: { convert: eager(convert) },
});
