// `segkit analyze plot` as a PNG at 100k masks: drawn into pixels (the SVG with one node per point is gone), the
// clusters in their legend colours, noise grey and under them, and a legend that stays readable with many clusters.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterRgb, plotRun, readRows, scatterData, scatterFrame } from '../src/index.js';
import { type LargeRun, largeRun } from './helpers/large-run.js';

describe('analyze plot at scale', () => {
  let run: LargeRun;
  beforeAll(async () => {
    run = await largeRun(100_000);
  });
  afterAll(() => rmSync(run.dir, { recursive: true, force: true }));

  it('rasterises 100k masks: each blob centre has its cluster colour, and the legend lists every cluster', async () => {
    const out = join(run.dir, 'scatter.png');
    expect((await plotRun(run.dir, out)).points).toBe(100_000);
    const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([1000, 720]);
    const pts = scatterData(readRows(run.dir));
    const { ox, oy, side } = scatterFrame(info.width, info.height);
    // Layout → pixel through the same unit square the page and PNG use: find a blob's centre in unit coordinates.
    for (const [c, [cx, cy]] of run.centres.entries()) {
      let best = -1;
      let bestD = Infinity;
      for (let i = 0; i < pts.x.length; i++) {
        const r = pts.rows[i]!;
        const d = (r.mask_umap![0] - cx) ** 2 + (r.mask_umap![1] - cy) ** 2;
        if (d < bestD && pts.cluster[i] === c) [best, bestD] = [i, d];
      }
      const x = Math.round(ox + pts.x[best]! * side);
      const y = Math.round(oy + (1 - pts.y[best]!) * side);
      const o = (y * info.width + x) * info.channels;
      const got = [data[o]!, data[o + 1]!, data[o + 2]!];
      // Hundreds of dots overlap at a blob centre, so the blend has converged on the cluster colour.
      for (const [k, v] of clusterRgb(c).entries())
        expect(Math.abs(got[k]! - v), `cluster ${c}`).toBeLessThan(6);
    }
    // Cluster 7 is not drawn in the palette's grey, which noise would be mistaken for.
    expect(clusterRgb(7)).not.toEqual(clusterRgb(-1));
    expect(new Set(run.centres.map((_, c) => clusterRgb(c).join())).size).toBe(run.centres.length);
  });

  it('a run with 40 clusters lists the 24 largest and sums the rest; a run without positions is refused', async () => {
    const rows = readRows(run.dir)
      .slice(0, 4000)
      .map((r, i) => ({ ...r, mask_cluster: i % 41 === 40 ? -1 : i % 41 }));
    writeFileSync(join(run.dir, 'masks.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n'));
    const out = join(run.dir, 'many.png');
    await plotRun(run.dir, out);
    const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    // 26 legend rows (24 clusters, "+16 more", noise): row 26's dot (noise grey) is drawn, a 27th row is not.
    const { plotW } = scatterFrame(info.width, info.height);
    const rowH = Math.min(22, (info.height - 60) / 26);
    const pixel = (x: number, y: number) => {
      const o = (Math.round(y) * info.width + x) * info.channels;
      return [data[o]!, data[o + 1]!, data[o + 2]!];
    };
    expect(pixel(plotW + 16, 50 + 25 * rowH)).toEqual(clusterRgb(-1));
    expect(pixel(plotW + 16, 50 + 24 * rowH)).toEqual([255, 255, 255]); // "+16 more" has no dot
    expect(pixel(plotW + 16, 50 + 26 * rowH)).toEqual([255, 255, 255]);
    writeFileSync(
      join(run.dir, 'masks.jsonl'),
      rows
        .slice(0, 3)
        .map((r) => JSON.stringify({ ...r, mask_umap: null }))
        .join('\n'),
    );
    await expect(plotRun(run.dir, join(run.dir, 'none.png'))).rejects.toMatchObject({
      code: 'E_INVALID_ARGUMENT',
      message: expect.stringMatching(/has no mask with a UMAP position/),
    });
  });
});
