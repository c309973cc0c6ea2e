// The blob store on S3-compatible object storage (AWS S3, MinIO, …): `--blobs s3://bucket/prefix`. Content-addressed
// keys under the prefix, written only when absent; the endpoint, region and credentials come from the standard AWS
// environment variables (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, …).
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { NotFoundError, ServiceUnavailableError, UsageError, WriteError } from '@segkit/core';
import type { BlobStore } from './blobs.js';

const KEY = /^[0-9a-f]{64}$/;

/** The bucket and key prefix of an `s3://bucket/prefix` URL (E_USAGE when it is not one). */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!m)
    throw new UsageError(
      `--blobs must be s3://bucket or s3://bucket/prefix (a bucket name of 3-63 lowercase letters, digits, dots and hyphens), not ${JSON.stringify(url)}`,
    );
  return { bucket: m[1]!, prefix: (m[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

const status = (e: unknown) => (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  readonly bucket: string;
  private readonly prefix: string;

  constructor(url: string, env: NodeJS.ProcessEnv = process.env) {
    ({ bucket: this.bucket, prefix: this.prefix } = parseS3Url(url));
    const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
    this.client = new S3Client({
      region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
      ...(endpoint ? { endpoint } : {}),
      // Keys from the environment given; without them the SDK's own chain (profiles, instance roles, …).
      ...(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
        ? {
            credentials: {
              accessKeyId: env.AWS_ACCESS_KEY_ID,
              secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
              ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
            },
          }
        : {}),
      // S3-compatible stores (MinIO, …) are addressed by path, not by bucket subdomain; SEGKIT_S3_PATH_STYLE=0 undoes it.
      forcePathStyle: endpoint ? env.SEGKIT_S3_PATH_STYLE !== '0' : env.SEGKIT_S3_PATH_STYLE === '1',
      // Checksums only where the API requires them: many S3-compatible stores reject the newer default ones.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  /** The object key of a blob key: `<prefix>/ab/abcdef…`. */
  private objectKey(key: string): string {
    if (!KEY.test(key)) throw new NotFoundError(`No blob ${JSON.stringify(key)}`);
    return `${this.prefix ? `${this.prefix}/` : ''}${key.slice(0, 2)}/${key}`;
  }

  async put(bytes: Uint8Array): Promise<string> {
    const key = createHash('sha256').update(bytes).digest('hex');
    if (!(await this.has(key))) await this.write(key, bytes, true);
    return key;
  }

  async putAt(key: string, bytes: Uint8Array): Promise<void> {
    await this.write(key, bytes, false);
  }

  private async write(key: string, bytes: Uint8Array, ifAbsent: boolean): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.objectKey(key),
          Body: bytes,
          ContentLength: bytes.byteLength,
          ...(ifAbsent ? { IfNoneMatch: '*' } : {}),
        }),
      );
    } catch (e) {
      if (ifAbsent && (status(e) === 412 || status(e) === 409)) return; // written meanwhile: the same bytes
      throw new WriteError(`Could not store blob ${key} in s3://${this.bucket}: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  /** The object of a key (`E_NOT_FOUND` when absent). */
  private async object(key: string) {
    try {
      return await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
    } catch (e) {
      if (status(e) === 404 || (e as Error).name === 'NoSuchKey') throw new NotFoundError(`No blob ${key}`);
      throw e;
    }
  }

  async get(key: string): Promise<Buffer> {
    return Buffer.from(await (await this.object(key)).Body!.transformToByteArray());
  }

  async stream(key: string): Promise<{ body: Readable; size: number }> {
    const r = await this.object(key);
    // In Node the SDK's body is the HTTP response itself, a Readable.
    return { body: r.Body as Readable, size: Number(r.ContentLength ?? 0) };
  }

  async has(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return true;
    } catch (e) {
      if (status(e) === 404) return false;
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  async *keys(): AsyncIterable<string> {
    let token: string | undefined;
    do {
      const r = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix ? `${this.prefix}/` : undefined,
          ContinuationToken: token,
        }),
      );
      for (const o of r.Contents ?? []) {
        const key = o.Key!.split('/').pop()!;
        if (KEY.test(key)) yield key;
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  }

  /**
   * Checks at start that the bucket answers to these credentials: one line with the bucket, the endpoint and the
   * reason (E_SERVICE_UNAVAILABLE) instead of a first upload that fails.
   */
  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (e) {
      const code = status(e);
      const why =
        code === 404
          ? 'no such bucket'
          : code === 403
            ? 'access denied (check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)'
            : (e as Error).message.split('\n')[0] || (e as Error).name;
      const endpoint = (await this.client.config.endpoint?.())?.hostname ?? 'AWS S3';
      throw new ServiceUnavailableError(
        `Cannot use the S3 bucket s3://${this.bucket} at ${endpoint}: ${why}`,
      );
    }
  }

  close(): void {
    this.client.destroy();
  }
}
