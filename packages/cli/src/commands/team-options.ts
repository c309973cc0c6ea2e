// The options that say where a server's state lives (data directory, PostgreSQL, S3, Redis) and which models it
// uses by default: shared by serve, worker, users, db and doctor.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '@segkit/core';

/** `--data DIR`, the server's data directory (default ~/.segkit/server, as `segkit serve`). */
export const dataOption = {
  data: {
    type: 'string',
    valueName: 'DIR',
    description: 'The server data directory (default ~/.segkit/server)',
  },
} as const;
export const dataDirOf = (options: Record<string, unknown>) =>
  typeof options.data === 'string' ? options.data : join(homedir(), '.segkit', 'server');

/** The team set-up's database: `--db postgres://…`, else SEGKIT_DATABASE_URL; none is the data directory's SQLite. */
export const databaseOption = {
  db: {
    type: 'string',
    valueName: 'URL',
    description:
      'A PostgreSQL database (postgres://user:pass@host:5432/db) instead of the SQLite file (env SEGKIT_DATABASE_URL)',
  },
} as const;
/** The team set-up's blob store: `--blobs s3://bucket/prefix`, else SEGKIT_BLOBS_URL; none is the data directory. */
export const blobsOption = {
  blobs: {
    type: 'string',
    valueName: 'S3_URL',
    description:
      'An S3 bucket for image and export blobs (s3://bucket/prefix; endpoint and keys from the AWS_* variables) instead of the data directory (env SEGKIT_BLOBS_URL)',
  },
} as const;
export const blobsUrlOf = (options: Record<string, unknown>): string | undefined =>
  typeof options.blobs === 'string' ? options.blobs : process.env.SEGKIT_BLOBS_URL || undefined;

export function databaseUrlOf(options: Record<string, unknown>): string | undefined {
  const url = typeof options.db === 'string' ? options.db : process.env.SEGKIT_DATABASE_URL || undefined;
  if (url !== undefined && !/^postgres(ql)?:\/\/[^/\s]/i.test(url))
    throw new UsageError(
      `--db must be a PostgreSQL URL such as postgres://segkit@127.0.0.1:5432/segkit, not ${JSON.stringify(url)}`,
    );
  return url;
}

/** The team set-up's Redis: `--redis redis://…`, else SEGKIT_REDIS_URL; none runs jobs in the server process. */
export const redisOption = {
  redis: {
    type: 'string',
    valueName: 'URL',
    description:
      'A Redis server (redis://host:6379) for jobs on BullMQ, `segkit worker` processes and several replicas (env SEGKIT_REDIS_URL)',
  },
} as const;
export const redisUrlOf = (options: Record<string, unknown>): string | undefined =>
  typeof options.redis === 'string' ? options.redis : process.env.SEGKIT_REDIS_URL || undefined;

/** The default models of a server or worker (a project's own settings come first). */
export const modelOptions = {
  'model-root': {
    type: 'string',
    multiple: true,
    valueName: 'DIR',
    description: 'A folder whose model directories requests and project settings may name as a model',
  },
  model: {
    type: 'string',
    valueName: 'NAME|REPO|DIR',
    description: 'Default segmentation model (default: sam if downloaded, else classic)',
  },
  'text-model': {
    type: 'string',
    valueName: 'NAME|REPO|DIR',
    description: 'Default text-prompt model for find-all and text masks (default: clipseg)',
  },
  'embed-model': {
    type: 'string',
    valueName: 'NAME|REPO|DIR',
    description: 'Default embedding model for find-all, auto-class and analytics (default: clip)',
  },
  'find-model': {
    type: 'string',
    valueName: 'NAME|REPO|DIR',
    description:
      'Default SAM 3 concept model for find-all (sam3, sam3-text, sam3-anylabeling; default: none, the CLIPSeg + SAM + CLIP pipeline)',
  },
} as const;

/** The build() options the model flags give. */
export function modelDefaultsOf(options: Record<string, unknown>) {
  const pick = (name: string) => (typeof options[name] === 'string' ? (options[name] as string) : undefined);
  return {
    modelRoots: (options['model-root'] as string[] | undefined) ?? [],
    ...(pick('model') ? { defaultSegmentModel: pick('model')! } : {}),
    ...(pick('text-model') ? { defaultTextModel: pick('text-model')! } : {}),
    ...(pick('embed-model') ? { defaultEmbedModel: pick('embed-model')! } : {}),
    ...(pick('find-model') ? { defaultFindModel: pick('find-model')! } : {}),
  };
}
