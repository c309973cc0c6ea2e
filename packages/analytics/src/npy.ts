import { InvalidArgumentError, readInput, writeFileAtomic } from '@segkit/core';

/**
 * Encodes a float32 matrix in the NumPy `.npy` format, version 1.0, exactly as `numpy.save` writes it:
 * magic `\x93NUMPY`, version 1.0, a little-endian uint16 header length, the header dict
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (n, d), }` padded with spaces and ending in a newline so the
 * data starts at a multiple of 64 bytes, then the row-major little-endian data.
 */
export function encodeNpy(data: Float32Array, shape: number[]): Buffer {
  const count = shape.reduce((a, b) => a * b, 1);
  if (!shape.every((s) => Number.isInteger(s) && s >= 0) || count !== data.length) {
    throw new InvalidArgumentError(
      `Expected a shape matching ${data.length} values for npy but received (${shape.join(', ')})`,
    );
  }
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + dict.length + 1; // magic (6) + version (2) + length (2) + dict + '\n'
  const header = `${dict}${' '.repeat((64 - (unpadded % 64)) % 64)}\n`;
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.alloc(data.length * 4);
  for (let i = 0; i < data.length; i++) body.writeFloatLE(data[i]!, i * 4);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), body]);
}

/** Writes a float32 matrix as `.npy`, atomically. */
export async function writeNpy(path: string, data: Float32Array, shape: number[]): Promise<void> {
  await writeFileAtomic(path, encodeNpy(data, shape));
}

/** Reads a float32 `.npy` file written by {@link writeNpy} (or numpy with dtype `<f4`, C order). */
export async function readNpy(path: string): Promise<{ data: Float32Array; shape: number[] }> {
  const buf = await readInput(path);
  if (buf.subarray(0, 6).toString('latin1') !== '\x93NUMPY')
    throw new InvalidArgumentError(`${path} is not a .npy file`);
  const len = buf.readUInt16LE(8);
  const header = buf.subarray(10, 10 + len).toString('latin1');
  if (!header.includes("'descr': '<f4'") || header.includes("'fortran_order': True")) {
    throw new InvalidArgumentError(`${path} is not a C-ordered float32 .npy file`);
  }
  const shape = (header.match(/'shape': \(([^)]*)\)/)?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const start = 10 + len;
  const data = new Float32Array((buf.length - start) / 4);
  for (let i = 0; i < data.length; i++) data[i] = buf.readFloatLE(start + i * 4);
  return { data, shape };
}
