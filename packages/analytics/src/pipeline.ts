import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { appendFile, mkdir, rm } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import {
  area,
  type Box,
  bbox,
  FileNotFoundError,
  InvalidArgumentError,
  loadImage,
  type Mask,
  type Progress,
  silentProgress,
  writeFileAtomic,
  writeMask,
} from '@segkit/core';
import {
  DEFAULT_SEGMENT_MODEL,
  embedMasks,
  requireModel,
  resolveModelRef,
  Segmenter,
  segmentText,
} from '@segkit/models';
import { hdbscanFull } from './hdbscan.js';
import { readNpy, writeNpy } from './npy.js';
import { umap2dAsync } from './umap.js';

/** The pipeline name written to run.json; a run directory of another pipeline is refused. */
export const PIPELINE = 'segkit.analyze';
const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff']);

export interface AnalyzeOptions {
  backend: 'sam' | 'clipseg';
  prompt?: string;
  segmentModel?: string;
  embedModel?: string;
  /** hdbscan's `min_cluster_size` (default 5). */
  minClusterSize?: number;
  /** hdbscan's `min_samples`: neighbours other than the point itself (default: minClusterSize). */
  minSamples?: number;
  /** hdbscan's `cluster_selection_method` (default eom). */
  clusterSelectionMethod?: 'eom' | 'leaf';
  /** hdbscan's `cluster_selection_epsilon`, in layout units (default 0). */
  clusterSelectionEpsilon?: number;
  /** hdbscan's `allow_single_cluster` (default false). */
  allowSingleCluster?: boolean;
  seed?: number;
  nNeighbors?: number;
  minDist?: number;
  /** SAM grid density (default 16). */
  pointsPerSide?: number;
  /** Drop SAM masks covering more than this fraction of their image, such as the background (default 0.5). */
  maxAreaFraction?: number;
  /** Drop masks covering less than this fraction of their image: scraps too small to embed (default 0.005). */
  minAreaFraction?: number;
  progress?: Progress;
}

/** One row of masks.jsonl. */
export interface MaskRow {
  id: string;
  image: string;
  bbox: Box;
  area: number;
  score: number;
  backend: string;
  prompt: string | null;
  embedding: { file: string; index: number };
  mask_umap: [number, number] | null;
  mask_cluster: number | null;
  /** hdbscan's `probabilities_`: how strongly the mask belongs to its cluster (0 for noise). */
  mask_cluster_probability?: number | null;
  /** hdbscan's `outlier_scores_` (GLOSH): near 1 for the run's outliers. */
  mask_outlier_score?: number | null;
}

/** Image files named on the command line, or found in folders. */
export function collectImages(inputs: string[]): string[] {
  const out: string[] = [];
  for (const p of inputs) {
    if (!existsSync(p)) throw new FileNotFoundError(`Not found: ${p}`);
    if (statSync(p).isDirectory())
      out.push(
        ...readdirSync(p)
          .filter((f) => IMAGE_EXT.has(extname(f).toLowerCase()))
          .sort()
          .map((f) => join(p, f)),
      );
    else out.push(p);
  }
  if (!out.length) throw new InvalidArgumentError('No images to analyze');
  return out;
}

/** Settings that decide which masks an image gets and how they embed: a resumed run must keep them. */
const SEGMENT_PARAMS = [
  'backend',
  'prompt',
  'segmentModel',
  'embedModel',
  'pointsPerSide',
  'maxAreaFraction',
  'minAreaFraction',
] as const;

/**
 * Opens `out` as a run directory (resuming it) or creates `out/run-<timestamp>/`. A resumed run must have been made
 * with the same segmentation and embedding settings (UMAP and HDBSCAN settings may change: they are recomputed).
 */
