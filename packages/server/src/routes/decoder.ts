// The SAM decoder graphs of a project's segmentation model, for the browser app to run itself (onnxruntime-web):
// with the image embedding from `/images/{id}/embedding`, a click then needs no server round trip.
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NotFoundError } from '@segkit/core';
import { Type } from 'typebox';
import type { ServerContext } from '../context.js';
import { getProject } from '../repo/projects.js';
import { DecoderInfo, ErrorBody, IdParams } from '../schemas.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 422: ErrorBody };
const ModelQuery = Type.Object({ model: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })) });

export const decoderRoutes: FastifyPluginAsyncTypebox<{ ctx: ServerContext }> = async (app, { ctx }) => {
  const open = async (caller: Parameters<typeof getProject>[1], projectId: number, model?: string) => {
    const project = await getProject(ctx.db, caller, projectId);
    return ctx.segmenter(model ?? ctx.projectModels(project).segment);
  };

  app.get(
    '/projects/:id/decoder',
    {
      schema: {
        tags: ['inference'],
        description:
          "The project's segmentation model as the browser decoder needs it: its decoder graphs (layout, the prompt parts each takes, size) and candidates per prompt. `browser: false` with a reason for the classic backend, which has no decoder graph: clicks then go to the segment route.",
        params: IdParams,
        querystring: ModelQuery,
        response: { 200: DecoderInfo, ...errors },
      },
    },
    async (req) => {
      const seg = await open(req.caller, req.params.id, req.query.model);
      const files = seg.decoders;
      const graphs = await Promise.all(
        files.map(async (f, index) => ({
          index,
          layout: f.layout,
          points: f.points,
          boxes: f.boxes,
          bytes: (await stat(f.path)).size,
          data: await Promise.all(
            f.externalData.map(async (d) => ({ name: basename(d), bytes: (await stat(d)).size })),
          ),
        })),
      );
      return {
        model: seg.modelName,
        family: seg.backend,
        browser: graphs.length > 0,
        ...(graphs.length
          ? {}
          : {
              reason:
                'the classic backend (GrabCut) has no decoder graph to run in the browser; each prompt is sent to the server',
            }),
        candidates: seg.candidates,
        graphs,
      };
    },
  );

  app.get(
    '/projects/:id/decoder/:index',
    {
      schema: {
        tags: ['inference'],
        description:
          'One decoder graph of the project model, as ONNX bytes (cacheable: the model does not change).',
        params: Type.Object({ id: IdParams.properties.id, index: Type.Integer({ minimum: 0, maximum: 7 }) }),
        querystring: ModelQuery,
      },
    },
    async (req, reply) => {
      const seg = await open(req.caller, req.params.id, req.query.model);
      const file = seg.decoders[req.params.index];
      if (!file)
        throw new NotFoundError(
          `${seg.modelName} has ${seg.decoders.length} decoder graph(s); no ${req.params.index}`,
        );
      return reply
        .header('content-type', 'application/octet-stream')
        .header('cache-control', 'private, max-age=3600')
        .send(await readFile(file.path));
    },
  );

  app.get(
    '/projects/:id/decoder/:index/data/:k',
    {
      schema: {
        tags: ['inference'],
        description:
          'External-data side file k of a decoder graph (its weights, for exports that keep them beside the .onnx), as bytes.',
        params: Type.Object({
          id: IdParams.properties.id,
          index: Type.Integer({ minimum: 0, maximum: 7 }),
          k: Type.Integer({ minimum: 0, maximum: 7 }),
        }),
        querystring: ModelQuery,
      },
    },
    async (req, reply) => {
      const seg = await open(req.caller, req.params.id, req.query.model);
      const file = seg.decoders[req.params.index]?.externalData[req.params.k];
      if (!file)
        throw new NotFoundError(
          `${seg.modelName}'s decoder graph ${req.params.index} has no external-data file ${req.params.k}`,
        );
      return reply
        .header('content-type', 'application/octet-stream')
        .header('cache-control', 'private, max-age=3600')
        .send(await readFile(file));
    },
  );
};
