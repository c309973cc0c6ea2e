import { seededRandom } from '@segkit/core';

/**
 * CLIP-like vectors: `clusters` groups in `d` dimensions, L2-normalised, plus a share of noise vectors. As in real
 * embeddings, each group varies along a few directions of its own (a `latent`-dimensional subspace) with a little
 * isotropic noise on top, not equally in all 512. Returns the rows and each row's true cluster (−1 for noise).
 */
export function clipLike(
  n: number,
  d: number,
  opts: { clusters?: number; noise?: number; seed?: number; latent?: number } = {},
) {
  const r = seededRandom(opts.seed ?? 7);
  const gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const k = opts.clusters ?? 12;
  const latent = opts.latent ?? 16;
  const centres = Array.from({ length: k }, () => Array.from({ length: d }, gauss));
  const bases = Array.from({ length: k }, () =>
    Array.from({ length: latent }, () => Array.from({ length: d }, () => 0.6 * gauss())),
  );
  const rows: Float32Array[] = [];
  const truth: number[] = [];
  for (let i = 0; i < n; i++) {
    const noise = r() < (opts.noise ?? 0.05);
    const c = Math.floor(r() * k);
    const v = new Float32Array(d);
    if (noise) for (let j = 0; j < d; j++) v[j] = gauss();
    else {
      for (let j = 0; j < d; j++) v[j] = centres[c]![j]! + 0.15 * gauss();
      for (let l = 0; l < latent; l++) {
        const z = gauss();
        const b = bases[c]![l]!;
        for (let j = 0; j < d; j++) v[j]! += z * b[j]!;
      }
    }
    let norm = 0;
    for (let j = 0; j < d; j++) norm += v[j]! * v[j]!;
    norm = Math.sqrt(norm);
    for (let j = 0; j < d; j++) v[j]! /= norm;
    rows.push(v);
    truth.push(noise ? -1 : c);
  }
  return { rows, truth };
}