export async function openRunDir(
  out: string,
  params: Record<string, unknown>,
): Promise<{ dir: string; resumed: boolean }> {
  const manifest = join(out, 'run.json');
  if (existsSync(manifest)) {
    const run = JSON.parse(readFileSync(manifest, 'utf8')) as {
      pipeline?: string;
      params?: Record<string, unknown>;
    };
    if (run.pipeline !== PIPELINE)
      throw new InvalidArgumentError(
        `${out} is a run directory of another pipeline (${JSON.stringify(run.pipeline)}); choose a new --out`,
      );
    const changed = SEGMENT_PARAMS.filter(
      (k) =>
        run.params?.[k] !== undefined && JSON.stringify(run.params[k]) !== JSON.stringify(params[k] ?? null),
    );
    if (changed.length)
      throw new InvalidArgumentError(
        `${out} was made with ${changed.map((k) => `${k}=${JSON.stringify(run.params![k])}`).join(', ')}; ` +
          `resume it with the same settings (now ${changed.map((k) => `${k}=${JSON.stringify(params[k] ?? null)}`).join(', ')}) or choose a new --out`,
      );
    return { dir: out, resumed: true };
  }
  const dir = join(out, `run-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(
    join(dir, 'run.json'),
    `${JSON.stringify({ pipeline: PIPELINE, status: 'running', params }, null, 2)}\n`,
  );
  return { dir, resumed: false };
}

const stemOf = (p: string) => basename(p, extname(p));

/** The settings recorded in run.json. */
type RunParams = {
  backend: AnalyzeOptions['backend'];
  prompt: string | null;
  minClusterSize: number;
  /** null: hdbscan's default, minClusterSize. */
  minSamples: number | null;
  clusterSelectionMethod: 'eom' | 'leaf';
  clusterSelectionEpsilon: number;
  allowSingleCluster: boolean;
  seed: number;
  nNeighbors: number;
  minDist: number;
  pointsPerSide: number;
  maxAreaFraction: number;
  minAreaFraction: number;
  segmentModel: string | null;
  embedModel: string | null;
  /** `hdbscan`: min_samples counts other points only (SegKit ≥ 0.2). Runs without it counted the point itself. */
  minSamplesMeaning: 'hdbscan';
};

/**
 * The mask analytics pipeline: `sam_segment` (automatic masks) or `clipseg_segment` (text instances), then
 * `embed_masks` (CLIP, one .npy per image), `umap` (mask_embedding → mask_umap) and `hdbscan` (mask_umap →
 * mask_cluster, noise −1). Finished images are journalled, so running it again on the same run directory skips them;
 * every file is written atomically.
 */
export async function analyze(
  images: string[],
  out: string,
  opts: AnalyzeOptions,
): Promise<{ dir: string; rows: MaskRow[]; run: Record<string, unknown> }> {
  if (opts.backend === 'clipseg' && !opts.prompt?.trim())
    throw new InvalidArgumentError('--backend clipseg needs --prompt TEXT');
  // Masks and embeddings are filed by image stem: the same file twice runs once, two files sharing a stem are refused
  // (the second would otherwise be skipped as done).
  const byStem = new Map<string, string>();
  for (const p of images) {
    const seen = byStem.get(stemOf(p));
    if (seen && resolve(seen) !== resolve(p))
      throw new InvalidArgumentError(
        `Two images share the name "${stemOf(p)}" (${seen} and ${p}); rename one or analyze them in separate runs`,
      );
    byStem.set(stemOf(p), p);
  }
  images = [...byStem.values()];
  const params: RunParams = {
    backend: opts.backend,
    prompt: opts.prompt ?? null,
    minClusterSize: opts.minClusterSize ?? 5,
    minSamples: opts.minSamples ?? null,
    clusterSelectionMethod: opts.clusterSelectionMethod ?? 'eom',
    clusterSelectionEpsilon: opts.clusterSelectionEpsilon ?? 0,
    allowSingleCluster: opts.allowSingleCluster ?? false,
    seed: opts.seed ?? 42,
    nNeighbors: opts.nNeighbors ?? 15,
    minDist: opts.minDist ?? 0.1,
    pointsPerSide: opts.pointsPerSide ?? 16,
    maxAreaFraction: opts.maxAreaFraction ?? 0.5,
    minAreaFraction: opts.minAreaFraction ?? 0.005,
    segmentModel: opts.segmentModel ?? null,
    embedModel: opts.embedModel ?? null,
    minSamplesMeaning: 'hdbscan',
  };
  // HDBSCAN runs last: its settings are checked before any image is segmented.
  if (!Number.isInteger(params.minClusterSize) || params.minClusterSize < 2)
    throw new InvalidArgumentError(
      `Expected an integer ≥ 2 for minClusterSize but received ${params.minClusterSize}`,
    );
  if (params.minSamples !== null && !(Number.isInteger(params.minSamples) && params.minSamples >= 1))
    throw new InvalidArgumentError(
      `Expected an integer ≥ 1 for minSamples but received ${params.minSamples}`,
    );
  if (params.clusterSelectionMethod !== 'eom' && params.clusterSelectionMethod !== 'leaf')
    throw new InvalidArgumentError(
      `Expected eom or leaf for clusterSelectionMethod but received ${JSON.stringify(params.clusterSelectionMethod)}`,
    );
  if (!(params.clusterSelectionEpsilon >= 0))
    throw new InvalidArgumentError(
      `Expected a number ≥ 0 for clusterSelectionEpsilon but received ${params.clusterSelectionEpsilon}`,
    );
  for (const k of ['maxAreaFraction', 'minAreaFraction'] as const)
    if (!(params[k] >= 0 && params[k] <= 1))
      throw new InvalidArgumentError(`Expected ${k} between 0 and 1 but received ${params[k]}`);
  // Every model must be there before a run folder is made: a missing one names the command that gets it.
  for (const model of [
    opts.segmentModel ?? (opts.backend === 'sam' ? DEFAULT_SEGMENT_MODEL : 'clipseg'),
    opts.embedModel ?? 'clip',
  ])
    requireModel(resolveModelRef(model));
  const segmenter =
    opts.backend === 'sam'
      ? await Segmenter.create({ model: opts.segmentModel ?? DEFAULT_SEGMENT_MODEL })
      : undefined;
  const { dir, resumed } = await openRunDir(out, params);
  try {
    return await runImages(images, dir, resumed, segmenter, params, opts);
  } catch (e) {
    // A new run that failed before its first image leaves no folder behind.
    if (!resumed && !existsSync(join(dir, '.done.jsonl'))) await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

async function runImages(
  images: string[],
  dir: string,
  resumed: boolean,
  segmenter: Segmenter | undefined,
  params: RunParams,
  opts: AnalyzeOptions,
): Promise<{ dir: string; rows: MaskRow[]; run: Record<string, unknown> }> {
  const journal = join(dir, '.done.jsonl');
  const done = new Map<string, MaskRow[]>();
  if (existsSync(journal)) {
    for (const line of readFileSync(journal, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const e = JSON.parse(line) as { image: string; rows: MaskRow[] };
        done.set(e.image, e.rows);
      } catch {
        // an interrupted last line: that image runs again
      }
    }
  }
  const t0 = performance.now();
  const progress = opts.progress ?? silentProgress;
  let finished = 0;
  const timings = { segment: 0, embed: 0, umap: 0, hdbscan: 0 };
  for (const path of images) {
    const stem = stemOf(path);
    if (done.has(stem)) {
      progress.update(++finished, images.length);
      continue;
    }
    const image = await loadImage(path);
    let ts = performance.now();
    let masks: { mask: Mask; score: number; bbox: Box; area: number }[];
    if (segmenter) {
      masks = (await segmenter.generateMasks(image, { pointsPerSide: params.pointsPerSide })).filter(
        (m) => m.area <= params.maxAreaFraction * image.width * image.height,
      );
    } else {
      const [r] = await segmentText(image, [opts.prompt!], {
        instances: true,
        ...(opts.segmentModel ? { model: opts.segmentModel } : {}),
      });
      masks = (r!.instances ?? []).map((m) => ({ mask: m, score: 1, bbox: bbox(m), area: area(m) }));
    }
    masks = masks.filter((m) => m.area >= params.minAreaFraction * image.width * image.height);
    timings.segment += performance.now() - ts;
    ts = performance.now();
    const vectors = masks.length
      ? await embedMasks(
          image,
          masks.map((m) => m.mask),
          opts.embedModel ? { model: opts.embedModel } : {},
        )
      : [];
    timings.embed += performance.now() - ts;
    await mkdir(join(dir, 'masks', stem), { recursive: true });
    await mkdir(join(dir, 'embeddings'), { recursive: true });
    const rows: MaskRow[] = [];
    for (const [k, m] of masks.entries()) {
      await writeMask(join(dir, 'masks', stem, `${k}.png`), m.mask);
      rows.push({
        id: `${stem}/${k}`,
        image: path,
        bbox: m.bbox,
        area: m.area,
        score: Number(m.score.toFixed(4)),
        backend: opts.backend,
        prompt: opts.prompt ?? null,
        embedding: { file: `embeddings/${stem}.npy`, index: k },
        mask_umap: null,
        mask_cluster: null,
      });
    }
    if (vectors.length) {
      const d = vectors[0]!.length;
      const flat = new Float32Array(vectors.length * d);
      for (const [i, v] of vectors.entries()) flat.set(v, i * d);
      await writeNpy(join(dir, 'embeddings', `${stem}.npy`), flat, [vectors.length, d]);
    }
    await appendFile(journal, `${JSON.stringify({ image: stem, rows })}\n`);
    done.set(stem, rows);
    progress.update(++finished, images.length);
  }
  progress.finish();
  // umap and hdbscan over every mask of the run.
  const rows = images.flatMap((p) => done.get(stemOf(p)) ?? []);
  const vectors: Float32Array[] = [];
  const cache = new Map<string, { data: Float32Array; shape: number[] }>();
  for (const r of rows) {
    let m = cache.get(r.embedding.file);
    if (!m) {
      m = await readNpy(join(dir, r.embedding.file));
      cache.set(r.embedding.file, m);
    }
    const d = m.shape[1]!;
    vectors.push(m.data.slice(r.embedding.index * d, (r.embedding.index + 1) * d));
  }
  let ts = performance.now();
  const layout = await umap2dAsync(vectors, {
    nNeighbors: params.nNeighbors,
    minDist: params.minDist,
    seed: params.seed,
  });
  timings.umap = performance.now() - ts;
  ts = performance.now();
  const {
    labels: clusters,
    probabilities,
    outlierScores,
  } = hdbscanFull(layout.points, {
    minClusterSize: params.minClusterSize,
    ...(params.minSamples !== null ? { minSamples: params.minSamples } : {}),
    clusterSelectionMethod: params.clusterSelectionMethod,
    clusterSelectionEpsilon: params.clusterSelectionEpsilon,
    allowSingleCluster: params.allowSingleCluster,
  });
  timings.hdbscan = performance.now() - ts;
  const round = (v: number) => (Number.isFinite(v) ? Number(v.toFixed(4)) : null);
  rows.forEach((r, i) => {
    r.mask_umap = layout.points[i]!;
    r.mask_cluster = clusters[i]!;
    r.mask_cluster_probability = round(probabilities[i]!);
    r.mask_outlier_score = round(outlierScores[i]!);
  });
  await writeFileAtomic(
    join(dir, 'masks.jsonl'),
    rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''),
  );
  const clusterCount = new Set(Array.from(clusters).filter((c) => c >= 0)).size;
  const run = {
    pipeline: PIPELINE,
    status: 'complete',
    params,
    operations: [
      'sam' === opts.backend ? 'sam_segment' : 'clipseg_segment',
      'embed_masks',
      'umap',
      'hdbscan',
    ],
    fields: {
      umap: { source: 'mask_embedding', output_field: 'mask_umap' },
      hdbscan: { source: 'mask_umap', output_field: 'mask_cluster' },
    },
    models: {
      segment: segmenter?.modelName ?? opts.segmentModel ?? 'clipseg',
      embed: opts.embedModel ?? 'clip',
    },
    umap: { nNeighbors: layout.nNeighbors, adapted: layout.adapted, init: layout.init },
    counts: {
      images: images.length,
      imagesWithoutMasks: images.filter((p) => !(done.get(stemOf(p)) ?? []).length).length,
      masks: rows.length,
      clusters: clusterCount,
      noise: Array.from(clusters).filter((c) => c < 0).length,
    },
    resumed,
    timingsMs: { ...timings, total: performance.now() - t0 },
  };
  await writeFileAtomic(join(dir, 'run.json'), `${JSON.stringify(run, null, 2)}\n`);
  return { dir, rows, run };
}
