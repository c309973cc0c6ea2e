import { ModelMissingError, progressBar, UsageError } from '@segkit/core';
import {
  type Dtype,
  importModel,
  listModels,
  modelStatus,
  pullModel,
  removeModel,
  requireModel,
  resolveModelRef,
} from '@segkit/models';
import { defineCommand, eager, requireOption } from '../command.js';
import { jsonLine } from '../util.js';

const fmt = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${(n / 1e6).toFixed(1)} MB`);
const DTYPES = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4'];
const nameArg = {
  name: 'name',
  description: 'A preset (segkit models list), an org/name[@revision] repo, or an imported name',
};

const list = defineCommand({
  name: 'list',
  description: 'Show the presets, what is downloaded, and the sizes (estimated for models not yet pulled).',
  options: { json: { type: 'boolean', description: 'Print JSON' } },
  examples: ['segkit models list'],
  async run({ options, io }) {
    const rows = listModels();
    if (options.json) return void io.stdout(jsonLine(rows));
    // Columns as wide as their longest entry (plus two spaces), so that no name runs into its status.
    const sizes = rows.map((r) => (r.status === 'missing' ? `~${fmt(r.bytes)}` : fmt(r.bytes)));
    const nameW = Math.max(4, ...rows.map((r) => r.name.length)) + 2;
    const statusW = Math.max(6, ...rows.map((r) => r.status.length)) + 2;
    const sizeW = Math.max(4, ...sizes.map((s) => s.length));
    io.stdout(`${'name'.padEnd(nameW)}${'status'.padEnd(statusW)}${'size'.padStart(sizeW)}  source\n`);
    rows.forEach((r, i) => {
      io.stdout(
        `${r.name.padEnd(nameW)}${r.status.padEnd(statusW)}${sizes[i]!.padStart(sizeW)}  ${r.source}${r.description ? ` — ${r.description}` : ''}\n`,
      );
    });
  },
});

const pull = defineCommand({
  name: 'pull',
  description: 'Download a model into the cache (from SEGKIT_HUB_URL, resuming partial files).',
  positionals: [nameArg],
  options: {
    'encoder-file': {
      type: 'string',
      valueName: 'FILE',
      description:
        'For an encoder + decoder pair: the encoder file in the repo (default: as config.json names it, else encoder.onnx)',
    },
    'decoder-file': {
      type: 'string',
      valueName: 'FILE',
      description:
        'For an encoder + decoder pair: the decoder file in the repo (default: as config.json names it, else decoder.onnx)',
    },
    dtype: {
      type: 'string',
      valueName: 'TYPE',
      description: `Weight variant for repos: ${DTYPES.join(', ')} (presets pick their own)`,
    },
  },
  examples: [
    'segkit models pull sam',
    'segkit models pull sam3',
    'segkit models pull Xenova/sam-vit-base --dtype q8',
    'segkit models pull SharpAI/sam2-hiera-tiny-onnx',
    'segkit models pull someone/sam-export --encoder-file vit_b.encoder.onnx --decoder-file vit_b.decoder.onnx',
  ],
  async run({ positionals, options, io }) {
    const dtype = options.dtype as string | undefined;
    if (dtype !== undefined && !DTYPES.includes(dtype))
      throw new UsageError(`--dtype must be one of ${DTYPES.join(', ')}`);
    const model = resolveModelRef(positionals[0]!, dtype ? { dtype: dtype as Dtype } : {});
    // Weights under their own terms (SAM 3): say which before the download starts.
    if (model.preset?.licence) io.stderr(`${model.name}'s weights: ${model.preset.licence}\n`);
    const manifest = await pullModel(model, {
      progress: (file) => progressBar(`${model.name} ${file}`, { unit: 'bytes' }),
      ...(typeof options['encoder-file'] === 'string' ? { encoderFile: options['encoder-file'] } : {}),
      ...(typeof options['decoder-file'] === 'string' ? { decoderFile: options['decoder-file'] } : {}),
    });
    const bytes = Object.values(manifest.files).reduce((a, b) => a + b, 0);
    io.stderr(`pulled ${model.name} (${fmt(bytes)}) into ${model.dir}\n`);
  },
});

const importCmd = defineCommand({
  name: 'import',
  description: 'Copy a model directory in hub layout into the cache under a name (for air-gapped machines).',
  positionals: [
    { name: 'dir', description: 'A folder with config.json, preprocessor_config.json and onnx/*.onnx' },
  ],
  options: {
    as: { type: 'string', valueName: 'NAME', description: 'The name to use with --model (required)' },
  },
  examples: ['segkit models import /media/usb/slimsam-77-uniform --as sam-offline'],
  async run({ positionals, options, io }) {
    const name = requireOption(options, 'as', 'segkit models import');
    const model = await importModel(positionals[0]!, name);
    io.stderr(`imported ${positionals[0]} as ${model.name} (${model.dir}); use --model ${model.name}\n`);
  },
});

const path = defineCommand({
  name: 'path',
  description: 'Print the directory a downloaded or imported model lives in.',
  positionals: [nameArg],
  examples: ['segkit models path sam'],
  async run({ positionals, io }) {
    io.stdout(`${requireModel(resolveModelRef(positionals[0]!))}\n`);
  },
});

const rm = defineCommand({
  name: 'rm',
  description: 'Delete a downloaded or imported model from the cache.',
  positionals: [nameArg],
  examples: ['segkit models rm sam'],
  async run({ positionals, io }) {
    const model = resolveModelRef(positionals[0]!);
    const status = modelStatus(model);
    const removed = await removeModel(model);
    if (!removed) throw new ModelMissingError(`${model.name} is not in the cache; nothing was removed`);
    io.stderr(
      status === 'missing'
        ? `removed an incomplete download of ${model.name} from ${model.dir}\n`
        : `removed ${model.name}${status === 'corrupt' ? ' (damaged)' : ''} from ${model.dir}\n`,
    );
  },
});

export const modelsCommand = defineCommand({
  name: 'models',
  description: 'Manage models: list presets and the cache, pull, import, locate and remove.',
  subcommands: {
    list: eager(list),
    pull: eager(pull),
    import: eager(importCmd),
    path: eager(path),
    rm: eager(rm),
  },
});
