// Find-all on one image, shared by the route and the processing job: the image's prompt (or one given) and its
// exemplar annotations → instances saved as model-made find_all annotations, replacing the previous model-made ones.
// A project with a SAM 3 find model runs SAM 3; otherwise the CLIPSeg + SAM + CLIP pipeline.
import { type Box, FindAllNeedsPromptError, maskToRle } from '@segkit/core';
import { findAll } from '@segkit/models';
import type { ServerContext } from '../context.js';
import { listAnnotations, replaceAnnotations } from '../repo/annotations.js';
import type { ImageMeta } from '../repo/images.js';
import type { AnnotationT, ProjectT } from '../schemas.js';
import { resolveTextModel } from './text-models.js';

/** The message the API promises when find-all has nothing to look for. */
export const NEEDS_PROMPT = 'Find-all requires text prompt or exemplar boxes';

export interface FindAllRequest {
  text?: string;
  threshold?: number;
  maxInstances?: number;
  model?: string;
  textModel?: string;
  embedModel?: string;
  /** A SAM 3 concept model (default: the project's find model; none means the CLIPSeg + SAM + CLIP pipeline). */
  findModel?: string;
}

export async function runFindAll(
  ctx: ServerContext,
  image: ImageMeta,
  project: ProjectT,
  body: FindAllRequest,
  by: string,
): Promise<{ annotations: AnnotationT[]; model: string | null }> {
  const text = (body.text ?? image.textPrompt ?? '').trim();
  const exemplars = await listAnnotations(ctx.db, image.id, { mode: 'find_all' });
  const boxes = (type: string) => exemplars.filter((a) => a.promptType === type).map((a) => a.bbox as Box);
  const positives = boxes('positive_exemplar');
  if (!text && !positives.length) throw new FindAllNeedsPromptError(NEEDS_PROMPT);
  const models = ctx.projectModels(project);
  const segmentModel = ctx.allowModel(body.model ?? models.segment);
  const textModel = await resolveTextModel(ctx, project.id, body.textModel ?? models.text);
  const clipModel = ctx.allowModel(body.embedModel ?? models.embed);
  const findModel = ctx.allowModel(body.findModel ?? models.find);
  const answeredBy = findModel ?? segmentModel ?? null;
  const run = async () =>
    findAll(await ctx.image(image.sha256), {
      ...(findModel ? { findModel } : {}),
      ...(text ? { text } : {}),
      positiveExemplars: positives,
      negativeExemplars: boxes('negative_exemplar'),
      ...(body.threshold !== undefined ? { threshold: body.threshold } : {}),
      ...(body.maxInstances !== undefined ? { maxInstances: body.maxInstances } : {}),
      ...(segmentModel ? { segmentModel } : {}),
      ...(textModel ? { textModel } : {}),
      ...(clipModel ? { clipModel } : {}),
    });
  const found = ctx.metrics
    ? await ctx.metrics.time('find-all', findModel ?? segmentModel ?? 'default', run)
    : await run();
  const annotations = await replaceAnnotations(
    ctx.db,
    image.id,
    'find_all',
    found.map((f) => ({
      imageId: image.id,
      label: null,
      mode: 'find_all' as const,
      promptType: 'segment' as const,
      source: 'model' as const,
      bbox: f.bbox,
      rle: maskToRle(f.mask) as { size: [number, number]; counts: string },
      score: Math.max(0, Math.min(1, f.score)),
      model: answeredBy,
      by: by,
    })),
    { source: 'model', promptType: 'segment' },
  );
  return { annotations, model: findModel ?? null };
}
