// The on-disk cache of backbone features for decoder training: one file per (image content, model, size, kind),
// so a second training on the same images runs no backbone pass. fp16 halves it (the decoder's inputs lose about
// 3 significant digits, far below what training notices).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@segkit/core';

export type CacheDtype = 'fp32' | 'fp16';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half precision, round to nearest even. */
export function toHalf(x: Float32Array): Uint16Array {
  const out = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    f32[0] = x[i]!;
    const b = u32[0]!;
    const sign = (b >>> 16) & 0x8000;
    const exp = (b >>> 23) & 0xff;
    let mant = b & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 : 0);
      continue;
    }
    const e = exp - 127 + 15;
    if (e >= 0x1f) {
      out[i] = sign | 0x7c00;
      continue;
    }
    if (e <= 0) {
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      mant |= 0x800000;
      const shift = 14 - e;
      let h = mant >>> shift;
      const rem = mant & ((1 << shift) - 1);
      const half = 1 << (shift - 1);
      if (rem > half || (rem === half && h & 1)) h++;
      out[i] = sign | h;
      continue;
    }
    let h = (e << 10) | (mant >>> 13);
    const rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
    out[i] = sign | h;
  }
  return out;
}

export function fromHalf(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) {
    const v = h[i]!;
    const sign = v & 0x8000 ? -1 : 1;
    const e = (v >>> 10) & 0x1f;
    const m = v & 0x3ff;
    out[i] =
      e === 0
        ? sign * m * 2 ** -24
        : e === 0x1f
          ? m
            ? Number.NaN
            : sign * Infinity
          : sign * (1 + m / 1024) * 2 ** (e - 15);
  }
  return out;
}

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
        ? fromHalf(new Uint16Array(bytes.buffer))
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
      const data = this.dtype === 'fp16' ? toHalf(a) : a;
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
