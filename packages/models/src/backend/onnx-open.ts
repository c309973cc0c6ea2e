// Opening ONNX graphs on onnxruntime-node, side files included.
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { ModelCorruptError } from '@segkit/core';
import { InferenceSession } from 'onnxruntime-node';

type Session = InferenceSession & {
  inputMetadata: readonly { name: string; type: string; shape: readonly (number | string)[] }[];
};

/**
 * The options every session is made with. The CPU memory arena is off: with it, each session keeps the most memory
 * its busiest moment ever needed (a server answering several requests at once grows by hundreds of MiB, for good);
 * without it, memory a run used is given back when the run ends.
 */
export const sessionOptions = (): InferenceSession.SessionOptions => ({ enableCpuMemArena: false });

/**
 * Opens a graph by path; one whose weights sit in a `<file>.data` side file is opened from bytes with the side file
 * handed over, since onnxruntime resolves that file against the working directory after constant folding.
 */
export async function openGraph(path: string): Promise<Session> {
  const side = `${path}.data`;
  try {
    if (existsSync(side))
      return (await InferenceSession.create(readFileSync(path), {
        ...sessionOptions(),
        externalData: [{ path: basename(side), data: readWhole(side) }],
      } as InferenceSession.SessionOptions)) as Session;
    return (await InferenceSession.create(path, sessionOptions())) as Session;
  } catch (e) {
    throw new ModelCorruptError(
      `${path} cannot be opened (${(e as Error).message.split('\n')[0]}); pull or import the model again`,
    );
  }
}

/** A whole file in one buffer, read in pieces: readFileSync stops at 2 GiB, and full-size weight files approach that. */
function readWhole(path: string): Buffer {
  const size = statSync(path).size;
  const buf = Buffer.allocUnsafe(size);
  const fd = openSync(path, 'r');
  try {
    for (let off = 0; off < size; ) {
      const n = readSync(fd, buf, off, Math.min(1 << 30, size - off), off);
      if (n <= 0) throw new Error(`${path} ended after ${off} of ${size} bytes`);
      off += n;
    }
  } finally {
    closeSync(fd);
  }
  return buf;
}
