// Interactive inference calls (segment, find-all, text, …): each takes a per-client slot (E_RATE_LIMITED past the
// cap) and a server-wide slot (waiting in order; heavy and light calls queue apart), is listed in the activity stream, and holds batch jobs back between
// their items. Everything is released on the response's 'close', which comes whether the answer was sent or the
// client went away, so nothing is kept by a dropped call.
import { InvalidArgumentError } from '@segkit/core';
import type { FastifyInstance } from 'fastify';
import { Activity } from './activity.js';
import type { Limits, ServerContext } from './context.js';
import { Gate, InflightLimiter } from './security.js';

const INTERACTIVE =
  /^\/api\/v1\/images\/:imageId\/(segment|refine-box|point-to-box|text|find-all|panoptic|classify|preload|embedding)$/;
/** Calls that run whole models over the image (seconds); the others run a decoder on a cached embedding (ms). */
const HEAVY = new Set(['text', 'find-all', 'panoptic']);

/** Adds the hooks; returns the activity list the activity routes stream. */
export function interactiveHooks(app: FastifyInstance, ctx: ServerContext, limits: Limits): Activity {
  const activity = new Activity();
  const inflight = new InflightLimiter(limits.inflightPerClient);
  // Two queues, so that a click never waits behind a find-all: heavy calls get half the slots (at least one), light
  // calls all of them; together they stay within twice the CPU count, which bounds memory.
  const heavyGate = new Gate(Math.max(1, Math.floor(limits.inferenceConcurrency / 2)));
  const lightGate = new Gate(limits.inferenceConcurrency);
  app.addHook('preHandler', async (req, reply) => {
    const m = INTERACTIVE.exec(req.routeOptions.url ?? '');
    if (!m || !req.caller) return;
    const userId = req.caller.userId;
    const gate = HEAVY.has(m[1]!) ? heavyGate : lightGate;
    inflight.enter(userId);
    let closed = false;
    let entered = false;
    ctx.interactive++;
    reply.raw.once('close', () => {
      closed = true;
      inflight.leave(userId);
      ctx.interactive--;
      activity.end(req.id);
      if (entered) gate.leave();
    });
    await gate.enter();
    entered = true;
    if (closed) {
      gate.leave(); // the client left while waiting: hand the slot on, and do not run its call
      throw new InvalidArgumentError(
        'The client closed the connection before its inference call could start',
      );
    }
    const imageId = Number((req.params as { imageId?: string }).imageId);
    activity.start({
      id: req.id,
      kind: m[1]!,
      imageId: Number.isInteger(imageId) ? imageId : null,
      user: req.caller.name,
      startedAt: new Date().toISOString(),
    });
  });
  return activity;
}
