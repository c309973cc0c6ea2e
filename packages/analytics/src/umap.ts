import { InvalidArgumentError, seededRandom } from '@segkit/core';
import { UMAP } from 'umap-js';

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
}

/** The layout and the parameters actually used (nNeighbors may have been reduced). */
export interface UmapResult {
  points: [number, number][];
  nNeighbors: number;
  adapted: boolean;
}

/**
 * A seeded 2-D UMAP layout (umap-js). With fewer points than `nNeighbors + 1`, `nNeighbors` is reduced to
 * `points − 1` (reported as `adapted`); with fewer than 3 points, the points are placed on a line.
 * @example const { points } = umap2d(vectors, { nNeighbors: 15, minDist: 0.1, seed: 42 });
 */
export function umap2d(vectors: ArrayLike<number>[], opts: UmapOptions = {}): UmapResult {
  const wanted = opts.nNeighbors ?? 15;
  if (!Number.isInteger(wanted) || wanted < 2)
    throw new InvalidArgumentError(`Expected an integer ≥ 2 for nNeighbors but received ${wanted}`);
  const n = vectors.length;
  if (n < 3)
    return {
      points: Array.from({ length: n }, (_, i) => [i, 0] as [number, number]),
      nNeighbors: Math.max(1, n - 1),
      adapted: true,
    };
  const nNeighbors = Math.min(wanted, n - 1);
  const model = new UMAP({
    nComponents: 2,
    nNeighbors,
    minDist: opts.minDist ?? 0.1,
    random: seededRandom(opts.seed ?? 42),
    ...(opts.nEpochs ? { nEpochs: opts.nEpochs } : {}),
  });
  const points = model.fit(vectors.map((v) => Array.from(v))) as [number, number][];
  return { points, nNeighbors, adapted: nNeighbors !== wanted };
}
