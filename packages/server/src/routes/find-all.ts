// Find-all on one image: its text prompt (or one given) and its exemplar boxes → every instance, saved as
// model-made find_all annotations that replace the previous model-made ones (user-made annotations stay).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Box, FindAllNeedsPromptError, maskToRle } from '@segkit/core';
import { findAll } from '@segkit/models';
import { Type } from 'typebox';
import type { ServerContext } from '../context.js';
import { listAnnotations, replaceAnnotations } from '../repo/annotations.js';
import { getImage } from '../repo/images.js';
import { getProject, requireWrite } from '../repo/projects.js';
import { Annotation, ErrorBody, ImageParams } from '../schemas.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 422: ErrorBody };
const Model = Type.Optional(Type.String({ minLength: 1, maxLength: 300 }));

/** The message the API promises when find-all has nothing to look for. */
export const NEEDS_PROMPT = 'Find-all requires text prompt or exemplar boxes';

export const findAllRoutes: FastifyPluginAsyncTypebox<{ ctx: ServerContext }> = async (app, { ctx }) => {
  app.post(
    '/images/:imageId/find-all',
    {
      schema: {
        tags: ['inference'],
        description: `Finds every instance described by the image's text prompt (or \`text\`) and its positive/negative exemplar annotations (mode find_all). Saves them as find_all annotations (source model), replacing the previous model-made ones. With neither a prompt nor a positive exemplar: 400 "${NEEDS_PROMPT}".`,
        params: ImageParams,
        body: Type.Object(
          {
            text: Type.Optional(Type.String({ maxLength: 200 })),
            threshold: Type.Optional(Type.Number({ minimum: -1, maximum: 1 })),
            maxInstances: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
            model: Model,
            textModel: Model,
            embedModel: Model,
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ annotations: Type.Array(Annotation) }), ...errors },
      },
    },
    async (req) => {
      const image = await getImage(ctx.db, req.caller, req.params.imageId);
      requireWrite(req.caller);
      const project = await getProject(ctx.db, req.caller, image.projectId);
      const text = (req.body.text ?? image.textPrompt ?? '').trim();
      const exemplars = await listAnnotations(ctx.db, image.id, { mode: 'find_all' });
      const boxes = (type: string) =>
        exemplars.filter((a) => a.promptType === type).map((a) => a.bbox as Box);
      const positives = boxes('positive_exemplar');
      if (!text && !positives.length) throw new FindAllNeedsPromptError(NEEDS_PROMPT);
      const models = project.settings.models ?? {};
      const segmentModel = req.body.model ?? models.segment ?? ctx.defaultSegmentModel;
      const textModel = req.body.textModel ?? models.text;
      const clipModel = req.body.embedModel ?? models.embed;
      const run = async () =>
        findAll(await ctx.image(image.sha256), {
          ...(text ? { text } : {}),
          positiveExemplars: positives,
          negativeExemplars: boxes('negative_exemplar'),
          ...(req.body.threshold !== undefined ? { threshold: req.body.threshold } : {}),
          ...(req.body.maxInstances !== undefined ? { maxInstances: req.body.maxInstances } : {}),
          ...(segmentModel ? { segmentModel } : {}),
          ...(textModel ? { textModel } : {}),
          ...(clipModel ? { clipModel } : {}),
        });
      const found = ctx.metrics
        ? await ctx.metrics.time('find-all', segmentModel ?? 'default', run)
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
          model: segmentModel ?? null,
          by: req.caller.name,
        })),
        { source: 'model', promptType: 'segment' },
      );
      return { annotations };
    },
  );
};
