import { describe, expect, it } from 'vitest';
import { adjustedRandIndex, hdbscan, umap2d, umap2dAsync } from '../src/index.js';

/** 3 well-separated groups in 32 dimensions. */
function groups(perGroup: number): { vectors: number[][]; truth: number[] } {
  let s = 11;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  const vectors: number[][] = [];
  const truth: number[] = [];
  for (let g = 0; g < 3; g++) {
    for (let i = 0; i < perGroup; i++) {
      vectors.push(Array.from({ length: 32 }, (_, d) => (d % 3 === g ? 5 : 0) + (rand() - 0.5)));
      truth.push(g);
    }
  }
  return { vectors, truth };
}

describe('umap2d', () => {
  it('is reproducible for a seed and keeps separated groups apart (UMAP + HDBSCAN ARI ≥ 0.9)', async () => {
    const { vectors, truth } = groups(30);
    const a = umap2d(vectors, { seed: 7, nNeighbors: 10 });
    const b = umap2d(vectors, { seed: 7, nNeighbors: 10 });
    expect(a.points).toEqual(b.points);
    expect(await umap2dAsync(vectors, { seed: 7, nNeighbors: 10 })).toEqual(a);
    expect(a.points).toHaveLength(90);
    // umap-learn's start: a spectral layout of the fuzzy graph (read from umap-js, which is pinned; if an upgrade
    // renamed its graph field, this says so instead of silently falling back to a random start).
    expect(a.init).toBe('spectral');
    const random = umap2d(vectors, { seed: 7, nNeighbors: 10, init: 'random' });
    expect(random.init).toBe('random');
    expect(random.points).not.toEqual(a.points);
    const labels = hdbscan(a.points, { minClusterSize: 5 });
    expect(adjustedRandIndex(labels, truth)).toBeGreaterThanOrEqual(0.9);
  });

  it('adapts nNeighbors to small inputs and places 1–2 points on a line', () => {
    const { vectors } = groups(2); // 6 points
    const r = umap2d(vectors, { nNeighbors: 15 });
    expect(r).toMatchObject({ nNeighbors: 5, adapted: true });
    expect(r.points).toHaveLength(6);
    expect(umap2d([[1, 2]], {})).toEqual({ points: [[0, 0]], nNeighbors: 1, adapted: true, init: 'random' });
  });
});
