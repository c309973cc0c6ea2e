import { seededRandom } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import { type CooGraph, spectralLayout, symmetricEigen } from '../src/spectral.js';

/** An undirected graph from edge pairs (weight 1), with both directions listed. */
function graph(n: number, edges: [number, number][]): CooGraph {
  const rows: number[] = [];
  const cols: number[] = [];
  for (const [a, b] of edges) {
    rows.push(a, b);
    cols.push(b, a);
  }
  return { n, rows, cols, values: rows.map(() => 1) };
}

describe('spectral initialisation', () => {
  it('symmetricEigen matches a hand-worked 3×3 matrix', () => {
    // [[2,1,0],[1,2,0],[0,0,5]] has eigenvalues 5, 3 (vector (1,1,0)/√2) and 1 (vector (1,−1,0)/√2).
    const { values, vectors } = symmetricEigen([
      [2, 1, 0],
      [1, 2, 0],
      [0, 0, 5],
    ]);
    expect(values.map((v) => Number(v.toFixed(9)))).toEqual([5, 3, 1]);
    const second = vectors.map((row) => row[1]!);
    expect(Math.abs(second[0]!)).toBeCloseTo(Math.SQRT1_2, 9);
    expect(second[0]).toBeCloseTo(second[1]!, 9);
    expect(second[2]).toBeCloseTo(0, 9);
  });

  it('orders the nodes of a chain along its first axis (the Fiedler vector is monotone)', () => {
    const n = 30;
    const chain = graph(
      n,
      Array.from({ length: n - 1 }, (_, i) => [i, i + 1] as [number, number]),
    );
    const xs = spectralLayout(chain, [], seededRandom(3)).map(([x]) => x);
    const steps = xs.slice(1).map((x, i) => Math.sign(x - xs[i]!));
    expect(new Set(steps).size).toBe(1); // strictly increasing or strictly decreasing
    expect(Math.max(...xs.map(Math.abs))).toBeCloseTo(10, 3); // scaled like umap-learn
  });

  it('places each connected component in its own region, apart from the others', () => {
    const clique = (from: number, size: number) => {
      const e: [number, number][] = [];
      for (let i = 0; i < size; i++) for (let j = i + 1; j < size; j++) e.push([from + i, from + j]);
      return e;
    };
    const g = graph(36, [...clique(0, 12), ...clique(12, 12), ...clique(24, 12)]);
    const layout = spectralLayout(g, [], seededRandom(5));
    const group = (i: number) => Math.floor(i / 12);
    let within = 0;
    let between = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 36; i++)
      for (let j = i + 1; j < 36; j++) {
        const d = Math.hypot(layout[i]![0] - layout[j]![0], layout[i]![1] - layout[j]![1]);
        if (group(i) === group(j)) within = Math.max(within, d);
        else between = Math.min(between, d);
      }
    expect(within).toBeLessThan(between);
    expect(layout.flat().every(Number.isFinite)).toBe(true);
  });

  it('is reproducible for a seed, and ignores zero-weight entries that point into other components', () => {
    const g = graph(8, [
      [0, 1],
      [1, 2],
      [2, 3],
      [4, 5],
      [5, 6],
      [6, 7],
    ]);
    const withZero: CooGraph = {
      n: 8,
      rows: [...Array.from(g.rows), 3, 4],
      cols: [...Array.from(g.cols), 4, 3],
      values: [...Array.from(g.values), 0, 0],
    };
    const a = spectralLayout(withZero, [], seededRandom(9));
    expect(a).toEqual(spectralLayout(withZero, [], seededRandom(9)));
    expect(a.flat().every(Number.isFinite)).toBe(true);
  });
});
