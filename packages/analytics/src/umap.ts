import { InvalidArgumentError, seededRandom } from '@segkit/core';
import { UMAP } from 'umap-js';
import { nnDescent } from './nndescent.js';
import { spectralLayout } from './spectral.js';
import { findAbParams, fuzzyGraph, optimizeLayout, toCoo } from './umap-fast.js';

/** Options for {@link umap2d}. */
export interface UmapOptions {
  /** Neighbourhood size (default 15); reduced automatically when there are too few points. */
  nNeighbors?: number;
  /** How tightly points may pack (default 0.1). */
  minDist?: number;
  /** Seed for a reproducible layout (default 42). */
  seed?: number;
  /** Optimisation epochs (default: umap-js chooses from the data size). */
  nEpochs?: number;
  /** Starting layout: 'spectral' (default, as umap-learn) or 'random' (umap-js's own). */
  init?: 'spectral' | 'random';
  /**
   * `typed`: SegKit's own UMAP in typed arrays (nearest-neighbour descent, CSR graph, umap-learn's SGD), bounded in
   * memory; `umap-js`: the umap-js package. Default: `typed` from {@link TYPED_FROM} points up, umap-js below.
   */
  engine?: 'typed' | 'umap-js';
}

/** From this many points up, `umap2dAsync` uses the typed-array UMAP by default (umap-js is as fast below it). */
export const TYPED_FROM = 2000;

/** The layout and the parameters actually used (nNeighbors may have been reduced). */
export interface UmapResult {
  points: [number, number][];
  nNeighbors: number;
  adapted: boolean;
  /** The starting layout actually used. */
  init: 'spectral' | 'random';
}

/** The fuzzy graph umap-js builds in `initializeFit`: a private field, read defensively (umap-js is pinned). */
interface FuzzyGraph {
  nRows: number;
  getAll(): { row: number; col: number; value: number }[];
}

/** A UMAP fit that is set up (neighbours, fuzzy graph, start) and ready to optimise epoch by epoch. */
interface PreparedUmap {
  epochs: number;
  step(): void;
  finish(): UmapResult;
}

function prepareUmap(vectors: ArrayLike<number>[], opts: UmapOptions): PreparedUmap | UmapResult {
  const wanted = opts.nNeighbors ?? 15;
  if (!Number.isInteger(wanted) || wanted < 2)
    throw new InvalidArgumentError(`Expected an integer ≥ 2 for nNeighbors but received ${wanted}`);
  const n = vectors.length;
  if (n < 3)
    return {
      points: Array.from({ length: n }, (_, i) => [i, 0] as [number, number]),
      nNeighbors: Math.max(1, n - 1),
      adapted: true,
      init: 'random',
    };
  const nNeighbors = Math.min(wanted, n - 1);
  const model = new UMAP({
    nComponents: 2,
    nNeighbors,
    minDist: opts.minDist ?? 0.1,
    random: seededRandom(opts.seed ?? 42),
    ...(opts.nEpochs ? { nEpochs: opts.nEpochs } : {}),
  });
  const data = vectors.map((v) => Array.from(v));
  const epochs = model.initializeFit(data);
  let init: UmapResult['init'] = 'random';
  const graph = (model as unknown as { graph?: FuzzyGraph }).graph;
  if ((opts.init ?? 'spectral') === 'spectral' && typeof graph?.getAll === 'function') {
    const entries = graph.getAll();
    const start = spectralLayout(
      {
        n,
        rows: entries.map((e) => e.row),
        cols: entries.map((e) => e.col),
        values: entries.map((e) => e.value),
      },
      data,
      seededRandom((opts.seed ?? 42) ^ 0x5eed),
    );
    // getEmbedding() is the array the optimiser moves, so the start is written into it in place.
    const embedding = model.getEmbedding();
    for (let i = 0; i < n; i++) {
      embedding[i]![0] = start[i]![0];
      embedding[i]![1] = start[i]![1];
    }
    init = 'spectral';
  }
  return {
    epochs,
    step: () => model.step(),
    finish: () => ({
      points: model.getEmbedding().map((p) => [p[0]!, p[1]!] as [number, number]),
      nNeighbors,
      adapted: nNeighbors !== wanted,
      init,
    }),
  };
}

