import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { InvalidArgumentError, UsageError } from '@segkit/core';
import { DEFAULT_SEGMENT_MODEL, defaultSegmentModelReady } from '@segkit/models';
import { build, bundledWebRoot, importFolders } from '@segkit/server';
import { defineCommand, numberOption } from '../command.js';
import { stopGracefully } from '../util.js';
import {
  blobsOption,
  blobsUrlOf,
  databaseOption,
  databaseUrlOf,
  dataDirOf,
  dataOption,
  modelDefaultsOf,
  modelOptions,
  redisOption,
  redisUrlOf,
} from './team-options.js';

export const serveCommand = defineCommand({
  name: 'serve',
  description: 'Run the SegKit server: projects, images, annotations and inference over HTTP, with a token.',
  positionals: [
    {
      name: 'folder',
      description: 'Folders whose images become a project each (reused on restart)',
      variadic: true,
      optional: true,
    },
  ],
  options: {
    ...dataOption,
    ...databaseOption,
    ...blobsOption,
    ...redisOption,
    port: { type: 'string', valueName: 'N', default: '7860', description: 'Port to listen on' },
    host: {
      type: 'string',
      valueName: 'ADDR',
      default: '127.0.0.1',
      description: 'Address to bind (every API call needs a token)',
    },
    workers: {
      type: 'string',
      valueName: 'N',
      default: '1',
      description:
        'Jobs run at the same time (model-bound); 0 runs none, for API replicas beside `segkit worker` (needs --redis)',
    },
    'import-root': {
      type: 'string',
      multiple: true,
      valueName: 'DIR',
      description: 'A folder whose datasets the import route may read (nothing else on disk is reachable)',
    },
    ...modelOptions,
    'max-inflight': {
      type: 'string',
      valueName: 'N',
      default: '4',
      description: 'Inference calls one user may have running at once (more get 429 E_RATE_LIMITED)',
    },
  },
  examples: [
    'segkit serve examples/shapes --data /tmp/segkit-data',
    'segkit serve --port 8080',
    'segkit serve photos/ --model sam3-tracker --find-model sam3',
    'segkit serve --db postgres://segkit@127.0.0.1:5432/segkit --data /srv/segkit',
    'segkit serve --db postgres://segkit@db/segkit --redis redis://cache:6379 --blobs s3://segkit/blobs --workers 0',
  ],
  async run({ positionals, options, io }) {
    const port = numberOption(options, 'port', 7860, 0, 65535);
    const host = String(options.host ?? '127.0.0.1');
    if (!host.trim()) throw new UsageError('--host needs an address');
    const dataDir = dataDirOf(options);
    const workers = numberOption(options, 'workers', 1, 0, 64);
    const redisUrl = redisUrlOf(options);
    if (workers === 0 && !redisUrl)
      throw new UsageError(
        '--workers 0 runs no jobs here: it is for API replicas whose jobs `segkit worker` processes run, which needs --redis (or SEGKIT_REDIS_URL)',
      );
    const app = await build({
      dataDir,
      databaseUrl: databaseUrlOf(options),
      blobs: blobsUrlOf(options),
      redisUrl,
      logger: 'stdout',
      workers,
      limits: { inflightPerClient: numberOption(options, 'max-inflight', 4, 1, 1024) },
      importRoots: (options['import-root'] as string[] | undefined) ?? [],
      ...modelDefaultsOf(options),
      ...(webRoot() ? { webRoot: webRoot()! } : {}),
    });
    // The graceful handlers go in before the folders are imported and the URL is printed: a stop during the import
    // closes the server cleanly, and so does one sent the moment the URL is read (stopGracefully keeps a signal that
    // arrives during the swap).
    stopGracefully(io, 'the server', () => app.close());
    try {
      for (const p of await importFolders(app.segkit.ctx, positionals))
        io.stderr(`project ${p.name} (id ${p.projectId}): ${p.total} images, ${p.added} new\n`);
      const address = await app.listen({ port, host });
      const shown = address.replace('[::1]', 'localhost');
      if (typeof options.model !== 'string' && !defaultSegmentModelReady())
        io.stderr(
          `SAM is not downloaded, so clicks use the offline classic backend (GrabCut), best with a box. For SAM quality run \`segkit models pull ${DEFAULT_SEGMENT_MODEL}\`.\n`,
        );
      const token = app.segkit.adminToken;
      io.stderr(
        token
          ? `SegKit server on ${shown}\nOpen ${shown}/?token=${token}\n`
          : `SegKit server on ${shown}\nThe admin token of this database was made by the first server on it (its data directory's admin-token file); make another with segkit users add NAME --role admin --db …\n`,
      );
    } catch (e) {
      await app.close();
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE')
        throw new InvalidArgumentError(`Port ${port} on ${host} is in use: pick another with --port`);
      if (code === 'EACCES' || code === 'EADDRNOTAVAIL')
        throw new InvalidArgumentError(
          `Cannot listen on ${host}:${port} (${code}): pick another --host or --port`,
        );
      throw e;
    }
    await new Promise<never>(() => {});
  },
});

/**
 * The built browser app: `SEGKIT_WEB_ROOT`, else the copy that ships inside @segkit/server (an installed SegKit), else
 * `@segkit/web`'s dist/ when it has been built (a checkout before `npm run build` copied it).
 */
function webRoot(): string | undefined {
  if (process.env.SEGKIT_WEB_ROOT) return process.env.SEGKIT_WEB_ROOT;
  const bundled = bundledWebRoot();
  if (bundled) return bundled;
  try {
    const dist = join(dirname(createRequire(import.meta.url).resolve('@segkit/web/package.json')), 'dist');
    return existsSync(join(dist, 'index.html')) ? dist : undefined;
  } catch {
    return undefined;
  }
}
