// The on-disk cache of backbone features for decoder training: one file per (image content, model, size, kind),
// so a second training on the same images runs no backbone pass. fp16 halves it (the decoder's inputs lose about
// 3 significant digits, far below what training notices).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fromFloat16, toFloat16, writeFileAtomic } from '@segkit/core';

export type CacheDtype = 'fp32' | 'fp16';

/** sha256 of a file's bytes: the cache key's image part (a renamed or copied image still hits). */
export function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export class FeatureCache {
  hits = 0;
  misses = 0;
  constructor(
    readonly dir: string,
    readonly dtype: CacheDtype = 'fp32',
  ) {
    mkdirSync(dir, { recursive: true });
  }

  /** The entry name for an image's features under one model, size and kind ("full" or "reduced"). */
  key(image: string, model: string, size: number, kind: 'full' | 'reduced'): string {
    return createHash('sha256')
      .update(`${image}|${model}|${size}|${kind}|${this.dtype}`)
      .digest('hex')
      .slice(0, 40);
  }

  get(key: string): Float32Array[] | undefined {
    const file = join(this.dir, `${key}.bin`);
    if (!existsSync(file)) {
      this.misses++;
      return undefined;
    }
    const buf = readFileSync(file);
    const nl = buf.indexOf(10);
    const header = JSON.parse(buf.subarray(0, nl).toString('utf8')) as {
      dtype: CacheDtype;
      lengths: number[];
    };
    let off = nl + 1;
    const width = header.dtype === 'fp16' ? 2 : 4;
    const out = header.lengths.map((n) => {
      const bytes = new Uint8Array(n * width);
      bytes.set(buf.subarray(off, off + n * width));
      off += n * width;
      return header.dtype === 'fp16'
        ? fromFloat16(new Uint16Array(bytes.buffer))
        : new Float32Array(bytes.buffer);
    });
    if (off !== buf.length) {
      this.misses++;
      return undefined; // a damaged entry is recomputed
    }
    this.hits++;
    return out;
  }

  async put(key: string, arrays: Float32Array[]): Promise<void> {
    const header = Buffer.from(
      `${JSON.stringify({ dtype: this.dtype, lengths: arrays.map((a) => a.length) })}\n`,
    );
    const parts = arrays.map((a) => {
      const data = this.dtype === 'fp16' ? toFloat16(a) : a;
      return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    });
    await writeFileAtomic(join(this.dir, `${key}.bin`), Buffer.concat([header, ...parts]));
  }

  /** Bytes on disk, and entries. */
  size(): { bytes: number; entries: number } {
    let bytes = 0;
    let entries = 0;
    for (const f of readdirSync(this.dir))
      if (f.endsWith('.bin')) {
        bytes += statSync(join(this.dir, f)).size;
        entries++;
      }
    return { bytes, entries };
  }
}
