import { realpathSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  extractZipToTemp,
  FileNotFoundError,
  InvalidArgumentError,
  NotFoundError,
  UnsafePathError,
} from '@segkit/core';
import { Type } from 'typebox';
import type { ServerContext } from '../context.js';
import { imageIdsOf } from '../repo/images.js';
import { getProject, requireWrite } from '../repo/projects.js';
import { ErrorBody, IdParams, Job, Mode } from '../schemas.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

/** A path the server may read: it must resolve (links followed) inside one of the import roots. */
export function insideRoots(path: string, roots: string[]): string {
  let real: string;
  try {
    real = realpathSync(resolve(path));
  } catch {
    throw new FileNotFoundError(`Not found: ${path}`);
  }
  const ok = roots.some((r) => {
    const root = realpathSync(resolve(r));
    return real === root || real.startsWith(`${root}${sep}`);
  });
  if (!ok)
    throw new UnsafePathError(
      roots.length
        ? `${path} is outside the import roots this server was started with (${roots.join(', ')})`
        : 'This server was started without import roots: name them with segkit serve --import-root DIR',
    );
  return real;
}

export const transferRoutes: FastifyPluginAsyncTypebox<{
  ctx: ServerContext;
  importRoots: string[];
}> = async (app, { ctx, importRoots }) => {
  app.post(
    '/projects/:id/export',
    {
      schema: {
        tags: ['jobs'],
        description:
          'Starts a job that writes the project (one mode, or all) as a dataset zip: coco, yolo, yolo-seg or masks. Only objects are exported; `includePrompts` (coco only) adds find-all’s exemplar boxes in categories of their own, `positive exemplar (prompt)` and `negative exemplar (prompt)`, each marked `attributes.segkit_prompt`.',
        params: IdParams,
        body: Type.Object(
          {
            format: Type.Union([
              Type.Literal('coco'),
              Type.Literal('yolo'),
              Type.Literal('yolo-seg'),
              Type.Literal('masks'),
            ]),
            mode: Type.Optional(Mode),
            includePrompts: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 202: Job, ...errors },
      },
    },
    async (req, reply) => {
      await getProject(ctx.db, req.caller, req.params.id);
      if (req.body.includePrompts && req.body.format !== 'coco')
        throw new InvalidArgumentError(
          `includePrompts needs the coco format: ${req.body.format} has no way to mark a box as a prompt`,
        );
      const n = await imageIdsOf(ctx.db, req.params.id);
      return reply
        .status(202)
        .send(await ctx.jobs.enqueue('export', req.params.id, { ...req.body }, n.length));
    },
  );
  app.get(
    '/jobs/:jobId/download',
    {
      schema: {
        tags: ['jobs'],
        description: 'The zip an export job wrote.',
        params: Type.Object({ jobId: Type.Integer({ minimum: 1 }) }),
      },
    },
    async (req, reply) => {
      const job = await ctx.jobs.get(req.params.jobId);
      if (!job || job.projectId === null) throw new NotFoundError(`No job ${req.params.jobId}`);
      await getProject(ctx.db, req.caller, job.projectId).catch(() => {
        throw new NotFoundError(`No job ${req.params.jobId}`);
      });
      const result = job.result as { blob?: string; file?: string } | null;
      if (job.kind !== 'export' || !['succeeded', 'partial'].includes(job.state) || !result?.blob)
        throw new NotFoundError(`Job ${job.id} has no download (${job.kind}, ${job.state})`);
      // Streamed from the store (an export can be large): never the whole ZIP in the server's memory.
      const { body, size } = await ctx.blobs.stream(result.blob);
      return reply
        .header('content-type', 'application/zip')
        .header('content-length', size)
        .header(
          'content-disposition',
          `attachment; filename="${result.file?.replace(/[^\w.-]/g, '_') ?? 'export.zip'}"`,
        )
        .send(body);
    },
  );
  app.post(
    '/projects/:id/import',
    {
      schema: {
        tags: ['jobs'],
        description:
          'Starts a job that imports a dataset folder or .zip (COCO, YOLO, YOLO-seg, masks, Roboflow) on the server’s disk, inside the import roots named on its command line. Archives go through the safe-zip checks.',
        params: IdParams,
        body: Type.Object(
          { path: Type.String({ minLength: 1, maxLength: 4096 }) },
          { additionalProperties: false },
        ),
        response: { 202: Job, ...errors },
      },
    },
    async (req, reply) => {
      await getProject(ctx.db, req.caller, req.params.id);
      requireWrite(req.caller);
      const path = insideRoots(req.body.path, importRoots);
      if (path.toLowerCase().endsWith('.zip')) {
        // An unsafe archive (zip-slip, bomb, links) is refused now with its code, not later inside the job.
        const dir = await extractZipToTemp(path);
        await rm(dirname(dir), { recursive: true, force: true });
      }
      return reply
        .status(202)
        .send(await ctx.jobs.enqueue('import', req.params.id, { path, by: req.caller.name }, 0));
    },
  );
};
