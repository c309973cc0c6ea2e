// Blob storage seam: image bytes, thumbnails and exports, by content. One interface; a folder in the data directory
// (the default) or an S3-compatible bucket (blobs-s3.ts). Routes and services never touch the file system for blobs themselves.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { NotFoundError, writeFileAtomic } from '@segkit/core';

export interface BlobStore {
  /** Stores bytes under their SHA-256 (hex) and returns it; storing the same bytes twice keeps one copy. */
  put(bytes: Uint8Array): Promise<string>;
  /** Stores bytes under a key of the caller's (64 hex digits), for derived blobs such as thumbnails. */
  putAt(key: string, bytes: Uint8Array): Promise<void>;
  /** The bytes of a key (`E_NOT_FOUND` when absent). */
  get(key: string): Promise<Buffer>;
  /**
   * The bytes of a key as a stream, and their size (`E_NOT_FOUND` when absent): downloads send a large blob (an
   * export) without holding it in memory.
   */
  stream(key: string): Promise<{ body: Readable; size: number }>;
  has(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Every key held (for doctor's orphan check). */
  keys(): AsyncIterable<string>;
  /** Checks that the store can be used (a bucket that answers), E_SERVICE_UNAVAILABLE if not. */
  check(): Promise<void>;
  /** Lets go of connections (an S3 client's sockets), so that a command can exit. */
  close(): void;
}

const KEY = /^[0-9a-f]{64}$/;

/** Content-addressed files under `<root>/ab/abcdef…`, written atomically. */
export class FolderBlobStore implements BlobStore {
  constructor(private readonly root: string) {}

  private path(key: string): string {
    if (!KEY.test(key)) throw new NotFoundError(`No blob ${JSON.stringify(key)}`);
    return join(this.root, key.slice(0, 2), key);
  }

  async put(bytes: Uint8Array): Promise<string> {
    const key = createHash('sha256').update(bytes).digest('hex');
    const path = this.path(key);
    if (!existsSync(path)) {
      await mkdir(join(this.root, key.slice(0, 2)), { recursive: true });
      await writeFileAtomic(path, bytes);
    }
    return key;
  }

  async putAt(key: string, bytes: Uint8Array): Promise<void> {
    await mkdir(join(this.root, key.slice(0, 2)), { recursive: true });
    await writeFileAtomic(this.path(key), bytes);
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await readFile(this.path(key));
    } catch {
      throw new NotFoundError(`No blob ${key}`);
    }
  }

  async stream(key: string): Promise<{ body: Readable; size: number }> {
    let file: FileHandle;
    try {
      file = await open(this.path(key));
    } catch {
      throw new NotFoundError(`No blob ${key}`);
    }
    const { size } = await file.stat();
    return { body: file.createReadStream(), size }; // the stream closes the file when it ends or is destroyed
  }

  async has(key: string): Promise<boolean> {
    return existsSync(this.path(key));
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async check(): Promise<void> {} // the folder is made on first write; a write that fails says why

  close(): void {}

  async *keys(): AsyncIterable<string> {
    if (!existsSync(this.root)) return;
    for (const dir of await readdir(this.root))
      for (const key of await readdir(join(this.root, dir))) if (KEY.test(key)) yield key;
  }
}
