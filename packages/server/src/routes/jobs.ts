import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { InvalidArgumentError, NotFoundError } from '@segkit/core';
import { Type } from 'typebox';
import type { ServerContext } from '../context.js';
import type { JobEvent } from '../jobs/bus.js';
import { FINAL as FINAL_STATES, type JobInfo } from '../jobs/queue.js';
import { getImage, imageIdsOf } from '../repo/images.js';
import { getProject, listProjects, requireWrite } from '../repo/projects.js';
import { getRecipe } from '../repo/recipes.js';
import { cocoBlobOf, listResults, setResult } from '../repo/results.js';
import { CascadeApply, ErrorBody, IdParams, ImageParams, Job, JobItem, Mode } from '../schemas.js';
import { openEventStream } from '../sse.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
const JobParams = Type.Object({ jobId: Type.Integer({ minimum: 1 }) });
const Result = Type.Object({
  mode: Mode,
  status: Type.String(),
  counts: Type.Record(Type.String(), Type.Integer()),
  model: Type.Union([Type.String(), Type.Null()]),
  ms: Type.Union([Type.Number(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  updatedAt: Type.String(),
});
const FINAL_EVENTS = new Set(['finished', 'failed', 'cancelled']);

export const jobRoutes: FastifyPluginAsyncTypebox<{ ctx: ServerContext }> = async (app, { ctx }) => {
  /** A job the caller may see (its project's members), else E_NOT_FOUND. */
  const visible = async (caller: Parameters<typeof getProject>[1], id: number): Promise<JobInfo> => {
    const job = await ctx.jobs.get(id);
    if (!job) throw new NotFoundError(`No job ${id}`);
    if (job.projectId !== null)
      await getProject(ctx.db, caller, job.projectId).catch(() => {
        throw new NotFoundError(`No job ${id}`);
      });
    return job;
  };

  /** The image ids a batch job covers: the given ones (all in the project) or every image of it. */
  const imagesOf = async (projectId: number, given?: number[]) => {
    const all = await imageIdsOf(ctx.db, projectId);
    const known = new Set(all);
    const ids = given ?? all;
    const unknown = ids.filter((id) => !known.has(id));
    if (unknown.length)
      throw new InvalidArgumentError(
        `Images ${unknown.slice(0, 5).join(', ')} are not in project ${projectId}`,
      );
    return ids;
  };
  app.post(
    '/projects/:id/process',
    {
      schema: {
        tags: ['jobs'],
        description:
          'Starts a processing job over the project’s images (or `imageIds`): `inside_box` runs SAM on every segment box; `find_all` runs find-all with each image’s prompt and exemplars. Each image gets its result for that mode and a COCO JSON.',
        params: IdParams,
        body: Type.Object(
          {
            mode: Mode,
            imageIds: Type.Optional(
              Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 100_000 }),
            ),
            recipe: Type.Optional(
              Type.Integer({
                minimum: 1,
                description: 'find_all: apply this recipe instead of each image’s prompt',
              }),
            ),
            cascade: Type.Optional(CascadeApply),
          },
          { additionalProperties: false },
        ),
        response: { 202: Job, ...errors },
      },
    },
    async (req, reply) => {
      await getProject(ctx.db, req.caller, req.params.id);
      requireWrite(req.caller);
      const { recipe, cascade } = req.body;
      if ((recipe || cascade) && req.body.mode !== 'find_all')
        throw new InvalidArgumentError('A recipe or a cascade applies in find_all mode only');
      if (recipe && cascade) throw new InvalidArgumentError('Give a recipe or a cascade, not both');
      for (const id of recipe ? [recipe] : (cascade?.steps.map((s) => s.recipe) ?? [])) {
        const r = await getRecipe(ctx.db, req.caller, id);
        if (r.projectId !== req.params.id)
          throw new InvalidArgumentError(`Recipe ${id} belongs to another project`);
      }
      const ids = await imagesOf(req.params.id, req.body.imageIds);
      for (const id of ids) await setResult(ctx.db, id, req.body.mode, { status: 'pending' });
      const job = await ctx.jobs.enqueue(
        'process',
        req.params.id,
        {
          mode: req.body.mode,
          imageIds: ids,
          by: req.caller.name,
          ...(recipe ? { recipe } : {}),
          ...(cascade ? { cascade } : {}),
        },
        ids.length,
      );
      return reply.status(202).send(job);
    },
  );
  const ImageIds = Type.Optional(
    Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 100_000 }),
  );
  app.post(
    '/projects/:id/text-batch',
    {
      schema: {
        tags: ['jobs'],
        description:
          'A job that runs CLIPSeg prompts on every image (or `imageIds`) and saves a mask per label, as model-made annotations of that label.',
        params: IdParams,
        body: Type.Object(
          {
            prompts: Type.Union([
              Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 32 }),
              Type.Record(
                Type.String({ maxLength: 64 }),
                Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 32 }),
              ),
            ]),
            threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
            mode: Type.Optional(Mode),
            imageIds: ImageIds,
          },
          { additionalProperties: false },
        ),
        response: { 202: Job, ...errors },
      },
    },
    async (req, reply) => {
      await getProject(ctx.db, req.caller, req.params.id);
      requireWrite(req.caller);
      const ids = await imagesOf(req.params.id, req.body.imageIds);
      const params = { ...req.body, mode: req.body.mode ?? 'inside_box', imageIds: ids, by: req.caller.name };
      return reply.status(202).send(await ctx.jobs.enqueue('text-batch', req.params.id, params, ids.length));
    },
  );
  app.post(
    '/projects/:id/build-seg',
    {
      schema: {
        tags: ['jobs'],
        description:
          'A job that gives every inside_box box without a mask its SAM mask (boxes imported from a detection dataset).',
        params: IdParams,
        body: Type.Object({ imageIds: ImageIds }, { additionalProperties: false }),
        response: { 202: Job, ...errors },
      },
    },
    async (req, reply) => {
      await getProject(ctx.db, req.caller, req.params.id);
      requireWrite(req.caller);
      const ids = await imagesOf(req.params.id, req.body.imageIds);
      return reply
        .status(202)
        .send(
          await ctx.jobs.enqueue(
            'build-seg',
            req.params.id,
            { imageIds: ids, by: req.caller.name },
            ids.length,
          ),
        );
    },
  );
  app.post(
    '/projects/:id/analyze',
    {
      schema: {
        tags: ['jobs'],
        description:
          'A job that runs the mask analytics pipeline (SAM masks, CLIP embeddings, UMAP, HDBSCAN) over the project’s images; the run is kept in the data directory under runs/project-<id>/.',
        params: IdParams,
        body: Type.Object(
          { minClusterSize: Type.Optional(Type.Integer({ minimum: 2, maximum: 10_000 })) },
          { additionalProperties: false },
        ),
        response: { 202: Job, ...errors },
      },
    },
    async (req, reply) => {
      await getProject(ctx.db, req.caller, req.params.id);
      requireWrite(req.caller);
      return reply.status(202).send(await ctx.jobs.enqueue('analyze', req.params.id, { ...req.body }, 1));
    },
  );
  app.get(
    '/jobs',
    {
      schema: {
        tags: ['jobs'],
        querystring: Type.Object({ projectId: Type.Optional(Type.Integer({ minimum: 1 })) }),
        response: { 200: Type.Array(Job), ...errors },
      },
    },
    async (req) => {
      if (req.query.projectId) {
        await getProject(ctx.db, req.caller, req.query.projectId);
        return ctx.jobs.list([req.query.projectId]);
      }
      return req.caller.role === 'admin'
        ? ctx.jobs.list('all')
        : ctx.jobs.list((await listProjects(ctx.db, req.caller)).map((p) => p.id));
    },
  );
  app.get(
    '/jobs/:jobId',
    { schema: { tags: ['jobs'], params: JobParams, response: { 200: Job, ...errors } } },
    async (req) => visible(req.caller, req.params.jobId),
  );
  app.get(
    '/jobs/:jobId/items',
    {
      schema: {
        tags: ['jobs'],
        description:
          'The job’s finished items in the order they finished (for a processing job, the image ids), each with its error (`{code, message}`) when it failed; `failed=true` lists only the failed ones.',
        params: JobParams,
        querystring: Type.Object(
          {
            failed: Type.Optional(Type.Boolean()),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
            offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(JobItem) }), ...errors },
      },
    },
    async (req) => {
      await visible(req.caller, req.params.jobId);
      const { failed, limit = 100, offset = 0 } = req.query;
      return {
        items: await ctx.jobs.items(req.params.jobId, { ...(failed ? { failed } : {}), limit, offset }),
      };
    },
  );
  app.post(
    '/jobs/:jobId/cancel',
    {
      schema: {
        tags: ['jobs'],
        description:
          'Cancels a job: a queued one at once, a running one at its next item boundary (finished items stay).',
        params: JobParams,
        response: { 200: Job, ...errors },
      },
    },
    async (req) => {
      await visible(req.caller, req.params.jobId);
      requireWrite(req.caller);
      return (await ctx.jobs.requestCancel(req.params.jobId))!;
    },
  );
  app.get(
    '/jobs/:jobId/events',
    {
      schema: {
        tags: ['jobs'],
        description:
          'Server-Sent Events of a job: `state` at once, then `progress`, `item` (`{item, error?, worker, job}`: the worker is the process, host:pid, that did it), and one of `finished`, `failed`, `cancelled`, after which the stream ends.',
        params: JobParams,
      },
    },
    async (req, reply) => {
      const job = await visible(req.caller, req.params.jobId);
      const { res, send } = openEventStream(reply);
      const end = () => {
        stop();
        res.end();
      };
      const listener = (e: JobEvent) => {
        if (e.job.id !== job.id) return;
        send(
          e.type,
          e.item
            ? { item: e.item, ...(e.error ? { error: e.error } : {}), worker: e.worker ?? null, job: e.job }
            : e.job,
        );
        if (FINAL_EVENTS.has(e.type)) end();
      };
      const stop = ctx.bus.subscribe(listener);
      req.raw.on('close', stop);
      send('state', job);
      const now = await ctx.jobs.get(job.id);
      if (now && FINAL_STATES.includes(now.state)) {
        send(now.state === 'succeeded' || now.state === 'partial' ? 'finished' : now.state, now);
        end();
      }
    },
  );
  app.get(
    '/images/:imageId/results',
    { schema: { tags: ['jobs'], params: ImageParams, response: { 200: Type.Array(Result), ...errors } } },
    async (req) => {
      await getImage(ctx.db, req.caller, req.params.imageId);
      return listResults(ctx.db, req.params.imageId);
    },
  );
  app.get(
    '/images/:imageId/results/:mode/coco',
    {
      schema: {
        tags: ['jobs'],
        description: 'The COCO instances JSON that processing wrote for this image and mode.',
        params: Type.Object({ imageId: Type.Integer({ minimum: 1 }), mode: Mode }),
      },
    },
    async (req, reply) => {
      await getImage(ctx.db, req.caller, req.params.imageId);
      const blob = await cocoBlobOf(ctx.db, req.params.imageId, req.params.mode);
      if (!blob) throw new NotFoundError(`Image ${req.params.imageId} has no ${req.params.mode} result yet`);
      return reply.type('application/json').send(await ctx.blobs.get(blob));
    },
  );
};
