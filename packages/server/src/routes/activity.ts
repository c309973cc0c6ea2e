import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Activity, InferenceCall } from '../activity.js';
import type { Caller } from '../auth.js';
import type { ServerContext } from '../context.js';
import type { JobEvent } from '../jobs/bus.js';
import type { JobInfo } from '../jobs/queue.js';
import { listProjects } from '../repo/projects.js';
import { ErrorBody, Job } from '../schemas.js';
import { openEventStream } from '../sse.js';

const Call = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  imageId: Type.Union([Type.Integer(), Type.Null()]),
  user: Type.String(),
  startedAt: Type.String(),
});

export const activityRoutes: FastifyPluginAsyncTypebox<{
  ctx: ServerContext;
  activity: Activity;
}> = async (app, { ctx, activity }) => {
  /** An admin sees everything; others their own calls and the jobs of their projects. */
  const scope = async (caller: Caller) => {
    if (caller.role === 'admin') return { call: () => true, job: () => true };
    const projects = new Set((await listProjects(ctx.db, caller)).map((p) => p.id));
    return {
      call: (c: InferenceCall) => c.user === caller.name,
      job: (j: JobInfo) => j.projectId !== null && projects.has(j.projectId),
    };
  };
  const snapshot = async (caller: Caller) => {
    const see = await scope(caller);
    const jobs = (await ctx.jobs.list('all')).filter(
      (j) => (j.state === 'running' || j.state === 'queued') && see.job(j),
    );
    return { inference: activity.inFlight().filter(see.call), jobs };
  };

  app.get(
    '/activity',
    {
      schema: {
        tags: ['activity'],
        description:
          'Inference calls in flight (segment, find-all, preload, …) and the queued and running jobs.',
        response: {
          200: Type.Object({ inference: Type.Array(Call), jobs: Type.Array(Job) }),
          401: ErrorBody,
        },
      },
    },
    async (req) => snapshot(req.caller),
  );
  app.get(
    '/activity/events',
    {
      schema: {
        tags: ['activity'],
        description:
          'Server-Sent Events: `snapshot` at once, then `inference-start`, `inference-end` and the job events (`started`, `progress`, `item`, `finished`, `failed`, `cancelled`).',
      },
    },
    async (req, reply) => {
      const see = await scope(req.caller);
      const { send } = openEventStream(reply);
      const onActivity = (e: { type: string; call: InferenceCall }) => {
        if (see.call(e.call)) send(e.type, e);
      };
      const onJob = (e: JobEvent) => {
        if (see.job(e.job)) send(e.type, e.job);
      };
      activity.events.on('activity', onActivity);
      const stop = ctx.bus.subscribe(onJob);
      req.raw.on('close', () => {
        activity.events.off('activity', onActivity);
        stop();
      });
      send('snapshot', await snapshot(req.caller));
    },
  );
};
