// Multipart uploads: a body that the parser cannot read is the caller's mistake, never a server fault.
import { InvalidArgumentError, isSegkitError } from '@segkit/core';

/**
 * The parts of a multipart upload; a body that is not well-formed multipart (no boundary, cut off mid-part) is the
 * caller's mistake, `E_INVALID_ARGUMENT`, not the parser's failure.
 */
export async function* wellFormed<T>(parts: () => AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* parts();
  } catch (e) {
    throw malformed(e);
  }
}

/** A multipart parser's error as the caller's mistake; SegKit's own and fastify's limit errors pass through. */
export function malformed(e: unknown): unknown {
  if (isSegkitError(e) || (e as { code?: string }).code?.startsWith('FST_')) return e;
  return new InvalidArgumentError(
    `The upload is not well-formed multipart/form-data: ${(e as Error).message}`,
  );
}
