import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ServerContext } from '../context.js';
import { deleteAnnotation, getAnnotationRow, listAnnotations } from '../repo/annotations.js';
import { getImageMeta } from '../repo/images.js';
import { requireWrite } from '../repo/projects.js';
import {
  Annotation,
  AnnotationCreate,
  AnnotationFilter,
  AnnotationParams,
  AnnotationUpdate,
  ErrorBody,
  IfMatch,
  ImageParams,
  Mode,
} from '../schemas.js';
import { createAnnotation, patchAnnotation, saveImageAnnotations } from '../services/annotations.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

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
      const created = await createAnnotation(ctx, req.caller, req.params.imageId, req.body);
      return reply.status(201).send(created);
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
    async (req) =>
      saveImageAnnotations(ctx, req.caller, req.params.imageId, req.query.mode, req.body.annotations),
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
    async (req) =>
      patchAnnotation(ctx, req.caller, req.params.annotationId, versionOf(req.headers['if-match']), req.body),
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
