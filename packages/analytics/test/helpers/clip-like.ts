import { seededRandom } from '@segkit/core';

/**
 * CLIP-like vectors: `clusters` directions in `d` dimensions with spread around each, L2-normalised, plus a share of
 * uniform noise vectors. Returns the rows and each row's true cluster (−1 for noise).
 */
export function clipLike(
  n: number,
  d: number,
  opts: { clusters?: number; noise?: number; seed?: number } = {},
) {
  const r = seededRandom(opts.seed ?? 7);
  const gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const k = opts.clusters ?? 12;
  const centres = Array.from({ length: k }, () => Array.from({ length: d }, gauss));
  const rows: Float32Array[] = [];
  const truth: number[] = [];
  for (let i = 0; i < n; i++) {
    const noise = r() < (opts.noise ?? 0.05);
    const c = Math.floor(r() * k);
    const v = new Float32Array(d);
    for (let j = 0; j < d; j++) v[j] = noise ? gauss() : centres[c]![j]! + 0.9 * gauss();
    let norm = 0;
    for (let j = 0; j < d; j++) norm += v[j]! * v[j]!;
    norm = Math.sqrt(norm);
    for (let j = 0; j < d; j++) v[j]! /= norm;
    rows.push(v);
    truth.push(noise ? -1 : c);
  }
  return { rows, truth };
}
