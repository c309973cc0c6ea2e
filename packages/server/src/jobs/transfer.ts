// Export and import jobs, through @segkit/datasets: a project as a COCO / YOLO / YOLO-seg / mask-folder zip, and a
// folder or archive (inside the import roots named on the command line) into a project.
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import {
  imageSize,
  isSegkitError,
  maskToRle,
  paletteColor,
  readInput,
  rleArea,
  writeZip,
} from '@segkit/core';
import {
  type Dataset,
  type DatasetFormat,
  readDataset,
  segmentationToMask,
  writeDataset,
} from '@segkit/datasets';
import type { ServerContext } from '../context.js';
import { workDir } from '../maintenance.js';
import { insertAnnotations, listAnnotations } from '../repo/annotations.js';
import { addImage, projectImages } from '../repo/images.js';
import { projectById, setProjectLabels } from '../repo/projects.js';
import { isPrompt, promptCategory } from './prompts.js';
import type { JobHandler } from './runner.js';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)).split(sep).join('/'));
  return out.sort();
}

/** The `export` job: the project (one mode, or all) as a dataset zip in the blob store. */
export function exportHandler(ctx: ServerContext): JobHandler {
  return async (job, run) => {
    const { format, mode, includePrompts } = job.params as {
      format: DatasetFormat;
      mode?: string;
      includePrompts?: boolean;
    };
    const project = await projectById(ctx.db, job.projectId!);
    const work = await workDir(ctx.dataDir);
    try {
      const images = await projectImages(ctx.db, project.id);
      const names = project.labels.map((l) => l.name);
      const ds: Dataset = {
        imageRoot: join(work, 'images'),
        images: [],
        categories: [],
        annotations: [],
        warnings: [],
      };
      await mkdir(ds.imageRoot);
      for (const img of images) {
        await run.item(`image ${img.id}`, async () => {
          const file = `${img.id}-${img.file_name}`;
          await writeFile(join(ds.imageRoot, file), await ctx.blobs.get(img.sha256));
          ds.images.push({ id: img.id, file, width: img.width, height: img.height });
          for (const a of await listAnnotations(ctx.db, img.id, mode ? { mode } : {})) {
            const prompt = isPrompt(a);
            if (prompt && !includePrompts) continue;
            const label = prompt ? promptCategory(a) : (a.label ?? 'object');
            if (!names.includes(label)) names.push(label);
            ds.annotations.push({
              id: a.id,
              imageId: img.id,
              categoryId: names.indexOf(label) + 1,
              bbox: a.bbox,
              ...(a.rle ? { segmentation: { rle: a.rle } } : {}),
              area: a.rle ? rleArea(a.rle) : a.bbox[2] * a.bbox[3],
              iscrowd: false,
              ...(a.score !== null ? { score: a.score } : {}),
              source: a.source,
              promptType: a.promptType,
              ...(prompt ? { attributes: { segkit_prompt: a.promptType } } : {}),
            });
          }
        });
      }
      ds.categories = names.map((name, i) => ({ id: i + 1, name }));
      const out = join(work, 'out');
      await writeDataset(ds, out, format);
      const entries = await Promise.all(
        (await filesUnder(out)).map(async (name) => ({ name, data: await readFile(join(out, name)) })),
      );
      const zip = join(work, 'export.zip');
      await writeZip(zip, entries);
      const blob = await ctx.blobs.put(await readFile(zip));
      return { blob, bytes: (await stat(zip)).size, format, file: `${project.name}-${format}.zip` };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  };
}

const IMAGE_EXT = /\.(png|jpe?g|webp|tiff?)$/i;

/** The `import` job: a dataset folder or archive (any format SegKit reads) into the project, as inside_box annotations. */
export function importHandler(ctx: ServerContext): JobHandler {
  return async (job, run) => {
    const { path, by } = job.params as { path: string; by: string };
    const ds = await readDataset(path).catch(async (e) => {
      // A folder of plain images (no annotations in any format) imports as images only.
      if (!isSegkitError(e, 'E_DATASET_FORMAT') || !(await stat(path)).isDirectory()) throw e;
      const files = (await readdir(path)).filter((f) => IMAGE_EXT.test(f)).sort();
      if (!files.length) throw e;
      return {
        imageRoot: path,
        images: files.map((file, i) => ({ id: i + 1, file, width: 0, height: 0 })),
        categories: [],
        annotations: [],
        warnings: [],
      } satisfies Dataset;
    });
    const project = await projectById(ctx.db, job.projectId!);
    const catName = new Map(ds.categories.map((c) => [c.id, c.name]));
    let annotations = 0;
    for (const img of ds.images) {
      await run.item(`image ${img.id}`, async () => {
        const bytes = await readInput(join(ds.imageRoot, img.file));
        const { width, height } = await imageSize(bytes, { maxPixels: ctx.limits.maxPixels });
        const sha256 = await ctx.blobs.put(bytes);
        const { id, created } = await addImage(ctx.db, project.id, {
          sha256,
          fileName: img.file.split('/').pop()!,
          width,
          height,
        });
        if (!created) return; // already imported (a resumed job, or the same image twice)
        const rows = ds.annotations
          .filter((a) => a.imageId === img.id)
          .map((a) => ({
            imageId: id,
            label: catName.get(a.categoryId) ?? null,
            mode: 'inside_box' as const,
            promptType: a.promptType,
            source: a.source,
            bbox: a.bbox,
            rle: a.segmentation
              ? (maskToRle(segmentationToMask(a.segmentation, img)) as {
                  size: [number, number];
                  counts: string;
                })
              : null,
            score: a.score ?? null,
            model: null,
            by,
          }));
        annotations += (await insertAnnotations(ctx.db, rows)).length;
      });
    }
    // Labels the dataset brings that the project lacks join its label set.
    const known = new Set(project.labels.map((l) => l.name));
    const added = ds.categories
      .filter((c) => !known.has(c.name))
      .map((c, i) => ({
        name: c.name,
        colour: `#${paletteColor(project.labels.length + i)
          .map((v) => v.toString(16).padStart(2, '0'))
          .join('')}`,
      }));
    if (added.length) await setProjectLabels(ctx.db, project.id, [...project.labels, ...added]);
    return { images: ds.images.length, annotations, warnings: ds.warnings.slice(0, 20) };
  };
}
