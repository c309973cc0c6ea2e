// Interactive inference calls (segment, find-all, text, …): each takes a per-client slot (E_RATE_LIMITED past the
// cap) and a server-wide slot (waiting in order; heavy and light calls queue apart, so a click never waits behind a
// find-all), is listed in the activity stream, and holds batch jobs back between their items. Slots are released when
// the call's work is done (fastify's onSend, which comes even when the client has gone), never earlier: a client that
// disconnects and retries cannot pile up work.
import { InvalidArgumentError, RateLimitedError } from '@segkit/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Activity } from './activity.js';
import type { Limits, ServerContext } from './context.js';
import { Gate, type InflightSlots } from './security.js';

const INTERACTIVE =
  /^\/api\/v1\/images\/:imageId\/(segment|refine-box|point-to-box|text|find-all|panoptic|classify|preload|embedding)$/;
/** Calls that run whole models over the image (seconds); the others run a decoder on a cached embedding (ms). */
const HEAVY = new Set(['text', 'find-all', 'panoptic']);

const release = Symbol('segkit.release');
type Tracked = FastifyRequest & { [release]?: () => void };

/** Adds the hooks; returns the activity list the activity routes stream. */
export function interactiveHooks(
  app: FastifyInstance,
  ctx: ServerContext,
  limits: Limits,
  inflight: InflightSlots,
): Activity {
  const activity = new Activity();
  const size = limits.inferenceConcurrency;
  const heavyGate = new Gate(size);
  const lightGate = new Gate(size);
  // Past this many heavy calls waiting, more are refused at once: under overload a quick 429 beats a long wait.
  const heavyQueue = 8 * size;
  app.addHook('preHandler', async (req, reply) => {
    const m = INTERACTIVE.exec(req.routeOptions.url ?? '');
    if (!m || !req.caller) return;
    const userId = req.caller.userId;
    const heavy = HEAVY.has(m[1]!);
    const gate = heavy ? heavyGate : lightGate;
    if (heavy && gate.queued >= heavyQueue)
      throw new RateLimitedError(
        `The server is busy: ${gate.queued} long inference calls are waiting; retry shortly`,
      );
    const leave = await inflight.enter(userId);
    ctx.interactive++;
    let closed = false;
    let entered = false;
    let done = false;
    (req as Tracked)[release] = () => {
      if (done) return;
      done = true;
      leave();
      ctx.interactive--;
      activity.end(req.id);
      if (entered) gate.leave();
    };
    reply.raw.once('close', () => {
      closed = true;
    });
    await gate.enter();
    entered = true;
    if (closed) {
      (req as Tracked)[release]!(); // the client left while waiting: hand the slot on, and do not run its call
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
  // The call's answer (or its error) is ready: its work is over, whether or not the client is still there.
  app.addHook('onSend', async (req) => {
    (req as Tracked)[release]?.();
  });
  return activity;
}
