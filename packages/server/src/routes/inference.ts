import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { maskToRle } from '@segkit/core';
import type { Prompt } from '@segkit/models';
import type { ServerContext } from '../context.js';
import { getImageMeta } from '../repo/images.js';
import { getProject } from '../repo/projects.js';
import { ErrorBody, ImageParams, SegmentRequest, SegmentResponse } from '../schemas.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 422: ErrorBody };

export const inferenceRoutes: FastifyPluginAsyncTypebox<{ ctx: ServerContext }> = async (app, { ctx }) => {
  app.post(
    '/images/:imageId/segment',
    {
      schema: {
        tags: ['inference'],
        description:
          'Promptable segmentation: points (label 1/0), a box [x, y, w, h], both, or nothing (the image centre). `model` swaps the model for this call. Masks come back as COCO RLE.',
        params: ImageParams,
        body: SegmentRequest,
        response: { 200: SegmentResponse, ...errors },
      },
    },
    async (req) => {
      const image = await getImageMeta(ctx.db, req.caller, req.params.imageId);
      const project = await getProject(ctx.db, req.caller, image.projectId);
      const model = req.body.model ?? ctx.projectModels(project).segment;
      const points = (req.body.points ?? []).map((p) => ({
        point: [p.x, p.y] as [number, number],
        label: p.label,
      }));
      const prompt: Prompt | undefined = req.body.box
        ? points.length
          ? { box: req.body.box, points }
          : { box: req.body.box }
        : points.length
          ? { points }
          : undefined;
      const [segmenter, pixels] = await Promise.all([ctx.segmenter(model), ctx.image(image.sha256)]);
      const run = () => segmenter.segment(pixels, { ...(prompt ? { prompt } : {}), multimask: true });
      const results = ctx.metrics ? await ctx.metrics.time('segment', segmenter.modelName, run) : await run();
      const wanted = req.body.multimask ? results : results.slice(0, 1);
      return {
        model: segmenter.modelName,
        candidates: wanted.map((r) => ({
          rle: maskToRle(r.mask) as { size: [number, number]; counts: string },
          bbox: r.bbox,
          area: r.area,
          score: r.score,
          scoreKind: r.scoreKind,
        })),
      };
    },
  );
};
