// The blob store seam, the same checks on both stores: a folder (the default) and an S3 bucket on a real S3-protocol
// server (s3rver) through the AWS SDK.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BlobStore, FolderBlobStore } from '../src/blobs.js';
import { parseS3Url, S3BlobStore } from '../src/blobs-s3.js';
import { type S3, startS3 } from './engines.js';
import { tmp } from './helpers.js';

let s3: S3;
beforeAll(async () => {
  s3 = await startS3();
}, 60_000);
afterAll(() => s3?.stop());

const stores: [string, () => Promise<BlobStore>][] = [
  ['a folder', async () => new FolderBlobStore(tmp())],
  ['an S3 bucket', async () => new S3BlobStore(`s3://${await s3.createBucket()}/team/blobs`, s3.env)],
];

describe.each(stores)('the blob store on %s', (_name, make) => {
  it('keeps one copy of the same bytes under their SHA-256, and reads, lists and deletes them', async () => {
    const store = await make();
    const bytes = new TextEncoder().encode('an image, say');
    const key = await store.put(bytes);
    expect(key).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(await store.put(bytes)).toBe(key);
    expect(Buffer.from(await store.get(key)).toString()).toBe('an image, say');
    expect(await store.has(key)).toBe(true);
    const derived = 'f'.repeat(64);
    await store.putAt(derived, new Uint8Array([1, 2, 3]));
    await store.putAt(derived, new Uint8Array([4, 5])); // a derived blob is replaced
    expect([...(await store.get(derived))]).toEqual([4, 5]);
    const keys: string[] = [];
    for await (const k of store.keys()) keys.push(k);
    expect(keys.sort()).toEqual([key, derived].sort());
    await store.delete(key);
    expect(await store.has(key)).toBe(false);
    await expect(store.get(key)).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    await expect(store.get('../etc/passwd')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('streams a blob with its size (downloads need not hold it in memory); a missing one is E_NOT_FOUND', async () => {
    const store = await make();
    const bytes = new Uint8Array(3 * 1024 * 1024 + 5).map((_, i) => (i * 31) & 255);
    const key = await store.put(bytes);
    const { body, size } = await store.stream(key);
    expect(size).toBe(bytes.length);
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    expect(chunks.length).toBeGreaterThan(1); // it came in pieces, not one buffer
    expect(Buffer.concat(chunks).equals(Buffer.from(bytes))).toBe(true);
    await expect(store.stream('a'.repeat(64))).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });
});

describe('s3:// URLs', () => {
  it('take a bucket and an optional prefix, and refuse anything else with E_USAGE', () => {
    expect(parseS3Url('s3://segkit-blobs')).toEqual({ bucket: 'segkit-blobs', prefix: '' });
    expect(parseS3Url('s3://segkit-blobs/team/a/')).toEqual({ bucket: 'segkit-blobs', prefix: 'team/a' });
    for (const bad of ['segkit-blobs', 'http://x/y', 's3://', 's3://UPPER/x', 's3://a/x'])
      expect(() => parseS3Url(bad)).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
  });

  it('a bucket that is missing, refuses the keys or cannot be reached is one coded line at start', async () => {
    const at = (bucket: string, env: Record<string, string>) =>
      new S3BlobStore(`s3://${bucket}`, env).check();
    const bucket = await s3.createBucket();
    await expect(at(bucket, s3.env)).resolves.toBeUndefined();
    await expect(at('no-such-bucket', s3.env)).rejects.toMatchObject({
      code: 'E_SERVICE_UNAVAILABLE',
      message: 'Cannot use the S3 bucket s3://no-such-bucket at 127.0.0.1: no such bucket',
    });
    await expect(at(bucket, { ...s3.env, AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1' })).rejects.toMatchObject({
      code: 'E_SERVICE_UNAVAILABLE',
      message: expect.stringMatching(
        new RegExp(`^Cannot use the S3 bucket s3://${bucket} at 127\\.0\\.0\\.1: .+`),
      ),
    });
  });

  it('a store that cannot be reached fails the write with E_WRITE_FAILED (a server fault), not a hang', async () => {
    const store = new S3BlobStore('s3://nowhere', {
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
    });
    await expect(store.putAt('a'.repeat(64), new Uint8Array([1]))).rejects.toMatchObject({
      code: 'E_WRITE_FAILED',
    });
  });
});
