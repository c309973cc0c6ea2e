// Models: what is there (ready / missing / corrupt), and pulls as jobs.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { listModels, pullModel, resolveModelRef } from '@segkit/models';
import { Type } from 'typebox';
import type { ServerContext } from '../context.js';
import type { JobHandler } from '../jobs/runner.js';
import { requireAdmin } from '../repo/projects.js';
import { ErrorBody, Job } from '../schemas.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

/** The `pull` job: one model into the cache, with the bytes as progress. */
export const pullHandler: JobHandler = async (job, run) => {
  const { name } = job.params as { name: string };
  let manifest: Awaited<ReturnType<typeof pullModel>> | undefined;
  await run.item(
    name,
    async () => {
      manifest = await pullModel(resolveModelRef(name));
    },
    `pulled ${name}`,
  );
  return manifest ? { name, files: Object.keys(manifest.files).length } : { name };
};

export const modelRoutes: FastifyPluginAsyncTypebox<{ ctx: ServerContext }> = async (app, { ctx }) => {
  app.get(
    '/models',
    {
      schema: {
        tags: ['models'],
        response: {
          200: Type.Array(
            Type.Object({
              name: Type.String(),
              source: Type.String(),
              status: Type.Union([Type.Literal('ready'), Type.Literal('missing'), Type.Literal('corrupt')]),
              bytes: Type.Number(),
              description: Type.String(),
            }),
          ),
          ...errors,
        },
      },
    },
    async () => listModels(),
  );
  app.post(
    '/models/pull',
    {
      schema: {
        tags: ['models'],
        description:
          'Starts a job that downloads a model (a preset or org/name[@revision]) into the cache (admin only).',
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 300 }) },
          { additionalProperties: false },
        ),
        response: { 202: Job, ...errors },
      },
    },
    async (req, reply) => {
      requireAdmin(req.caller, 'download models');
      resolveModelRef(req.body.name); // an unknown name is refused now, not inside the job
      return reply.status(202).send(await ctx.jobs.enqueue('pull', null, { name: req.body.name }, 1));
    },
  );
};
