// The image embedding the server sends for the browser decoder: the tensors back to back (float16 by default) and a
// JSON header naming them, with the geometry that maps image pixels to the model frame.
import { fromFloat16 } from '@segkit/core/mask';
import type { EmbeddingTensors } from '@segkit/models/browser';
import { fetchBinary } from '../api.js';

interface Header {
  model: string;
  dtype: 'float16' | 'float32';
  tensors: { name: string; dims: number[]; offset: number; bytes: number }[];
  originalSize: [number, number];
  reshapedSize: [number, number];
  frameSize: [number, number];
}

/** Parses the embedding route's answer. */
export function parseEmbedding(bytes: ArrayBuffer, headerJson: string): EmbeddingTensors & { model: string } {
  const header = JSON.parse(headerJson) as Header;
  const tensors: EmbeddingTensors['tensors'] = {};
  for (const t of header.tensors) {
    const data =
      header.dtype === 'float16'
        ? fromFloat16(new Uint16Array(bytes.slice(t.offset, t.offset + t.bytes)))
        : new Float32Array(bytes.slice(t.offset, t.offset + t.bytes));
    tensors[t.name] = { data, dims: t.dims };
  }
  return {
    model: header.model,
    tensors,
    originalSize: header.originalSize,
    reshapedSize: header.reshapedSize,
    frameSize: header.frameSize,
  };
}

export async function fetchEmbedding(imageId: number, model?: string) {
  const q = model ? `&model=${encodeURIComponent(model)}` : '';
  const { bytes, headers } = await fetchBinary(`/images/${imageId}/embedding?dtype=float16${q}`);
  return { ...parseEmbedding(bytes, headers.get('x-segkit-embedding') ?? '{}'), bytes: bytes.byteLength };
}
