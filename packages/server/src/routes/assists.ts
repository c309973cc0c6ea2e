// Inference assists on one image: refine-box and point-to-box (Tator's), text (CLIPSeg), panoptic (DETR),
// classify (CLIP zero-shot over the project's labels), preload, and the encoder output for an in-browser decoder.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { InvalidArgumentError, type Mask, maskToRle, rleArea, rleBbox, rleToMask } from '@segkit/core';
import { classify, MAX_PROMPTS, segmentPanoptic, segmentText } from '@segkit/models';
import { Type } from 'typebox';
import type { ServerContext } from '../context.js';
import { getImage } from '../repo/images.js';
import { getProject } from '../repo/projects.js';
import { BoxResult, BoxXYWH, ClassifyResult, ErrorBody, ImageParams, Rle } from '../schemas.js';
import { checkBox } from '../services/annotations.js';
import { classifyWithHead, openHead } from '../services/heads.js';
import { resolveTextModel } from '../services/text-models.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 413: ErrorBody, 422: ErrorBody };
const ModelField = Type.Optional(Type.String({ minLength: 1, maxLength: 300 }));
const rleOf = (m: Mask) => maskToRle(m) as { size: [number, number]; counts: string };

export const assistRoutes: FastifyPluginAsyncTypebox<{ ctx: ServerContext }> = async (app, { ctx }) => {
  /** The image, its decoded pixels and the segmenter a call asks for (or its project's, or the server's). */
  const open = async (caller: Parameters<typeof getImage>[1], imageId: number, model?: string) => {
    const image = await getImage(ctx.db, caller, imageId);
    const project = await getProject(ctx.db, caller, image.projectId);
    const name = model ?? ctx.projectModels(project).segment;
    const [segmenter, pixels] = await Promise.all([ctx.segmenter(name), ctx.image(image.sha256)]);
    return { image, project, segmenter, pixels };
  };

  app.post(
    '/images/:imageId/refine-box',
    {
      schema: {
        tags: ['inference'],
        description: 'A loose box → the tight box of the object in it, with its mask.',
        params: ImageParams,
        body: Type.Object({ box: BoxXYWH, model: ModelField }, { additionalProperties: false }),
        response: { 200: BoxResult, ...errors },
      },
    },
    async (req) => {
      const { image, segmenter, pixels } = await open(req.caller, req.params.imageId, req.body.model);
      checkBox(req.body.box, image);
      const r = await segmenter.refineBox(pixels, req.body.box);
      return { model: segmenter.modelName, box: r.box, rle: rleOf(r.mask), score: r.score };
    },
  );
  app.post(
    '/images/:imageId/point-to-box',
    {
      schema: {
        tags: ['inference'],
        description: 'One click → the box (and mask) of the object clicked.',
        params: ImageParams,
        body: Type.Object(
          {
            x: Type.Number({ minimum: 0, maximum: 1e6 }),
            y: Type.Number({ minimum: 0, maximum: 1e6 }),
            model: ModelField,
          },
          { additionalProperties: false },
        ),
        response: { 200: BoxResult, ...errors },
      },
    },
    async (req) => {
      const { segmenter, pixels } = await open(req.caller, req.params.imageId, req.body.model);
      const r = await segmenter.pointToBox(pixels, [req.body.x, req.body.y]);
      return { model: segmenter.modelName, box: r.box, rle: rleOf(r.mask), score: r.score };
    },
  );
  app.post(
    '/images/:imageId/text',
    {
      schema: {
        tags: ['inference'],
        description: `Text prompts (CLIPSeg) → one mask per label. \`prompts\` is a list, or labels with prompt lists; at most ${MAX_PROMPTS} prompts.`,
        params: ImageParams,
        body: Type.Object(
          {
            prompts: Type.Union([
              Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
                minItems: 1,
                maxItems: MAX_PROMPTS,
              }),
              Type.Record(
                Type.String({ maxLength: 64 }),
                Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
                  minItems: 1,
                  maxItems: MAX_PROMPTS,
                }),
              ),
            ]),
            threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
            model: ModelField,
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            masks: Type.Array(
              Type.Object({ label: Type.String(), rle: Rle, bbox: BoxXYWH, area: Type.Integer() }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const image = await getImage(ctx.db, req.caller, req.params.imageId);
      const project = await getProject(ctx.db, req.caller, image.projectId);
      const pixels = await ctx.image(image.sha256);
      const model = await resolveTextModel(
        ctx,
        project.id,
        req.body.model ?? ctx.projectModels(project).text,
      );
      const results = await segmentText(pixels, req.body.prompts, {
        ...(req.body.threshold !== undefined ? { threshold: req.body.threshold } : {}),
        ...(model ? { model } : {}),
      });
      return {
        masks: results.map((r) => {
          const rle = rleOf(r.mask);
          return {
            label: r.label,
            rle,
            bbox: rleBbox(rle) as [number, number, number, number],
            area: rleArea(rle),
          };
        }),
      };
    },
  );
  app.post(
    '/images/:imageId/panoptic',
    {
      schema: {
        tags: ['inference'],
        description:
          'Panoptic segmentation (DETR): one segment per thing and per stuff class, with COCO labels.',
        params: ImageParams,
        body: Type.Object(
          { threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })), model: ModelField },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            segments: Type.Array(
              Type.Object({
                label: Type.String(),
                isThing: Type.Boolean(),
                score: Type.Number(),
                rle: Rle,
                bbox: BoxXYWH,
                area: Type.Integer(),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const image = await getImage(ctx.db, req.caller, req.params.imageId);
      const pixels = await ctx.image(image.sha256);
      const segments = await segmentPanoptic(pixels, {
        ...(req.body.threshold !== undefined ? { threshold: req.body.threshold } : {}),
        ...(req.body.model ? { model: ctx.allowModel(req.body.model) } : {}),
      });
      return {
        segments: segments.map((s) => ({
          label: s.label,
          isThing: s.isThing,
          score: s.score,
          rle: rleOf(s.mask),
          bbox: s.bbox,
          area: s.area,
        })),
      };
    },
  );
  app.post(
    '/images/:imageId/classify',
    {
      schema: {
        tags: ['inference'],
        description:
          "Ranks labels for a box or mask: with the project's active classifier head when it has one (`source: head`), else CLIP zero-shot over the project's labels or the ones given (`source: zero-shot`). `zeroShot: true` skips the head.",
        params: ImageParams,
        body: Type.Object(
          {
            box: Type.Optional(BoxXYWH),
            rle: Type.Optional(Rle),
            labels: Type.Optional(
              Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 2, maxItems: 200 }),
            ),
            model: ModelField,
            zeroShot: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 200: ClassifyResult, ...errors },
      },
    },
    async (req) => {
      const image = await getImage(ctx.db, req.caller, req.params.imageId);
      const project = await getProject(ctx.db, req.caller, image.projectId);
      if (req.body.rle && (req.body.rle.size[0] !== image.height || req.body.rle.size[1] !== image.width))
        throw new InvalidArgumentError(
          `rle.size must be the image's [height, width] [${image.height}, ${image.width}]`,
        );
      if (req.body.box) checkBox(req.body.box, image);
      const active = project.settings.head;
      if (active && !req.body.labels && !req.body.zeroShot && (req.body.rle || req.body.box)) {
        const head = await openHead(ctx, project.id, active);
        const [p] = await classifyWithHead(ctx, head, image.sha256, req.body);
        return {
          ranked: p!.ranked,
          margin: p!.margin,
          unsure: p!.unsure,
          source: 'head' as const,
          head: active,
        };
      }
      const labels = req.body.labels ?? project.labels.map((l) => l.name);
      if (labels.length < 2)
        throw new InvalidArgumentError(
          'classify needs at least two labels: give `labels` or add them to the project',
        );
      let mask: Mask;
      if (req.body.rle) mask = rleToMask(req.body.rle);
      else if (req.body.box) {
        const [x, y, w, h] = req.body.box.map(Math.round) as [number, number, number, number];
        const data = new Uint8Array(image.width * image.height);
        for (let yy = y; yy < Math.min(image.height, y + h); yy++)
          data.fill(1, yy * image.width + x, yy * image.width + Math.min(image.width, x + w));
        mask = { width: image.width, height: image.height, data };
      } else throw new InvalidArgumentError('classify needs a box or an rle');
      const model = ctx.allowModel(req.body.model ?? ctx.projectModels(project).embed);
      const r = await classify(await ctx.image(image.sha256), mask, labels, model ? { model } : {});
      return {
        ...r,
        source: 'zero-shot' as const,
        head: null,
        unsure: (r.ranked[0]?.probability ?? 0) < 0.5,
      };
    },
  );
};
