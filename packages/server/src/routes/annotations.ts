import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { InvalidArgumentError, type Rle, rleArea, rleBbox } from '@segkit/core';
import { Type } from 'typebox';
import type { Caller } from '../auth.js';
import type { ServerContext } from '../context.js';
import {
  deleteAnnotation,
  getAnnotationRow,
  insertAnnotations,
  listAnnotations,
  type NewAnnotation,
  replaceAnnotations,
  updateAnnotation,
} from '../repo/annotations.js';
import { getImageMeta, type ImageMeta } from '../repo/images.js';
import { getProject, requireWrite } from '../repo/projects.js';
import {
  Annotation,
  AnnotationCreate,
  type AnnotationCreateT,
  AnnotationFilter,
  AnnotationParams,
  AnnotationUpdate,
  ErrorBody,
  IfMatch,
  ImageParams,
  Mode,
} from '../schemas.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

/** Checks a box against the image: positive size, inside it. */
export function checkBox(box: [number, number, number, number], image: ImageMeta): void {
  const [x, y, w, h] = box;
  if (!(w > 0 && h > 0))
    throw new InvalidArgumentError(`bbox [${box.join(', ')}] is empty: w and h must be > 0`);
  if (x + w > image.width || y + h > image.height)
    throw new InvalidArgumentError(
      `bbox [${box.join(', ')}] lies outside the ${image.width}×${image.height} image`,
    );
}

/** Checks an RLE against the image (its size must be the image's, its counts must decode) and returns its bbox. */
function checkRle(rle: Rle, image: ImageMeta): [number, number, number, number] {
  if (rle.size[0] !== image.height || rle.size[1] !== image.width)
    throw new InvalidArgumentError(
      `rle.size [${rle.size.join(', ')}] is not the image's [height, width] [${image.height}, ${image.width}]`,
    );
  rleArea(rle); // throws E_RLE_INVALID on malformed counts
  return rleBbox(rle) as [number, number, number, number];
}

/** A label must be one of the project's labels, when the project has any. */
async function checkLabel(
  ctx: ServerContext,
  caller: Caller,
  image: ImageMeta,
  label: string | null | undefined,
) {
  if (!label) return;
  const { labels } = await getProject(ctx.db, caller, image.projectId);
  if (labels.length && !labels.some((l) => l.name === label))
    throw new InvalidArgumentError(
      `Label ${JSON.stringify(label)} is not in the project's label set (${labels.map((l) => l.name).join(', ')})`,
    );
}

async function toNew(
  ctx: ServerContext,
  caller: Caller,
  image: ImageMeta,
  a: AnnotationCreateT,
): Promise<NewAnnotation> {
  await checkLabel(ctx, caller, image, a.label);
  const rleBox = a.rle ? checkRle(a.rle, image) : undefined;
  const bbox = a.bbox ?? rleBox;
  if (!bbox) throw new InvalidArgumentError('An annotation needs a bbox, an rle, or both');
  checkBox(bbox, image);
  return {
    imageId: image.id,
    label: a.label ?? null,
    mode: a.mode,
    promptType: a.promptType ?? 'segment',
    source: a.source ?? 'user',
    bbox,
    rle: a.rle ?? null,
    score: a.score ?? null,
    model: a.model ?? null,
    by: caller.name,
  };
}

/** The version an If-Match header names: `3`, `"3"` or `W/"3"`. */
const versionOf = (header: string) => Number(header.replace(/^W\//, '').replaceAll('"', ''));

export const annotationRoutes: FastifyPluginAsyncTypebox<{ ctx: ServerContext }> = async (app, { ctx }) => {
  app.get(
    '/images/:imageId/annotations',
    {
      schema: {
        tags: ['annotations'],
        params: ImageParams,
        querystring: AnnotationFilter,
        response: { 200: Type.Array(Annotation), ...errors },
      },
    },
    async (req) => {
      await getImageMeta(ctx.db, req.caller, req.params.imageId);
      return listAnnotations(ctx.db, req.params.imageId, req.query);
    },
  );
  app.post(
    '/images/:imageId/annotations',
    {
      schema: {
        tags: ['annotations'],
        params: ImageParams,
        body: AnnotationCreate,
        response: { 201: Annotation, ...errors },
      },
    },
    async (req, reply) => {
      const image = await getImageMeta(ctx.db, req.caller, req.params.imageId);
      requireWrite(req.caller);
      const [created] = await insertAnnotations(ctx.db, [await toNew(ctx, req.caller, image, req.body)]);
      return reply.status(201).send(created!);
    },
  );
  app.put(
    '/images/:imageId/annotations',
    {
      schema: {
        tags: ['annotations'],
        description: 'Replaces every annotation of one image in one mode by the list given (bulk save).',
        params: ImageParams,
        querystring: Type.Object({ mode: Mode }),
        body: Type.Object(
          { annotations: Type.Array(AnnotationCreate, { maxItems: 10_000 }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(Annotation), ...errors },
      },
    },
    async (req) => {
      const image = await getImageMeta(ctx.db, req.caller, req.params.imageId);
      requireWrite(req.caller);
      const list = [];
      for (const a of req.body.annotations) {
        if (a.mode !== req.query.mode)
          throw new InvalidArgumentError(
            `Every annotation must be in mode ${req.query.mode}, as the query says`,
          );
        list.push(await toNew(ctx, req.caller, image, a));
      }
      return replaceAnnotations(ctx.db, image.id, req.query.mode, list);
    },
  );
  app.patch(
    '/annotations/:annotationId',
    {
      schema: {
        tags: ['annotations'],
        description:
          'Updates an annotation if it is still at the version If-Match names; otherwise 409 E_CONFLICT.',
        params: AnnotationParams,
        headers: IfMatch,
        body: AnnotationUpdate,
        response: { 200: Annotation, ...errors },
      },
    },
    async (req) => {
      const row = await getAnnotationRow(ctx.db, req.params.annotationId);
      const image = await getImageMeta(ctx.db, req.caller, row.image_id);
      requireWrite(req.caller);
      await checkLabel(ctx, req.caller, image, req.body.label);
      const rleBox = req.body.rle ? checkRle(req.body.rle, image) : undefined;
      const bbox = req.body.bbox ?? (req.body.rle ? rleBox : undefined);
      if (bbox) checkBox(bbox, image);
      return updateAnnotation(
        ctx.db,
        row.id,
        versionOf(req.headers['if-match']),
        {
          ...(req.body.label !== undefined ? { label: req.body.label } : {}),
          ...(req.body.promptType !== undefined ? { promptType: req.body.promptType } : {}),
          ...(bbox ? { bbox } : {}),
          ...(req.body.rle !== undefined ? { rle: req.body.rle } : {}),
        },
        req.caller.name,
      );
    },
  );
  app.delete(
    '/annotations/:annotationId',
    {
      schema: { tags: ['annotations'], params: AnnotationParams, response: { 204: Type.Null(), ...errors } },
    },
    async (req, reply) => {
      const row = await getAnnotationRow(ctx.db, req.params.annotationId);
      await getImageMeta(ctx.db, req.caller, row.image_id);
      requireWrite(req.caller);
      await deleteAnnotation(ctx.db, row.id);
      return reply.status(204).send(null);
    },
  );
};
