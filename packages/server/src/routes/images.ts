import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  describeBinary,
  encodeImage,
  ImageFormatError,
  InvalidArgumentError,
  imageSize,
  loadImage,
  resizeImage,
  SegkitError,
  TooLargeError,
} from '@segkit/core';
import { Type } from 'typebox';
import type { ServerContext } from '../context.js';
import { malformed, wellFormed } from '../multipart.js';
import { addImage, deleteImage, getImage, listImages, setTextPrompt } from '../repo/images.js';
import { getProject, requireWrite } from '../repo/projects.js';
import { ErrorBody, IdParams, Image, ImageList, ImageParams, ImageUpdate, Page } from '../schemas.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 413: ErrorBody };

/** The media type of image bytes, from their first bytes (never from the file name). */
function mediaType(bytes: Uint8Array): string {
  const what = describeBinary(bytes);
  if (what === 'a PNG image') return 'image/png';
  if (what === 'a JPEG image') return 'image/jpeg';
  if (what === 'a WebP image') return 'image/webp';
  if (what === 'a TIFF image') return 'image/tiff';
  if (what === 'a GIF image') return 'image/gif';
  return 'application/octet-stream';
}

/** A stream's first piece, and a stream that gives that piece and then the rest. */
async function firstPiece(body: Readable): Promise<{ head: Buffer; rest: Readable }> {
  const it = body[Symbol.asyncIterator]();
  const first = await it.next();
  const head = first.done ? Buffer.alloc(0) : Buffer.from(first.value as Uint8Array);
  const rest = Readable.from(
    (async function* () {
      if (head.length) yield head;
      for (let n = await it.next(); !n.done; n = await it.next()) yield n.value as Uint8Array;
    })(),
    { objectMode: false },
  );
  return { head, rest };
}

/** A file name as given by the client, reduced to its last path part and printable characters. */
const safeName = (name: string) =>
  (name.split(/[\\/]/).pop() ?? '').replace(/[^\w.\- ()]/g, '_').slice(0, 200) || 'image';

