import { seededRandom } from '@segkit/core';

/**
 * Gaussian classes around seeded centres, L2-normalised like CLIP embeddings: `make(n)` draws n more rows (class i % c)
 * from the same centres, so successive calls give disjoint train / validation / test sets.
 */
export function gaussianClasses(opts: { classes: number; dim: number; spread: number; seed: number }) {
  const { classes: c, dim: d, spread } = opts;
  const rand = seededRandom(opts.seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const centres = Array.from({ length: c }, () => Float32Array.from({ length: d }, gauss));
  return (n: number) => {
    const x = new Float32Array(n * d);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const k = i % c;
      y[i] = k;
      let s = 0;
      for (let j = 0; j < d; j++) {
        const v = centres[k]![j]! + spread * gauss();
        x[i * d + j] = v;
        s += v * v;
      }
      for (let j = 0; j < d; j++) x[i * d + j]! /= Math.sqrt(s);
    }
    return { x: { data: x, rows: n, cols: d }, y };
  };
}
