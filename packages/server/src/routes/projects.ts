import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ServerContext } from '../context.js';
import { blobInUse } from '../repo/images.js';
import { createProject, deleteProject, getProject, listProjects, updateProject } from '../repo/projects.js';
import { ErrorBody, IdParams, Project, ProjectCreate, ProjectUpdate } from '../schemas.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

export const projectRoutes: FastifyPluginAsyncTypebox<{ ctx: ServerContext }> = async (app, { ctx }) => {
  /** A model folder outside the server's model roots is refused when it is set, not only when it is used. */
  const checkModels = (body: { settings?: { models?: Record<string, string | undefined> } }) => {
    for (const ref of Object.values(body.settings?.models ?? {})) ctx.allowModel(ref);
  };
  app.post(
    '/projects',
    { schema: { tags: ['projects'], body: ProjectCreate, response: { 201: Project, ...errors } } },
    async (req, reply) => {
      checkModels(req.body);
      return reply.status(201).send(await createProject(ctx.db, req.caller, req.body));
    },
  );
  app.get(
    '/projects',
    { schema: { tags: ['projects'], response: { 200: Type.Array(Project), ...errors } } },
    async (req) => listProjects(ctx.db, req.caller),
  );
  app.get(
    '/projects/:id',
    { schema: { tags: ['projects'], params: IdParams, response: { 200: Project, ...errors } } },
    async (req) => getProject(ctx.db, req.caller, req.params.id),
  );
  app.patch(
    '/projects/:id',
    {
      schema: {
        tags: ['projects'],
        params: IdParams,
        body: ProjectUpdate,
        response: { 200: Project, ...errors },
      },
    },
    async (req) => {
      checkModels(req.body);
      return updateProject(ctx.db, req.caller, req.params.id, req.body);
    },
  );
  app.delete(
    '/projects/:id',
    { schema: { tags: ['projects'], params: IdParams, response: { 204: Type.Null(), ...errors } } },
    async (req, reply) => {
      for (const key of await deleteProject(ctx.db, req.caller, req.params.id)) {
        if (!(await blobInUse(ctx.db, key))) await ctx.blobs.delete(key);
      }
      return reply.status(204).send(null);
    },
  );
};
