import { describe, expect, it } from 'vitest';
import { adjustedRandIndex, hdbscan, hdbscanFull } from '../src/index.js';

describe('hdbscan', () => {
  it('matches a hand-worked example', () => {
    // Points on a line: A = {0, 1, 2}, B = {10, 11, 12}, outlier 30; minClusterSize 3, minSamples 1 (hdbscan's
    // meaning: the nearest other point). Core distances: 1 for A and B, 18 for 30. Mutual-reachability MST: four edges of weight 1
    // inside A and B, A–B at 8 (2↔10), B–30 at 18. Condensed tree: 30 falls out of the root at λ = 1/18; at λ = 1/8
    // the root splits into A and B (both ≥ 3 points); each then dissolves at λ = 1, so stability(A) = stability(B) =
    // 3·(1 − 1/8) = 2.625. Both leaves are selected; 30 belongs to no selected cluster → noise.
    const labels = hdbscan([[0], [1], [2], [10], [11], [12], [30]], { minClusterSize: 3, minSamples: 1 });
    expect(Array.from(labels)).toEqual([0, 0, 0, 1, 1, 1, -1]);
    for (const algorithm of ['exact', 'kdtree'] as const)
      expect(
        Array.from(
          hdbscan([[0], [1], [2], [10], [11], [12], [30]], { minClusterSize: 3, minSamples: 1, algorithm }),
        ),
      ).toEqual([0, 0, 0, 1, 1, 1, -1]);
  });

  it('labels everything noise when no split makes two clusters (one blob, no single-cluster mode)', () => {
    expect(Array.from(hdbscan([[0], [1], [2], [3], [4]], { minClusterSize: 3 }))).toEqual([
      -1, -1, -1, -1, -1,
    ]);
    expect(Array.from(hdbscan([[0], [1]], { minClusterSize: 3 }))).toEqual([-1, -1]);
    expect(Array.from(hdbscan([], { minClusterSize: 3 }))).toEqual([]);
  });

  it('recovers three separated blobs (ARI ≥ 0.9)', () => {
    let s = 3;
    const rand = () => {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      return s / 2 ** 31;
    };
    const centres = [
      [0, 0],
      [8, 0],
      [4, 7],
    ];
    const pts: number[][] = [];
    const truth: number[] = [];
    centres.forEach(([cx, cy], c) => {
      for (let i = 0; i < 60; i++) {
        const r = Math.sqrt(-2 * Math.log(rand() + 1e-9));
        const t = 2 * Math.PI * rand();
        pts.push([cx! + 0.6 * r * Math.cos(t), cy! + 0.6 * r * Math.sin(t)]);
        truth.push(c);
      }
    });
    const labels = hdbscan(pts, { minClusterSize: 10 });
    const clustered = Array.from(labels).filter((l) => l >= 0).length;
    expect(new Set(Array.from(labels).filter((l) => l >= 0)).size).toBe(3);
    expect(clustered).toBeGreaterThan(150);
    expect(adjustedRandIndex(labels, truth)).toBeGreaterThanOrEqual(0.9);
  });

  it('rejects a bad minClusterSize', () => {
    expect(() => hdbscan([[0]], { minClusterSize: 1 })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }),
    );
  });
});

describe('adjustedRandIndex', () => {
  it('is 1 for identical partitions up to renaming and about 0 for unrelated ones', () => {
    expect(adjustedRandIndex([0, 0, 1, 1, 2], [5, 5, 7, 7, 9])).toBe(1);
    expect(Math.abs(adjustedRandIndex([0, 1, 0, 1, 0, 1, 0, 1], [0, 0, 1, 1, 0, 0, 1, 1]))).toBeLessThan(0.2);
  });
});

describe('hdbscan’s other outputs and options', () => {
  const line = [[0], [1], [2], [10], [11], [12], [30]];

  it('membership probabilities and GLOSH outlier scores, worked by hand', () => {
    // A and B dissolve at λ = 1 (their largest λ), so their points have probability 1 and outlier score 0; 30 left
    // the root at λ = 1/18 while the deepest λ under the root is 1: score 1 − 1/18.
    const r = hdbscanFull(line, { minClusterSize: 3, minSamples: 1 });
    expect(Array.from(r.probabilities)).toEqual([1, 1, 1, 1, 1, 1, 0]);
    expect(Array.from(r.outlierScores.slice(0, 6))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(r.outlierScores[6]).toBeCloseTo(1 - 1 / 18, 12);
  });

  it('allowSingleCluster lets one blob be a cluster; without it the blob is noise', () => {
    const blob = [[0], [1], [2], [3], [4], [5]];
    expect(Array.from(hdbscan(blob, { minClusterSize: 3, minSamples: 1 }))).toEqual([-1, -1, -1, -1, -1, -1]);
    const single = hdbscan(blob, { minClusterSize: 3, minSamples: 1, allowSingleCluster: true });
    // All points leave the root at the same λ (every edge has weight 1), the root's largest: all in cluster 0.
    expect(Array.from(single)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('leaf selection takes the finest clusters; an epsilon merges those closer than it', () => {
    // Two tight pairs of groups: {0..3} and {6..9} 3 apart, {40..43} and {46..49} too; the pairs 30 apart.
    const pts = [0, 1, 2, 3, 6, 7, 8, 9, 40, 41, 42, 43, 46, 47, 48, 49].map((v) => [v]);
    const o = { minClusterSize: 4, minSamples: 1 } as const;
    const eom = hdbscan(pts, o);
    const leaf = hdbscan(pts, { ...o, clusterSelectionMethod: 'leaf' });
    expect(new Set(leaf).size).toBe(4); // the four groups of 4
    expect(new Set(eom).size).toBeLessThanOrEqual(4);
    // With ε = 5 (more than the 3 between groups of a pair, less than the 31 between pairs): the two pairs.
    const merged = hdbscan(pts, { ...o, clusterSelectionMethod: 'leaf', clusterSelectionEpsilon: 5 });
    expect(Array.from(merged)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(() => hdbscan(pts, { ...o, clusterSelectionEpsilon: -1 })).toThrow(/clusterSelectionEpsilon/);
    expect(() => hdbscan(pts, { ...o, clusterSelectionMethod: 'best' as 'leaf' })).toThrow(/eom or leaf/);
  });
});
