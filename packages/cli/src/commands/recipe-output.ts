// What \`segkit recipe apply\` and \`cascade\` write: COCO (annotations.json, every annotation marked with its recipe) or
// one PNG per instance (<image>/<k>-<class>.png + instances.json), and the per-image summary they print.
import { mkdirSync } from 'node:fs';
import { basename, extname, join, relative, resolve } from 'node:path';
import { imageSize, progressBar, rleToMask, writeFileAtomic, writeMask } from '@segkit/core';
import { slug } from '@segkit/models';
import type { RecipeDetection } from '@segkit/recipes';

export type PerImage = { path: string; dets: RecipeDetection[] }[];

/** Writes detections per image as COCO (annotations.json) or PNG masks (<image>/<k>-<class>.png + instances.json). */
export async function writeDetections(
  out: string,
  format: string,
  perImage: { path: string; dets: RecipeDetection[] }[],
) {
  mkdirSync(out, { recursive: true });
  if (format === 'masks') {
    const rows = [];
    for (const { path, dets } of perImage) {
      const dir = join(out, basename(path, extname(path)));
      mkdirSync(dir, { recursive: true });
      for (const [k, d] of dets.entries()) {
        const file = join(dir, `${k}-${slug(d.className) || 'class'}.png`);
        await writeMask(file, rleToMask(d.rle));
        rows.push({
          image: path,
          file,
          className: d.className,
          recipe: d.recipe,
          score: Number(d.score.toFixed(4)),
          bbox: d.bbox,
        });
      }
    }
    await writeFileAtomic(join(out, 'instances.json'), `${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const classes = [...new Set(perImage.flatMap((p) => p.dets.map((d) => d.className)))].sort();
  const coco = {
    images: perImage.map((p, i) => ({
      id: i + 1,
      file_name: relative(resolve(out), resolve(p.path)).split('\\').join('/'),
    })),
    categories: classes.map((name, k) => ({ id: k + 1, name })),
    annotations: perImage.flatMap((p, i) =>
      p.dets.map((d) => ({
        image_id: i + 1,
        category_id: classes.indexOf(d.className) + 1,
        segmentation: d.rle,
        bbox: d.bbox.map((v) => Number(v.toFixed(2))),
        area: d.area,
        iscrowd: 0,
        score: Number(d.score.toFixed(4)),
        attributes: { source: 'model', recipe: d.recipe },
      })),
    ),
  };
  for (const [k, a] of coco.annotations.entries()) Object.assign(a, { id: k + 1 });
  for (const [i, img] of coco.images.entries()) Object.assign(img, await imageSize(perImage[i]!.path));
  await writeFileAtomic(join(out, 'annotations.json'), `${JSON.stringify(coco)}\n`);
}

export async function runOver(
  images: string[],
  io: { stderr(s: string): void },
  each: (path: string) => Promise<RecipeDetection[]>,
): Promise<{ path: string; dets: RecipeDetection[] }[]> {
  const bar = progressBar('apply', { total: images.length, unit: 'items' });
  const out = [];
  for (const [i, path] of images.entries()) {
    out.push({ path, dets: await each(path) });
    bar.update(i + 1);
  }
  bar.finish();
  io.stderr(`${out.reduce((s, p) => s + p.dets.length, 0)} detections on ${images.length} images\n`);
  return out;
}

export const summary = (perImage: { path: string; dets: RecipeDetection[] }[]) =>
  perImage.map((p) => ({
    image: p.path,
    detections: p.dets.map((d) => ({
      className: d.className,
      recipe: d.recipe,
      score: Number(d.score.toFixed(4)),
      bbox: d.bbox,
    })),
  }));
