import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { InjectOptions } from 'fastify';
import { type BuildOptions, build, type SegkitApp } from '../src/index.js';
import { createDatabaseIn } from './engines.js';

export const repo = new URL('../../../', import.meta.url).pathname;
export const fixture = (name: string) => join(repo, 'fixtures/models', name);
export const tmp = (prefix = 'segkit-server-') => mkdtempSync(join(tmpdir(), prefix));

const stores = new Map<string, { databaseUrl?: string; blobs?: string; redisUrl?: string }>();
/**
 * The database and blob store of a test server: the data directory's SQLite file and folder; or, in the team run
 * (`vitest.team.config.ts` sets SEGKIT_TEST_POSTGRES_URL and SEGKIT_TEST_S3), a fresh PostgreSQL database and a fresh
 * S3 bucket per data directory, the same ones again when a test restarts a server on the same directory, and the
 * run's Redis (SEGKIT_TEST_REDIS_URL: jobs on BullMQ, events over pub/sub).
 */
export async function testDatabase(
  dataDir: string,
): Promise<{ databaseUrl?: string; blobs?: string; redisUrl?: string }> {
  const cluster = process.env.SEGKIT_TEST_POSTGRES_URL;
  if (!cluster) return {};
  let got = stores.get(dataDir);
  if (!got) {
    got = { databaseUrl: await createDatabaseIn(cluster) };
    if (process.env.SEGKIT_TEST_S3) {
      const bucket = got.databaseUrl!.split('/').pop()!.replaceAll('_', '-');
      const client = new S3Client({ forcePathStyle: true });
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      client.destroy();
      got.blobs = `s3://${bucket}/blobs`;
    }
    if (process.env.SEGKIT_TEST_REDIS_URL) got.redisUrl = process.env.SEGKIT_TEST_REDIS_URL;
    stores.set(dataDir, got);
  }
  return got;
}

/** A server on a fresh data directory with the fixture SAM as its default model, and a client with the admin token. */
export async function server(opts: Partial<BuildOptions> = {}) {
  process.env.SEGKIT_CACHE_DIR ??= tmp('segkit-cache-');
  const dataDir = opts.dataDir ?? tmp();
  const app = await build({
    dataDir,
    ...(await testDatabase(dataDir)),
    defaultSegmentModel: fixture('sam-fixture'),
    modelRoots: [join(repo, 'fixtures/models')],
    ...opts,
  });
  return { app, dataDir, client: client(app, app.segkit.adminToken) };
}

/** Sends requests with a token (or none), parsing JSON answers. */
export function client(app: SegkitApp, token?: string) {
  return async (
    method: InjectOptions['method'],
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const res = await app.inject({
      method,
      url,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      ...(body === undefined
        ? {}
        : typeof body === 'string' || Buffer.isBuffer(body)
          ? { payload: body }
          : { payload: body as object }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: the helper parses whatever JSON a route answers
    let json: any;
    try {
      json = res.json();
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, json, res };
  };
}

/** A multipart/form-data body with files (name, bytes). */
export function multipart(files: { name: string; bytes: Uint8Array }[]): {
  body: Buffer;
  headers: Record<string, string>;
} {
  const boundary = `----segkit${Math.random().toString(16).slice(2)}`;
  const parts = files.flatMap((f) => [
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${f.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    ),
    Buffer.from(f.bytes),
    Buffer.from('\r\n'),
  ]);
  return {
    body: Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

/**
 * A job's whole event stream (SSE) until it ends, read over a real socket on 127.0.0.1, and the `epoch …` progress
 * messages in it. The app stays open.
 */
export async function jobEvents(app: SegkitApp, jobId: number): Promise<{ text: string; epochs: string[] }> {
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const res = await fetch(`${address}/api/v1/jobs/${jobId}/events`, {
    headers: { authorization: `Bearer ${app.segkit.adminToken}` },
  });
  const text = await res.text();
  return { text, epochs: [...text.matchAll(/"message":"(epoch \d+: [^"]+)"/g)].map((m) => m[1]!) };
}
