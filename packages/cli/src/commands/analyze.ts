import { basename, extname } from 'node:path';
import { analyze, collectImages, plotRun, zipImageMasks } from '@segkit/analytics';
import { checkOutputs, progressBar, UsageError } from '@segkit/core';
import { defineCommand, eager, numberOption, requireOption } from '../command.js';
import { jsonOption, printResult } from '../util.js';

const plot = defineCommand({
  name: 'plot',
  description:
    'Draw the UMAP scatter of a run, coloured by cluster, with a legend (PNG, or --html for an interactive page).',
  positionals: [{ name: 'run-dir', description: 'A run directory written by segkit analyze' }],
  options: {
    output: { type: 'string', short: 'o', valueName: 'scatter.png', description: 'Output file (required)' },
    html: { type: 'boolean', description: 'Write a self-contained HTML page instead of a PNG' },
  },
  examples: [
    'segkit analyze plot artifacts/run-2026-11-23T15-00-00-000Z -o scatter.png',
    'segkit analyze plot artifacts/run-2026-11-23T15-00-00-000Z --html -o scatter.html',
  ],
  async run({ positionals, options, io }) {
    const out = requireOption(options, 'output', 'segkit analyze plot');
    checkOutputs({ files: [out] });
    const { notes, points } = await plotRun(positionals[0]!, out, { html: options.html === true });
    for (const note of notes) io.stderr(`note: ${note}\n`);
    io.stderr(`wrote ${out} (${points} masks)\n`);
  },
});

const zip = defineCommand({
  name: 'zip',
  description: 'Write a ZIP of all the mask PNGs of one image of a run, with their masks.jsonl rows.',
  positionals: [
    { name: 'run-dir', description: 'A run directory written by segkit analyze' },
    { name: 'image', description: 'The image: its stem (img00), file name (img00.png) or path' },
  ],
  options: {
    output: {
      type: 'string',
      short: 'o',
      valueName: 'masks.zip',
      description: 'Output file (default: <image-stem>-masks.zip)',
    },
  },
  examples: ['segkit analyze zip artifacts/run-2026-11-23T15-00-00-000Z img00.png -o img00-masks.zip'],
  async run({ positionals, options, io }) {
    const [runDir, image] = positionals as [string, string];
    const out =
      typeof options.output === 'string' ? options.output : `${basename(image, extname(image))}-masks.zip`;
    checkOutputs({ files: [out] });
    const { masks } = await zipImageMasks(runDir, image, out);
    io.stderr(`wrote ${out} (${masks} masks)\n`);
  },
});

export const analyzeCommand = defineCommand({
  name: 'analyze',
  description:
    'Mask analytics: segment images, embed every mask with CLIP, lay them out with UMAP and cluster with HDBSCAN.',
  positionals: [{ name: 'images', description: 'Image files or folders', variadic: true }],
  options: {
    backend: {
      type: 'string',
      valueName: 'sam|clipseg',
      default: 'sam',
      description: 'Automatic SAM masks, or CLIPSeg instances for --prompt',
    },
    prompt: { type: 'string', valueName: 'TEXT', description: 'Text prompt (clipseg backend)' },
    'segment-model': { type: 'string', valueName: 'NAME|REPO|DIR', description: 'Segmentation model' },
    'embed-model': { type: 'string', valueName: 'NAME|REPO|DIR', description: 'CLIP model (default: clip)' },
    output: {
      type: 'string',
      short: 'o',
      valueName: 'DIR',
      description: 'Parent folder for run-<timestamp>/, or an existing run to resume (required)',
      aliases: ['out'],
    },
    ...jsonOption,
    'min-cluster-size': {
      type: 'string',
      valueName: 'N',
      default: '5',
      description: 'HDBSCAN min_cluster_size',
    },
    'min-samples': {
      type: 'string',
      valueName: 'N',
      description:
        "HDBSCAN min_samples: neighbours besides the point itself (default: min_cluster_size, as hdbscan's)",
    },
    'cluster-selection-method': {
      type: 'string',
      valueName: 'eom|leaf',
      default: 'eom',
      description: 'HDBSCAN cluster_selection_method: excess of mass, or the finest clusters',
    },
    'cluster-selection-epsilon': {
      type: 'string',
      valueName: 'D',
      default: '0',
      description: 'HDBSCAN cluster_selection_epsilon: do not split clusters closer than D (layout units)',
    },
    'allow-single-cluster': {
      type: 'boolean',
      description: 'HDBSCAN allow_single_cluster: the whole run may be one cluster',
    },
    seed: { type: 'string', valueName: 'N', default: '42', description: 'UMAP seed' },
    'n-neighbors': {
      type: 'string',
      valueName: 'N',
      default: '15',
      description: 'UMAP n_neighbors (reduced for small runs)',
    },
    'min-dist': { type: 'string', valueName: 'D', default: '0.1', description: 'UMAP min_dist' },
    'points-per-side': {
      type: 'string',
      valueName: 'N',
      default: '16',
      description: 'SAM point grid density',
    },
    'min-area': {
      type: 'string',
      valueName: 'FRACTION',
      default: '0.005',
      description: 'Drop masks smaller than this fraction of their image',
    },
  },
  subcommands: { plot: eager(plot), zip: eager(zip) },
  examples: [
    'segkit analyze photos/ --backend sam --out artifacts/ --min-cluster-size 5 --seed 42',
    'segkit analyze wall.jpg --backend clipseg --prompt "segment crack" --out artifacts/',
  ],
  async run({ positionals, options, io }) {
    const out = requireOption(options, 'output', 'segkit analyze');
    checkOutputs({ dirs: [out] });
    const backend = String(options.backend ?? 'sam');
    if (backend !== 'sam' && backend !== 'clipseg') throw new UsageError('--backend must be sam or clipseg');
    const method = String(options['cluster-selection-method'] ?? 'eom');
    if (method !== 'eom' && method !== 'leaf')
      throw new UsageError('--cluster-selection-method must be eom or leaf');
    const images = collectImages(positionals);
    const { dir, run } = await analyze(images, out, {
      backend,
      ...(typeof options.prompt === 'string' ? { prompt: options.prompt } : {}),
      ...(typeof options['segment-model'] === 'string' ? { segmentModel: options['segment-model'] } : {}),
      ...(typeof options['embed-model'] === 'string' ? { embedModel: options['embed-model'] } : {}),
      minClusterSize: numberOption(options, 'min-cluster-size', 5, 2),
      ...(options['min-samples'] !== undefined
        ? { minSamples: numberOption(options, 'min-samples', 5, 1) }
        : {}),
      clusterSelectionMethod: method,
      clusterSelectionEpsilon: numberOption(options, 'cluster-selection-epsilon', 0, 0),
      allowSingleCluster: options['allow-single-cluster'] === true,
      seed: numberOption(options, 'seed', 42, 0),
      nNeighbors: numberOption(options, 'n-neighbors', 15, 2),
      minDist: numberOption(options, 'min-dist', 0.1, 0, 1),
      pointsPerSide: numberOption(options, 'points-per-side', 16, 1, 64),
      minAreaFraction: numberOption(options, 'min-area', 0.005, 0, 1),
      progress: progressBar('analyze images', { unit: 'items' }),
    });
    const c = (run as { counts: Record<string, number> }).counts;
    printResult(
      io,
      options,
      { dir, ...(run as object) },
      () => `${c.images} images, ${c.masks} masks, ${c.clusters} clusters, ${c.noise} noise: ${dir}\n`,
    );
    io.stderr(`wrote ${dir}\n`);
  },
});
