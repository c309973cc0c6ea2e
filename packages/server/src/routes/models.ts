// Models: what is there (ready / missing / corrupt), and pulls as jobs.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  DEFAULT_EMBED_MODEL,
  DEFAULT_SEGMENT_MODEL,
  DEFAULT_TEXT_MODEL,
  isTestModel,
  listModels,
  modelStatus,
  pullHint,
  pullModel,
  resolveModelRef,
} from '@segkit/models';
import { Type } from 'typebox';
import type { ServerContext } from '../context.js';
import type { JobHandler } from '../jobs/runner.js';
import { getProject, requireAdmin } from '../repo/projects.js';
import { ErrorBody, IdParams, Job, ModelState, type ModelStateT } from '../schemas.js';
import { textModelState } from '../services/text-models.js';

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

/** The library's model for each role when neither the project nor the server names one. */
const LIBRARY_DEFAULT = {
  segment: DEFAULT_SEGMENT_MODEL,
  text: DEFAULT_TEXT_MODEL,
  embed: DEFAULT_EMBED_MODEL,
} as const;

/** What a model reference stands for now: downloaded or not, the command that fixes it, a test fixture or not. */
function modelState(
  role: keyof typeof LIBRARY_DEFAULT | 'find',
  ref: string | undefined,
  from: ModelStateT['from'],
): ModelStateT {
  const name = ref ?? (role === 'find' ? 'pipeline' : LIBRARY_DEFAULT[role]);
  if (name === 'classic') return { ref: name, from, status: 'ready', pull: null, test: false, classic: true };
  let resolved: ReturnType<typeof resolveModelRef>;
  try {
    resolved = resolveModelRef(name);
  } catch (e) {
    return {
      ref: name,
      from,
      status: 'unknown',
      pull: null,
      test: false,
      classic: false,
      error: (e as Error).message,
    };
  }
  const status = modelStatus(resolved);
  // With no model named anywhere, segmentation falls back to the offline classic backend while SAM is missing.
  if (role === 'segment' && ref === undefined && status !== 'ready')
    return { ref: 'classic', from, status: 'ready', pull: pullHint(resolved), test: false, classic: true };
  return {
    ref: name,
    from,
    status,
    pull: status === 'ready' ? null : pullHint(resolved),
    test: isTestModel(resolved),
    classic: false,
  };
}

export const modelRoutes: FastifyPluginAsyncTypebox<{ ctx: ServerContext }> = async (app, { ctx }) => {
  app.get(
    '/projects/:id/models',
    {
      schema: {
        tags: ['models'],
        description:
          'The segmentation, text, embedding and find-all (SAM 3) models the project works with (its settings, else the server’s `--model`/`--text-model`/`--embed-model`/`--find-model`, else the library’s), each with its download state; `find` without a SAM 3 model is `pipeline: true` (CLIPSeg + SAM + CLIP), the `segkit models pull` command when it is missing, and whether it is a test fixture. A segmentation model that falls back to the classic backend says so (`classic: true`, with the pull command for SAM).',
        params: IdParams,
        response: {
          200: Type.Object({ segment: ModelState, text: ModelState, embed: ModelState, find: ModelState }),
          ...errors,
        },
      },
    },
    async (req) => {
      const project = await getProject(ctx.db, req.caller, req.params.id);
      const models = ctx.projectModels(project);
      const fromOf = (role: keyof typeof LIBRARY_DEFAULT | 'find') =>
        project.settings.models?.[role] ? 'project' : ctx.defaults[role] ? 'server' : 'default';
      const state = (role: keyof typeof LIBRARY_DEFAULT) => modelState(role, models[role], fromOf(role));
      const findFrom = fromOf('find');
      // No SAM 3 model named: find-all runs the pipeline of the other three roles.
      const find: ModelStateT = models.find
        ? modelState('find', models.find, findFrom)
        : {
            ref: 'pipeline',
            from: findFrom,
            status: 'ready',
            pull: null,
            test: false,
            classic: false,
            pipeline: true,
          };
      // A model the project trained (`text-models/<name>`) is ready once recorded; the pull hint does not apply.
      const trained = await textModelState(ctx, project.id, models.text);
      const text: ModelStateT = trained
        ? {
            ref: models.text!,
            from: fromOf('text'),
            status: trained,
            pull: null,
            test: false,
            classic: false,
          }
        : state('text');
      return { segment: state('segment'), text, embed: state('embed'), find };
    },
  );
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