/**
 * A seeded 2-D UMAP layout (umap-js). With fewer points than `nNeighbors + 1`, `nNeighbors` is reduced to
 * `points − 1` (reported as `adapted`); with fewer than 3 points, the points are placed on a line. The optimiser
 * starts from a spectral layout of the fuzzy graph, as umap-learn does (see spectral.ts), unless `init: 'random'`.
 * @example const { points } = umap2d(vectors, { nNeighbors: 15, minDist: 0.1, seed: 42 });
 */
export function umap2d(vectors: ArrayLike<number>[], opts: UmapOptions = {}): UmapResult {
  const run = prepareUmap(vectors, opts);
  if ('points' in run) return run;
  for (let e = 0; e < run.epochs; e++) run.step();
  return run.finish();
}

/** The typed-array UMAP (see umap-fast.ts and nndescent.ts); yields to the event loop as it goes. */
async function umapTyped(vectors: ArrayLike<number>[], opts: UmapOptions): Promise<UmapResult> {
  const wanted = opts.nNeighbors ?? 15;
  const n = vectors.length;
  const nNeighbors = Math.min(wanted, n - 1);
  const d = vectors[0]!.length;
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const v = vectors[i]!;
    for (let k = 0; k < d; k++) x[i * d + k] = v[k]!;
  }
  const random = seededRandom(opts.seed ?? 42);
  const tick = () => new Promise<void>((r) => setImmediate(r));
  // umap-learn's n_neighbors counts the point itself.
  const knn = await nnDescent(x, n, d, { k: nNeighbors, random, onProgress: tick });
  const graph = fuzzyGraph(n, knn.k, knn.index, knn.dist);
  const emb = new Float32Array(2 * n);
  let init: UmapResult['init'] = 'random';
  if ((opts.init ?? 'spectral') === 'spectral') {
    const start = spectralLayout(toCoo(graph), vectors, seededRandom((opts.seed ?? 42) ^ 0x5eed));
    for (let i = 0; i < n; i++) {
      emb[2 * i] = start[i]![0];
      emb[2 * i + 1] = start[i]![1];
    }
    init = 'spectral';
  } else for (let i = 0; i < 2 * n; i++) emb[i] = random() * 20 - 10;
  const { a, b } = findAbParams(1, opts.minDist ?? 0.1);
  const epochs = opts.nEpochs ?? (n <= 10_000 ? 500 : 200);
  await optimizeLayout(graph, emb, { a, b, epochs, random, onEpoch: tick });
  const points = Array.from({ length: n }, (_, i) => [emb[2 * i]!, emb[2 * i + 1]!] as [number, number]);
  return { points, nNeighbors, adapted: nNeighbors !== wanted, init };
}

/**
 * {@link umap2d} that gives the event loop a turn every few epochs, so that Ctrl-C and progress output are not held
 * up for the whole optimisation. Same result as `umap2d` for the same input and options.
 */
export async function umap2dAsync(vectors: ArrayLike<number>[], opts: UmapOptions = {}): Promise<UmapResult> {
  const engine = opts.engine ?? (vectors.length >= TYPED_FROM ? 'typed' : 'umap-js');
  if (engine === 'typed' && vectors.length >= 3) {
    const wanted = opts.nNeighbors ?? 15;
    if (!Number.isInteger(wanted) || wanted < 2)
      throw new InvalidArgumentError(`Expected an integer ≥ 2 for nNeighbors but received ${wanted}`);
    return umapTyped(vectors, opts);
  }
  const run = prepareUmap(vectors, opts);
  if ('points' in run) return run;
  for (let e = 0; e < run.epochs; e++) {
    run.step();
    if (e % 5 === 4) await new Promise((r) => setImmediate(r));
  }
  return run.finish();
}
