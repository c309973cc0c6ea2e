import { UsageError } from '@segkit/core';
import { startWorker, withoutCredentials } from '@segkit/server';
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

export const workerCommand = defineCommand({
  name: 'worker',
  description:
    'Run jobs (processing, exports, training, …) and nothing else, beside `segkit serve` replicas on the same database, Redis and blob store. SIGTERM stops it after the current item; the job goes back to the queue.',
  options: {
    ...dataOption,
    ...databaseOption,
    ...blobsOption,
    ...redisOption,
    ...modelOptions,
    concurrency: {
      type: 'string',
      valueName: 'N',
      default: '1',
      description: 'Jobs this worker runs at once (model-bound: one per GPU or a few CPU cores)',
    },
  },
  examples: [
    'segkit worker --db postgres://segkit@127.0.0.1:5432/segkit --redis redis://127.0.0.1:6379 --blobs s3://segkit/blobs',
    'SEGKIT_DATABASE_URL=postgres://segkit@db/segkit SEGKIT_REDIS_URL=redis://cache:6379 segkit worker --concurrency 2',
  ],
  async run({ options, io }) {
    const redisUrl = redisUrlOf(options);
    if (!redisUrl)
      throw new UsageError(
        'segkit worker needs --redis (or SEGKIT_REDIS_URL): jobs reach it through BullMQ, and the servers hear its progress there',
      );
    const concurrency = numberOption(options, 'concurrency', 1, 1, 64);
    const worker = await startWorker({
      dataDir: dataDirOf(options),
      databaseUrl: databaseUrlOf(options),
      blobs: blobsUrlOf(options),
      redisUrl,
      concurrency,
      ...modelDefaultsOf(options),
    });
    // The graceful handlers go in before the ready line, so a supervisor that stops the worker as soon as it reads
    // that line gets the graceful stop (stopGracefully keeps a signal that arrives during the swap).
    stopGracefully(io, 'the worker (the current item finishes, its job goes back to the queue)', () =>
      worker.close(),
    );
    io.stderr(
      `segkit worker ${worker.owner}: running jobs from ${withoutCredentials(redisUrl)} (${concurrency} at once)\n`,
    );
    await new Promise<never>(() => {});
  },
});
