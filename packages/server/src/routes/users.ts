import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ServerContext } from '../context.js';
import { getProject, requireAdmin } from '../repo/projects.js';
import { addMember, listUsers, members, removeMember } from '../repo/users.js';
import { ErrorBody, IdParams } from '../schemas.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
const Member = Type.Object({ id: Type.Integer(), name: Type.String(), role: Type.String() });

export const userRoutes: FastifyPluginAsyncTypebox<{ ctx: ServerContext }> = async (app, { ctx }) => {
  app.get('/me', { schema: { tags: ['users'], response: { 200: Member, ...errors } } }, async (req) => ({
    id: req.caller.userId,
    name: req.caller.name,
    role: req.caller.role,
  }));
  app.get(
    '/users',
    {
      schema: {
        tags: ['users'],
        response: {
          200: Type.Array(
            Type.Object({
              id: Type.Integer(),
              name: Type.String(),
              role: Type.String(),
              tokens: Type.Integer(),
              createdAt: Type.String(),
            }),
          ),
          ...errors,
        },
      },
    },
    async (req) => {
      requireAdmin(req.caller, 'list users');
      return listUsers(ctx.db);
    },
  );
  app.get(
    '/projects/:id/members',
    { schema: { tags: ['users'], params: IdParams, response: { 200: Type.Array(Member), ...errors } } },
    async (req) => {
      await getProject(ctx.db, req.caller, req.params.id);
      return members(ctx.db, req.params.id);
    },
  );
  app.post(
    '/projects/:id/members',
    {
      schema: {
        tags: ['users'],
        params: IdParams,
        body: Type.Object(
          { user: Type.String({ minLength: 1, maxLength: 64 }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(Member), ...errors },
      },
    },
    async (req) => {
      await getProject(ctx.db, req.caller, req.params.id);
      requireAdmin(req.caller, 'manage project members');
      await addMember(ctx.db, req.params.id, req.body.user);
      return members(ctx.db, req.params.id);
    },
  );
  app.delete(
    '/projects/:id/members/:userId',
    {
      schema: {
        tags: ['users'],
        params: Type.Object({ id: Type.Integer({ minimum: 1 }), userId: Type.Integer({ minimum: 1 }) }),
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (req, reply) => {
      await getProject(ctx.db, req.caller, req.params.id);
      requireAdmin(req.caller, 'manage project members');
      await removeMember(ctx.db, req.params.id, req.params.userId);
      return reply.status(204).send(null);
    },
  );
};