export const imageRoutes: FastifyPluginAsyncTypebox<{ ctx: ServerContext }> = async (app, { ctx }) => {
  app.post(
    '/projects/:id/images',
    {
      schema: {
        tags: ['images'],
        params: IdParams,
        consumes: ['multipart/form-data'],
        description:
          'Upload images (multipart, several files at once). Each file that is an image SegKit reads is added (`added`; `images` is the same list); each other one is listed in `rejected` with its code and reason. When no file is an image: 400 with the first file’s code. The same bytes twice in one project return the existing image.',
        response: {
          201: Type.Object({
            images: Type.Array(Image),
            added: Type.Array(Image),
            created: Type.Integer(),
            rejected: Type.Array(
              Type.Object({ file: Type.String(), code: Type.String(), message: Type.String() }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (req, reply) => {
      await getProject(ctx.db, req.caller, req.params.id);
      requireWrite(req.caller);
      if (!req.isMultipart()) throw new InvalidArgumentError('Upload images as multipart/form-data');
      // Every file is checked (type from its bytes, pixel limit from its header, then a full decode) and stored as a
      // blob; a file that fails is reported with its reason and the others are added.
      const files: { sha256: string; fileName: string; width: number; height: number }[] = [];
      const rejected: { file: string; code: string; message: string; error: SegkitError }[] = [];
      for await (const part of wellFormed(() =>
        req.files({ limits: { fileSize: ctx.limits.fileBytes, files: ctx.limits.files + 1 } }),
      )) {
        if (files.length >= ctx.limits.files)
          throw new TooLargeError(`At most ${ctx.limits.files} files per upload`);
        const bytes = await part.toBuffer().catch((e: unknown) => {
          throw malformed(e);
        });
        const name = safeName(part.filename);
        try {
          if (mediaType(bytes) === 'application/octet-stream')
            throw new ImageFormatError(`${name} is not an image SegKit reads (PNG, JPEG, WebP, TIFF, GIF)`);
          const { width, height } = await imageSize(bytes, { maxPixels: ctx.limits.maxPixels });
          await loadImage(bytes, { maxPixels: ctx.limits.maxPixels }); // a truncated or corrupt file fails here
          files.push({ sha256: await ctx.blobs.put(bytes), fileName: name, width, height });
        } catch (e) {
          if (!(e instanceof SegkitError) || e.code === 'E_NO_SPACE') throw e; // the server's trouble, not the file's
          rejected.push({ file: name, code: e.code, message: e.message.split('\n')[0]!, error: e });
        }
      }
      if (!files.length && rejected.length) {
        const first = rejected[0]!.error;
        if (rejected.length > 1)
          first.message = `No file is an image: ${rejected.map((r) => r.message).join('; ')}`;
        throw first;
      }
      const ids: number[] = [];
      let created = 0;
      for (const f of files) {
        const r = await addImage(ctx.db, req.params.id, f);
        ids.push(r.id);
        if (r.created) created++;
      }
      if (!ids.length) throw new InvalidArgumentError('The upload holds no file');
      const images = await Promise.all(ids.map((id) => getImage(ctx.db, req.caller, id)));
      return reply.status(201).send({
        images,
        added: images,
        created,
        rejected: rejected.map(({ file, code, message }) => ({ file, code, message })),
      });
    },
  );
  app.get(
    '/projects/:id/images',
    {
      schema: {
        tags: ['images'],
        params: IdParams,
        querystring: Page,
        response: { 200: ImageList, ...errors },
      },
    },
    async (req) =>
      listImages(ctx.db, req.caller, req.params.id, {
        offset: req.query.offset ?? 0,
        limit: req.query.limit ?? 100,
      }),
  );
  app.get(
    '/images/:imageId',
    { schema: { tags: ['images'], params: ImageParams, response: { 200: Image, ...errors } } },
    async (req) => getImage(ctx.db, req.caller, req.params.imageId),
  );
  app.get(
    '/images/:imageId/file',
    { schema: { tags: ['images'], params: ImageParams, description: 'The image bytes as uploaded' } },
    async (req, reply) => {
      const image = await getImage(ctx.db, req.caller, req.params.imageId);
      // Streamed from the store, never held whole: the first piece names the format.
      const { body, size } = await ctx.blobs.stream(image.sha256);
      const { head, rest } = await firstPiece(body);
      return reply
        .header('content-type', mediaType(head))
        .header('content-length', size)
        .header('cache-control', 'private, max-age=31536000, immutable')
        .send(rest);
    },
  );
  app.get(
    '/images/:imageId/thumbnail',
    {
      schema: {
        tags: ['images'],
        description: 'A JPEG no larger than `size` on its long side (default 256), made once and kept.',
        params: ImageParams,
        querystring: Type.Object({
          size: Type.Optional(Type.Integer({ minimum: 32, maximum: 1024, default: 256 })),
        }),
      },
    },
    async (req, reply) => {
      const image = await getImage(ctx.db, req.caller, req.params.imageId);
      const size = req.query.size ?? 256;
      const key = createHash('sha256').update(`thumbnail:${image.sha256}:${size}`).digest('hex');
      let bytes: Buffer;
      if (await ctx.blobs.has(key)) bytes = await ctx.blobs.get(key);
      else {
        const pixels = await ctx.image(image.sha256);
        const scale = Math.min(1, size / Math.max(pixels.width, pixels.height));
        const small = await resizeImage(
          pixels,
          Math.max(1, Math.round(pixels.width * scale)),
          Math.max(1, Math.round(pixels.height * scale)),
        );
        bytes = await encodeImage(small, 'jpeg');
        await ctx.blobs.putAt(key, bytes);
      }
      return reply
        .header('content-type', 'image/jpeg')
        .header('cache-control', 'private, max-age=86400')
        .send(bytes);
    },
  );
  app.patch(
    '/images/:imageId',
    {
      schema: {
        tags: ['images'],
        params: ImageParams,
        body: ImageUpdate,
        response: { 200: Image, ...errors },
      },
    },
    async (req) => {
      await getImage(ctx.db, req.caller, req.params.imageId);
      requireWrite(req.caller);
      await setTextPrompt(ctx.db, req.params.imageId, req.body.textPrompt);
      return getImage(ctx.db, req.caller, req.params.imageId);
    },
  );
  app.delete(
    '/images/:imageId',
    { schema: { tags: ['images'], params: ImageParams, response: { 204: Type.Null(), ...errors } } },
    async (req, reply) => {
      await getImage(ctx.db, req.caller, req.params.imageId);
      requireWrite(req.caller);
      const orphan = await deleteImage(ctx.db, req.params.imageId);
      if (orphan) await ctx.blobs.delete(orphan);
      return reply.status(204).send(null);
    },
  );
};
