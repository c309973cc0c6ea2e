// Classifier heads of a project: list them, train one (a job streaming per-epoch metrics), activate one without a
// restart (auto-class then uses it).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ServerContext } from '../context.js';
import { getProject, requireWrite, updateProject } from '../repo/projects.js';
import { ErrorBody, HeadList, HeadTrain, IdParams, Job, TextModelTrain } from '../schemas.js';
import { headDir, listHeads, openHead } from '../services/heads.js';
import { textModelDir } from '../services/text-models.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

export const headRoutes: FastifyPluginAsyncTypebox<{ ctx: ServerContext }> = async (app, { ctx }) => {
  app.get(
    '/projects/:id/heads',
    {
      schema: {
        tags: ['heads'],
        description: "The project's classifier heads, newest first, and the active one.",
        params: IdParams,
        response: { 200: HeadList, ...errors },
      },
    },
    async (req) => {
      const project = await getProject(ctx.db, req.caller, req.params.id);
      const active = project.settings.head ?? null;
      const heads = (await listHeads(ctx, project.id)).map(({ name, head }) => ({
        name,
        labels: head.info.labels,
        embedModel: head.info.embedModel.ref,
        dim: head.info.dim,
        valAccuracy: head.info.metrics.valAccuracy,
        valMacroF1: head.info.metrics.valMacroF1,
        samples: head.info.training.samples,
        createdAt: head.info.createdAt,
        active: name === active,
      }));
      return { active, heads };
    },
  );

  app.post(
    '/projects/:id/heads',
    {
      schema: {
        tags: ['heads'],
        description:
          "Trains a head on the project's labelled boxes and masks (a `train-head` job; its events carry each epoch's loss, accuracy and macro-F1). A head of the same name is replaced.",
        params: IdParams,
        body: HeadTrain,
        response: { 202: Job, ...errors },
      },
    },
    async (req, reply) => {
      requireWrite(req.caller);
      const project = await getProject(ctx.db, req.caller, req.params.id);
      headDir(ctx, project.id, req.body.name);
      ctx.allowModel(req.body.embedModel);
      const params = {
        val: 0.2,
        balanced: false,
        c: 1,
        epochs: 60,
        seed: 42,
        ...req.body,
        by: req.caller.name,
      };
      return reply.status(202).send(await ctx.jobs.enqueue('train-head', project.id, params, 1));
    },
  );

  app.post(
    '/projects/:id/text-models',
    {
      schema: {
        tags: ['heads'],
        description:
          "Fine-tunes a CLIPSeg decoder on the project's labelled masks (a `train-text` job; its events carry each epoch's loss and val mIoU). The model is kept in the blob store: the job's result gives its `ref` (`text-models/<name>`), which a project's `settings.models.text` or a request's `model` may name on any replica, and `path`, this process's copy (<data>/text-models/project-<id>/<name>); a model of the same name is replaced.",
        params: IdParams,
        body: TextModelTrain,
        response: { 202: Job, ...errors },
      },
    },
    async (req, reply) => {
      requireWrite(req.caller);
      const project = await getProject(ctx.db, req.caller, req.params.id);
      textModelDir(ctx, project.id, req.body.name);
      ctx.allowModel(req.body.model);
      const params = {
        epochs: 8,
        batch: 16,
        val: 0.2,
        seed: 42,
        freezeReduces: false,
        q8: false,
        ...req.body,
        by: req.caller.name,
      };
      return reply.status(202).send(await ctx.jobs.enqueue('train-text', project.id, params, 1));
    },
  );

  app.put(
    '/projects/:id/heads/active',
    {
      schema: {
        tags: ['heads'],
        description:
          'Makes a head the project’s active one (null: none, back to zero-shot). Takes effect at once.',
        params: IdParams,
        body: Type.Object(
          { name: Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()]) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ active: Type.Union([Type.String(), Type.Null()]) }), ...errors },
      },
    },
    async (req) => {
      requireWrite(req.caller);
      const project = await getProject(ctx.db, req.caller, req.params.id);
      if (req.body.name !== null) await openHead(ctx, project.id, req.body.name);
      await updateProject(ctx.db, req.caller, project.id, {
        settings: { ...project.settings, head: req.body.name },
      });
      return { active: req.body.name };
    },
  );
};
