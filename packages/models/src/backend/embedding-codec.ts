// The disk cache's file format for an image encoding.
import { Tensor } from '@huggingface/transformers';
import type { SamEmbedding } from './promptable-types.js';

/** Serialises an embedding for the on-disk cache: a JSON header line, then the raw float32 data. */
export function encodeEmbedding(e: SamEmbedding): Buffer {
  const names = Object.keys(e.tensors);
  const header = {
    tensors: names.map((n) => ({ name: n, dims: e.tensors[n]!.dims })),
    originalSize: e.originalSize,
    reshapedSize: e.reshapedSize,
    frameSize: e.frameSize,
  };
  const parts = names.map((n) => {
    const d = e.tensors[n]!.data as Float32Array;
    return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  });
  return Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), ...parts]);
}

/** Inverse of {@link encodeEmbedding}. */
export function decodeEmbedding(buf: Buffer): SamEmbedding {
  const nl = buf.indexOf(10);
  const header = JSON.parse(buf.subarray(0, nl).toString('utf8')) as {
    tensors: { name: string; dims: number[] }[];
    originalSize: [number, number];
    reshapedSize: [number, number];
    frameSize: [number, number];
  };
  let off = nl + 1;
  const tensors: Record<string, Tensor> = {};
  for (const t of header.tensors) {
    const n = t.dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    Buffer.from(data.buffer).set(buf.subarray(off, off + n * 4));
    if (off + n * 4 > buf.length) throw new Error('truncated embedding file');
    off += n * 4;
    tensors[t.name] = new Tensor('float32', data, t.dims);
  }
  const bytes = Object.values(tensors).reduce((s, t) => s + (t.data as Float32Array).byteLength, 0);
  return {
    tensors,
    originalSize: header.originalSize,
    reshapedSize: header.reshapedSize,
    frameSize: header.frameSize,
    bytes,
  };
}
