// The batch jobs besides processing: `text-batch` (CLIPSeg masks for every image, saved per label), `build-seg`
// (masks for the boxes that have none) and `analyze` (the analytics pipeline over the project's images).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { analyze } from '@segkit/analytics';
import { maskToRle, rleBbox } from '@segkit/core';
import { type PromptSet, segmentText } from '@segkit/models';
import type { ServerContext } from '../context.js';
import { listAnnotations, replaceAnnotations, updateAnnotation } from '../repo/annotations.js';
import { imageById, projectImages } from '../repo/images.js';
import { projectById } from '../repo/projects.js';
import { resolveTextModel } from '../services/text-models.js';
import type { JobHandler } from './runner.js';

type Rle = { size: [number, number]; counts: string };

/** `text-batch`: a mask per label of the prompt set on every image, as model-made annotations of that label. */
export function textBatchHandler(ctx: ServerContext): JobHandler {
  return async (job, run) => {
    const { prompts, threshold, mode, imageIds, by } = job.params as {
      prompts: string[] | PromptSet;
      threshold?: number;
      mode: 'inside_box' | 'find_all';
      imageIds: number[];
      by: string;
    };
    const project = await projectById(ctx.db, job.projectId!);
    const model = await resolveTextModel(ctx, project.id, ctx.projectModels(project).text);
    for (const imageId of imageIds)
      await run.item(String(imageId), async () => {
        const image = await imageById(ctx.db, imageId);
        if (!image) return;
        const results = await segmentText(await ctx.image(image.sha256), prompts, {
          ...(threshold !== undefined ? { threshold } : {}),
          ...(model ? { model } : {}),
        });
        const labels = results.map((r) => r.label);
        const rows = results
          .filter((r) => r.mask.data.some((v) => v))
          .map((r) => {
            const rle = maskToRle(r.mask) as Rle;
            return {
              imageId,
              label: r.label,
              mode,
              promptType: 'segment' as const,
              source: 'model' as const,
              bbox: rleBbox(rle) as [number, number, number, number],
              rle,
              score: null,
              model: model ?? 'clipseg',
              by,
            };
          });
        // Redoing an image replaces its earlier masks of these labels: never a duplicate.
        const added = (await replaceAnnotations(ctx.db, imageId, mode, rows, { source: 'model', labels }))
          .length;
        return { masks: added };
      });
    return { images: run.share(imageIds.length), masks: 0 }; // masks: the items' counts, added up
  };
}

/** `build-seg`: SAM masks for the `inside_box` boxes that have none (boxes imported from a detection dataset). */
export function buildSegHandler(ctx: ServerContext): JobHandler {
  return async (job, run) => {
    const { imageIds, by } = job.params as { imageIds: number[]; by: string };
    const project = await projectById(ctx.db, job.projectId!);
    const segmenter = await ctx.segmenter(ctx.projectModels(project).segment);
    for (const imageId of imageIds)
      await run.item(String(imageId), async () => {
        const image = await imageById(ctx.db, imageId);
        if (!image) return;
        const boxes = (await listAnnotations(ctx.db, imageId, { mode: 'inside_box' })).filter((a) => !a.rle);
        if (!boxes.length) return;
        const pixels = await ctx.image(image.sha256);
        let masks = 0;
        for (const a of boxes) {
          const r = await segmenter.segment(pixels, { prompt: { box: a.bbox } });
          if (!r.area) continue;
          await updateAnnotation(ctx.db, a.id, a.version, { rle: maskToRle(r.mask) as Rle }, by).catch(
            () => {},
          );
          masks++;
        }
        return { masks };
      });
    return { images: run.share(imageIds.length), masks: 0 }; // masks: the items' counts, added up
  };
}

/** `analyze`: segment, embed, UMAP and HDBSCAN over the project's images; the run lives in the data directory. */
export function analyzeHandler(ctx: ServerContext): JobHandler {
  return async (job, run) => {
    const { minClusterSize } = job.params as { minClusterSize?: number };
    const project = await projectById(ctx.db, job.projectId!);
    const root = join(ctx.dataDir, 'runs', `project-${project.id}`);
    const images = join(root, 'images');
    let result: Record<string, unknown> = {};
    await run.item('analyze', async () => {
      await mkdir(images, { recursive: true });
      const rows = await projectImages(ctx.db, project.id);
      const files: string[] = [];
      for (const r of rows) {
        const file = join(images, `${r.id}-${r.file_name}`);
        await writeFile(file, await ctx.blobs.get(r.sha256));
        files.push(file);
      }
      const models = ctx.projectModels(project);
      const segmentModel = ctx.allowModel(models.segment);
      ctx.allowModel(models.embed);
      // Progress per image: the job's counts move from 0 to the image count as each one is segmented and embedded.
      await run.note(`analyzing ${files.length} image(s)`, { done: 0, total: files.length });
      const out = await analyze(files, join(root, 'runs'), {
        backend: 'sam',
        progress: {
          update: (done, total = files.length) =>
            void run
              .note(done < total ? `image ${done}/${total}` : 'projecting and clustering', { done, total })
              .catch(() => {}),
          finish: () => {},
        },
        ...(segmentModel ? { segmentModel } : {}),
        ...(models.embed ? { embedModel: models.embed } : {}),
        ...(minClusterSize ? { minClusterSize } : {}),
      });
      result = { dir: out.dir, counts: (out.run as { counts?: unknown }).counts };
    });
    return result;
  };
}
