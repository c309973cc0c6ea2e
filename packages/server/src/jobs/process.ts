// The `process` job (SAMUI's Processing page): for each image, `inside_box` runs SAM on every `segment` box of the
// image in that mode, and `find_all` runs find-all with the image's prompt and exemplars. Each image gets its
// processing_result for that mode and a COCO JSON of its masks; the two modes never touch each other's rows.
import { maskToRle, NoBoxesError, rleArea } from '@segkit/core';
import type { ServerContext } from '../context.js';
import { listAnnotations, setAnnotationModel, updateAnnotation } from '../repo/annotations.js';
import { imageById } from '../repo/images.js';
import { projectById } from '../repo/projects.js';
import { getRecipe, type RecipeRow } from '../repo/recipes.js';
import { type Mode, setResult } from '../repo/results.js';
import type { AnnotationT, CascadeApplyT, ImageT, ProjectT } from '../schemas.js';
import { runFindAll } from '../services/find-all.js';
import { applyToImage, type Plan } from '../services/recipes.js';
import { isPrompt } from './prompts.js';
import type { JobHandler } from './runner.js';

/**
 * A COCO instances file of one image's annotations in one mode (masks as compressed RLE). Prompts (find-all's exemplar
 * boxes) are left out: a COCO loader would take them for objects.
 */
export function cocoOf(image: ImageT, project: ProjectT, all: AnnotationT[]) {
  const annotations = all.filter((a) => !isPrompt(a));
  const names = [...project.labels.map((l) => l.name)];
  for (const a of annotations) if (a.label && !names.includes(a.label)) names.push(a.label);
  const unlabelled = names.length + 1;
  return {
    info: { description: `SegKit project ${project.name}` },
    images: [{ id: image.id, file_name: image.fileName, width: image.width, height: image.height }],
    categories: [...names.map((name, i) => ({ id: i + 1, name })), { id: unlabelled, name: 'object' }],
    annotations: annotations.map((a) => ({
      id: a.id,
      image_id: image.id,
      category_id: a.label ? names.indexOf(a.label) + 1 : unlabelled,
      bbox: a.bbox,
      area: a.rle ? rleArea(a.rle) : a.bbox[2] * a.bbox[3],
      iscrowd: 0,
      ...(a.rle ? { segmentation: a.rle } : {}),
      ...(a.score !== null ? { score: a.score } : {}),
      source: a.source,
      prompt_type: a.promptType,
    })),
  };
}

/** What an inside-box image without boxes says, in its result and in the job's items. */
export const NO_BOXES = 'No boxes to segment: draw a box on the image first';

export function processHandler(ctx: ServerContext): JobHandler {
  return async (job, run) => {
    const { mode, imageIds, by, recipe, cascade } = job.params as {
      mode: Mode;
      imageIds: number[];
      by: string;
      recipe?: number;
      cascade?: CascadeApplyT;
    };
    const project = await projectById(ctx.db, job.projectId!);
    // A recipe or a cascade instead of each image's prompt: the recipes are read once, when the job starts.
    let plan: Plan | undefined;
    if (recipe) plan = { recipe: await getRecipe(ctx.db, undefined, recipe) };
    if (cascade) {
      const rows = new Map<number, RecipeRow>();
      for (const s of cascade.steps) rows.set(s.recipe, await getRecipe(ctx.db, undefined, s.recipe));
      plan = { cascade, rows };
    }
    const segmentModel = ctx.projectModels(project).segment;
    for (const imageId of imageIds) {
      await run.item(
        String(imageId),
        async () => {
          const image = await imageById(ctx.db, imageId);
          if (!image) return; // deleted since the job started
          await setResult(ctx.db, imageId, mode, { status: 'running' });
          const t0 = performance.now();
          try {
            if (mode === 'inside_box') {
              const segmenter = await ctx.segmenter(segmentModel);
              const pixels = await ctx.image(image.sha256);
              const boxes = (await listAnnotations(ctx.db, imageId, { mode, promptType: 'segment' })).filter(
                (a) => a.bbox,
              );
              if (!boxes.length) throw new NoBoxesError(NO_BOXES);
              for (const a of boxes) {
                const r = await segmenter.segment(pixels, { prompt: { box: a.bbox } });
                await updateAnnotation(
                  ctx.db,
                  a.id,
                  a.version,
                  { rle: maskToRle(r.mask) as { size: [number, number]; counts: string } },
                  by,
                ).catch(() => {}); // edited meanwhile: the user's version wins
              }
              await setAnnotationModel(ctx.db, imageId, mode, 'segment', segmenter.modelName);
            } else if (plan) {
              await applyToImage(ctx, image, project, plan, by);
            } else {
              await runFindAll(ctx, image, project, {}, by);
            }
            const annotations = await listAnnotations(ctx.db, imageId, { mode });
            const coco = await ctx.blobs.put(
              Buffer.from(JSON.stringify(cocoOf(image, project, annotations))),
            );
            await setResult(ctx.db, imageId, mode, {
              status: 'done',
              counts: { annotations: annotations.length, masks: annotations.filter((a) => a.rle).length },
              model: segmentModel ?? null,
              ms: performance.now() - t0,
              coco_blob: coco,
            });
            return { masks: annotations.filter((a) => a.rle).length };
          } catch (e) {
            await setResult(ctx.db, imageId, mode, {
              status: 'failed',
              error: (e as Error).message.split('\n')[0],
            });
            throw e; // the job counts the image as a failed item, with this reason
          }
        },
        `image ${imageId}`,
      );
    }
    // Masks are counted per item (kept with it, so a resumed or split job adds them up right).
    return { images: run.share(imageIds.length), masks: 0 };
  };
}
