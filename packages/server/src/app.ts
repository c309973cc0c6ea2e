// build(options): the fastify app, ready for `inject` or `listen` (only the CLI listens).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import multipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { NotFoundError, UnauthorizedError } from '@segkit/core';
import { Ajv } from 'ajv';
import Fastify, { type FastifyInstance, type FastifyRequest, LogController } from 'fastify';
import { pino } from 'pino';
import { type Caller, COOKIE, callerOf, ensureAdminToken } from './auth.js';
import type { ServerContext } from './context.js';
import { errorHandler, sendError } from './http-errors.js';
import { interactiveHooks } from './interactive.js';
import { sweepTemps } from './maintenance.js';
import { activityRoutes } from './routes/activity.js';
import { analyticsRoutes } from './routes/analytics.js';
import { annotationRoutes } from './routes/annotations.js';
import { assistRoutes } from './routes/assists.js';
import { decoderRoutes } from './routes/decoder.js';
import { embeddingRoutes } from './routes/embedding.js';
import { findAllRoutes } from './routes/find-all.js';
import { headRoutes } from './routes/heads.js';
import { imageRoutes } from './routes/images.js';
import { inferenceRoutes } from './routes/inference.js';
import { jobRoutes } from './routes/jobs.js';
import { modelRoutes } from './routes/models.js';
import { projectRoutes } from './routes/projects.js';
import { recipeRoutes } from './routes/recipes.js';
import { transferRoutes } from './routes/transfer.js';
import { userRoutes } from './routes/users.js';
import { openRuntime, type RuntimeOptions } from './runtime.js';
import { assertSameOrigin, securityHeaders, serverFactory } from './security.js';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
}

/** The fastify app with SegKit's handle: the context routes share, and the admin token. */
export type SegkitApp = FastifyInstance & {
  /**
   * The shared context, the admin token (undefined on a replica that joined a database whose admin token another
   * server made), and every `/api/v1` route (`METHOD /path/:param`).
   */
  segkit: { ctx: ServerContext; adminToken: string | undefined; routes: string[] };
};

export interface BuildOptions extends RuntimeOptions {
  /**
   * fastify's logger option (pino): false in tests; `'stdout'` in `segkit serve`: JSON lines with request ids, written
   * to stdout through a buffered asynchronous stream (flushed on close), so logging never stalls a request.
   */
  logger?: boolean | object | 'stdout';
  /** Job workers (default 1: one model-bound job at a time); 0 runs no jobs (an API-only replica). */
  workers?: number;
  /** Folders the import route may read datasets from (nothing else on disk is reachable). */
  importRoots?: string[];
  /** The built browser app (`@segkit/web`'s dist/), served at `/`; without it `/` is a short status page. */
  webRoot?: string;
}

/** An Ajv instance for request parts, coercing text to numbers and booleans or not. */
function validator(coerce: boolean): Ajv {
  const ajv = new Ajv({
    coerceTypes: coerce ? 'array' : false,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
  });
  return ajv;
}

/** The token a request carries, and how: `Authorization: Bearer …`, else the cookie the printed URL sets. */
function tokenOf(req: FastifyRequest): { token: string | undefined; via: 'header' | 'cookie' } {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return { token: auth.slice(7).trim(), via: 'header' };
  const cookie = req.headers.cookie?.split(';').find((c) => c.trim().startsWith(`${COOKIE}=`));
  if (!cookie) return { token: undefined, via: 'header' };
  let token: string | undefined;
  try {
    token = decodeURIComponent(cookie.trim().slice(COOKIE.length + 1));
  } catch {
    token = undefined; // a cookie that is not valid percent-encoding is no token
  }
  return { token, via: 'cookie' };
}

/**
 * Builds the SegKit server over a data directory, without listening.
 * @example const app = await build({ dataDir: '/tmp/segkit' }); await app.inject({ url: '/api/v1/projects' });
 */
