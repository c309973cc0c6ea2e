// The encoder output of an image, for a decoder running in the browser, and preload.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { InvalidArgumentError, ModelUnsupportedError, toFloat16 } from '@segkit/core';
import { sharedFinder } from '@segkit/models';
import { Type } from 'typebox';
import type { ServerContext } from '../context.js';
import { getImage } from '../repo/images.js';
import { getProject } from '../repo/projects.js';
import { ErrorBody, ImageParams } from '../schemas.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 422: ErrorBody };
const ModelQuery = Type.Optional(Type.String({ minLength: 1, maxLength: 300 }));

export const embeddingRoutes: FastifyPluginAsyncTypebox<{ ctx: ServerContext }> = async (app, { ctx }) => {
  const open = async (caller: Parameters<typeof getImage>[1], imageId: number, model?: string) => {
    const image = await getImage(ctx.db, caller, imageId);
    const project = await getProject(ctx.db, caller, image.projectId);
    const segmenter = await ctx.segmenter(model ?? ctx.projectModels(project).segment);
    return { image, segmenter };
  };

  app.post(
    '/images/:imageId/preload',
    {
      schema: {
        tags: ['inference'],
        description:
          'Encodes the image now, so that the next prompt on it only runs the decoder. With `find: true`, encodes it for the project’s SAM 3 find model instead (400 when the project has none), so that find-all on it only runs the text encoder and the decoder.',
        params: ImageParams,
        body: Type.Object(
          { model: ModelQuery, find: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ model: Type.String(), ms: Type.Number(), cached: Type.Boolean() }),
          ...errors,
        },
      },
    },
    async (req) => {
      if (req.body.find) {
        const image = await getImage(ctx.db, req.caller, req.params.imageId);
        const project = await getProject(ctx.db, req.caller, image.projectId);
        const model = ctx.allowModel(req.body.model ?? ctx.projectModels(project).find);
        if (!model)
          throw new InvalidArgumentError(
            'This project has no SAM 3 find model to preload for (set one in the project settings or with segkit serve --find-model)',
          );
        const finder = await sharedFinder(model);
        const before = finder.stats.encoderRuns;
        const t0 = performance.now();
        await finder.preload(await ctx.image(image.sha256));
        return {
          model: finder.modelName,
          ms: performance.now() - t0,
          cached: finder.stats.encoderRuns === before,
        };
      }
      const { image, segmenter } = await open(req.caller, req.params.imageId, req.body.model);
      const runs = segmenter.stats.encoderRuns;
      const t0 = performance.now();
      await segmenter.preload(await ctx.image(image.sha256));
      return {
        model: segmenter.modelName,
        ms: performance.now() - t0,
        cached: segmenter.stats.encoderRuns === runs,
      };
    },
  );
  app.get(
    '/images/:imageId/embedding',
    {
      schema: {
        tags: ['inference'],
        description:
          'The SAM / SAM 2 encoder output as binary: the tensors one after another (float16 by default, little-endian). The `x-segkit-embedding` header is JSON: tensor names, shapes, byte offsets, dtype, and the geometry (originalSize, reshapedSize, frameSize, [height, width]) that maps image pixels to the model frame.',
        params: ImageParams,
        querystring: Type.Object({
          model: ModelQuery,
          dtype: Type.Optional(Type.Union([Type.Literal('float16'), Type.Literal('float32')])),
        }),
      },
    },
    async (req, reply) => {
      const { image, segmenter } = await open(req.caller, req.params.imageId, req.query.model);
      const emb = await segmenter.embedding(await ctx.image(image.sha256));
      if (!emb)
        throw new ModelUnsupportedError(`${segmenter.modelName} has no image encoder (the classic backend)`);
      const dtype = req.query.dtype ?? 'float16';
      const parts: Buffer[] = [];
      const tensors = [];
      let offset = 0;
      for (const [name, t] of Object.entries(emb.tensors)) {
        const data = t.data as Float32Array;
        const arr = dtype === 'float16' ? toFloat16(data) : data;
        const buf = Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength);
        tensors.push({ name, dims: t.dims, offset, bytes: buf.length });
        parts.push(buf);
        offset += buf.length;
      }
      const meta = {
        model: segmenter.modelName,
        family: segmenter.backend,
        dtype,
        tensors,
        originalSize: emb.originalSize,
        reshapedSize: emb.reshapedSize,
        frameSize: emb.frameSize,
      };
      return reply
        .header('content-type', 'application/octet-stream')
        .header('x-segkit-embedding', JSON.stringify(meta))
        .send(Buffer.concat(parts));
    },
  );
};
