import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type RawImage, writeFileAtomic } from '@segkit/core';

const keys = new WeakMap<Uint8Array, string>();

/**
 * Content hash of an image's pixels (not its file bytes): the same picture always gets the same key.
 * The hash is remembered per pixel buffer, so repeat prompts on the same image object do not re-hash it.
 */
export function imageKey(image: RawImage): string {
  const known = keys.get(image.data);
  const shape = `${image.width}x${image.height}x${image.channels}:`;
  if (known?.startsWith(shape)) return known;
  const key = shape + createHash('sha256').update(image.data).digest('hex');
  keys.set(image.data, key);
  return key;
}

/** Something with a size in bytes. */
export interface Sized {
  bytes: number;
}

/** The optional on-disk layer: one file per entry under `dir`; all of `root` is kept under `budgetBytes`. */
export interface DiskLayer<T> {
  dir: string;
  codec: DiskCodec<T>;
  /** The folder whose total size is capped (shared by every model's `dir` inside it). */
  root?: string;
  /** Largest total size of `root` (default: no cap); the least recently used files go first. */
  budgetBytes?: number;
}

/** Encodes and decodes cache entries for the optional on-disk layer. */
export interface DiskCodec<T> {
  encode(value: T): Buffer;
  decode(bytes: Buffer): T;
}

/**
 * An LRU cache with a byte budget. Concurrent `get`s of the same key share one `compute` call;
 * an optional directory keeps entries across processes.
 */
export class EmbeddingCache<T extends Sized> {
  private readonly entries = new Map<string, T>();
  private readonly pending = new Map<string, Promise<T>>();
  private used = 0;
  /** How many times `compute` ran (each is an encoder run). */
  computeCount = 0;
  hits = 0;

  constructor(
    private readonly budgetBytes: number,
    private readonly disk?: DiskLayer<T>,
  ) {}

  get bytesUsed(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  async get(key: string, compute: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit) {
      this.hits++;
      this.entries.delete(key);
      this.entries.set(key, hit); // most recently used goes last
      return hit;
    }
    const inflight = this.pending.get(key);
    if (inflight) {
      this.hits++;
      return inflight;
    }
    const p = (async () => {
      const fromDisk = this.readDisk(key);
      if (fromDisk) return fromDisk;
      this.computeCount++;
      const value = await compute();
      await this.writeDisk(key, value);
      return value;
    })();
    this.pending.set(key, p);
    try {
      const value = await p;
      this.put(key, value);
      return value;
    } finally {
      this.pending.delete(key);
    }
  }

  private put(key: string, value: T): void {
    if (value.bytes > this.budgetBytes) return; // too big to keep; still returned to the caller
    this.entries.set(key, value);
    this.used += value.bytes;
    for (const [k, v] of this.entries) {
      if (this.used <= this.budgetBytes) break;
      this.entries.delete(k);
      this.used -= v.bytes;
    }
  }

  private readDisk(key: string): T | undefined {
    if (!this.disk) return undefined;
    const p = join(this.disk.dir, `${key}.bin`);
    if (!existsSync(p)) return undefined;
    try {
      const value = this.disk.codec.decode(readFileSync(p));
      const now = new Date();
      utimesSync(p, now, now); // recently used: pruned last
      return value;
    } catch {
      return undefined; // a damaged cache file is recomputed and overwritten
    }
  }

  private async writeDisk(key: string, value: T): Promise<void> {
    if (!this.disk) return;
    await mkdir(this.disk.dir, { recursive: true });
    await writeFileAtomic(join(this.disk.dir, `${key}.bin`), this.disk.codec.encode(value));
    if (this.disk.budgetBytes !== undefined)
      pruneDisk(this.disk.root ?? this.disk.dir, this.disk.budgetBytes);
  }
}

/** Deletes the least recently used `.bin` files under `root` until they add up to at most `budgetBytes`. */
export function pruneDisk(root: string, budgetBytes: number): void {
  const files = readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.bin'))
    .map((e) => {
      const path = join(e.parentPath, e.name);
      const s = statSync(path);
      return { path, size: s.size, used: s.mtimeMs };
    })
    .sort((a, b) => a.used - b.used);
  let total = files.reduce((t, f) => t + f.size, 0);
  for (const f of files) {
    if (total <= budgetBytes) break;
    rmSync(f.path, { force: true });
    total -= f.size;
  }
}
