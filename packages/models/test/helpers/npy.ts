// Minimal .npy (format 1.0) reading and writing, for exchanging arrays with the numpy reference scripts.
import { readFileSync, writeFileSync } from 'node:fs';

type Typed = Float32Array | Uint8Array | BigInt64Array;
const DESCR = (a: Typed) => (a instanceof Float32Array ? '<f4' : a instanceof Uint8Array ? '|u1' : '<i8');

export function writeNpy(path: string, data: Typed, shape: readonly number[]): void {
  let header = `{'descr': '${DESCR(data)}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += `${' '.repeat(63 - ((10 + header.length) % 64))}\n`;
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  writeFileSync(
    path,
    Buffer.concat([
      head,
      Buffer.from(header, 'latin1'),
      Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    ]),
  );
}

/** Reads a uint8 array written by numpy, with its shape. */
export function readNpyU8(path: string): { data: Uint8Array; shape: number[] } {
  const buf = readFileSync(path);
  const len = buf.readUInt16LE(8);
  const header = buf.subarray(10, 10 + len).toString('latin1');
  if (!/'descr': '\|u1'/.test(header)) throw new Error(`not uint8: ${header}`);
  const shape = /'shape': \(([^)]*)\)/
    .exec(header)![1]!
    .split(',')
    .filter((s) => s.trim())
    .map(Number);
  return { data: new Uint8Array(buf.subarray(10 + len)), shape };
}