export async function build(options: BuildOptions): Promise<SegkitApp> {
  const runtime = await openRuntime(options);
  const { ctx, metrics } = runtime;
  const { db, dataDir, limits } = ctx;
  const swept = await sweepTemps(dataDir); // temporary files of a server that was killed mid-write
  const adminToken = await ensureAdminToken(db, dataDir, options.databaseUrl !== undefined);
  const stdout =
    options.logger === 'stdout' ? pino.destination({ dest: 1, sync: false, minLength: 4096 }) : undefined;
  const app = Fastify({
    logger: (stdout ? { level: 'info', stream: stdout } : (options.logger ?? false)) as
      | boolean
      | { level: string },
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: limits.bodyBytes,
    // A URL that is not valid percent-encoding, or a content type fastify cannot parse, is the caller's mistake too.
    frameworkErrors: (error, _req, reply) =>
      sendError(reply, 400, 'E_INVALID_ARGUMENT', `Invalid request: ${error.message}`),
    serverFactory: serverFactory({
      headersMs: limits.headersTimeoutMs,
      requestMs: limits.requestTimeoutMs,
      keepAliveMs: 5000,
    }),
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Path, query and header values arrive as text and are coerced to their schema's types; a JSON body never is
  // (`{"name": 5}` is an error, not the name "5").
  const coercing = validator(true);
  const strict = validator(false);
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema),
  );
  const routes: string[] = [];
  app.addHook('onRoute', (r) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    if (r.url.startsWith('/api/v1') && !r.url.endsWith('/*'))
      for (const m of methods) if (m !== 'HEAD') routes.push(`${m} ${r.url}`);
  });
  app.decorate('segkit', { ctx, adminToken, routes });
  app.decorateRequest('caller', null as unknown as Caller);
  app.setErrorHandler(errorHandler);
  app.addHook('onSend', securityHeaders);
  // One JSON line per request, with its id, once the answer is sent; and the request metrics.
  app.addHook('onResponse', async (req, reply) => {
    const labels = {
      method: req.method,
      route: req.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
    };
    metrics.requests.inc(labels);
    metrics.requestSeconds.observe(labels, reply.elapsedTime / 1000);
    req.log.info(
      {
        method: req.method,
        url: req.url.split('?')[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request',
    );
  });
  const web =
    options.webRoot && existsSync(join(options.webRoot, 'index.html')) ? resolve(options.webRoot) : undefined;
  app.setNotFoundHandler((req, reply) => {
    // The browser app's own paths (/projects/1/annotate/3, …) load the app, which routes itself.
    if (
      web &&
      req.method === 'GET' &&
      !req.url.startsWith('/api/') &&
      req.headers.accept?.includes('text/html')
    )
      return reply.header('cache-control', 'no-cache').sendFile('index.html');
    return sendError(reply, 404, 'E_NOT_FOUND', `No route ${req.method} ${req.url.split('?')[0]}`);
  });
  // Jobs: recover those whose owner died (kill -9), run them, and put ours back in the queue on close.
  if (swept.length) app.log.info({ swept: swept.length }, 'removed temporary files of a stopped server');
  await ctx.jobs.recoverOrphans();
  runtime.startJobs(options.workers ?? 1);
  app.addHook('onClose', async () => {
    await runtime.close();
    stdout?.flushSync();
  });
  // Interactive inference: the per-client and server-wide caps, the activity list, priority over batch jobs.
  const activity = interactiveHooks(app, ctx, limits, runtime.inflight);
  await app.register(multipart, {
    limits: { fileSize: limits.fileBytes, files: limits.files, fields: 20, parts: limits.files + 20 },
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'SegKit server',
        version: '0.1.0',
        description: 'Projects, images, annotations per mode and inference.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });
  // Prometheus text; aggregate numbers only, no project data, so no token (as Prometheus scrapes it).
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  // The printed URL `/?token=…` sets the token as an HttpOnly cookie, then drops it from the address bar.
  app.get('/', { schema: { hide: true } }, async (req, reply) => {
    const token = (req.query as { token?: string }).token;
    if (token && (await callerOf(db, token))) {
      return reply
        .header('set-cookie', `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`)
        .redirect('/');
    }
    if (web) return reply.header('cache-control', 'no-cache').sendFile('index.html');
    return reply
      .type('text/html')
      .send(
        '<!doctype html><title>SegKit</title><p>The SegKit server is running. API: <a href="/api/docs">/api/docs</a></p>',
      );
  });
  if (web)
    // Hashed assets, the ONNX Runtime WASM files, gzip copies made at build time.
    await app.register(fastifyStatic, {
      root: web,
      prefix: '/',
      index: false,
      wildcard: true,
      preCompressed: true,
      maxAge: '1h',
    });

  await app.register(
    async (api) => {
      api.addHook('onRequest', async (req) => {
        const { token, via } = tokenOf(req);
        const caller = await callerOf(db, token);
        if (!caller)
          throw new UnauthorizedError(
            'A valid token is required: Authorization: Bearer <token>, or open the URL segkit serve printed',
          );
        assertSameOrigin(req, via);
        req.caller = caller;
      });
      await api.register(projectRoutes, { ctx });
      await api.register(imageRoutes, { ctx });
      await api.register(annotationRoutes, { ctx });
      await api.register(inferenceRoutes, { ctx });
      await api.register(userRoutes, { ctx });
      await api.register(assistRoutes, { ctx });
      await api.register(embeddingRoutes, { ctx });
      await api.register(decoderRoutes, { ctx });
      await api.register(analyticsRoutes, { ctx });
      await api.register(headRoutes, { ctx });
      await api.register(recipeRoutes, { ctx });
      await api.register(findAllRoutes, { ctx });
      await api.register(jobRoutes, { ctx });
      await api.register(modelRoutes, { ctx });
      await api.register(transferRoutes, { ctx, importRoots: options.importRoots ?? [] });
      await api.register(activityRoutes, { ctx, activity });
      api.all('/*', { schema: { hide: true } }, async (req) => {
        throw new NotFoundError(`No route ${req.method} ${req.url.split('?')[0]}`);
      });
    },
    { prefix: '/api/v1' },
  );
  await app.ready();
  return app as unknown as SegkitApp;
}
