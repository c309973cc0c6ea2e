import { posix } from 'node:path';
import { UnsafePathError } from './errors.js';

/**
 * Checks a path taken from an annotation file, an archive or a model folder and returns it normalised (POSIX, relative).
 * Rejects `..` segments, absolute paths, drive letters, backslashes and NUL bytes with `E_UNSAFE_PATH`.
 * @example safeRelativePath('images/a.jpg') // 'images/a.jpg'; safeRelativePath('../etc/passwd') // throws
 */
export function safeRelativePath(p: string, what = 'path'): string {
  if (typeof p !== 'string' || p === '') throw new UnsafePathError(`${what} is empty`);
  if (p.includes('\0')) throw new UnsafePathError(`${what} ${JSON.stringify(p)} contains a NUL byte`);
  if (p.includes('\\')) throw new UnsafePathError(`${what} ${JSON.stringify(p)} contains a backslash`);
  if (/^[A-Za-z]:/.test(p))
    throw new UnsafePathError(`${what} ${JSON.stringify(p)} starts with a drive letter`);
  if (p.startsWith('/')) throw new UnsafePathError(`${what} ${JSON.stringify(p)} is absolute`);
  if (p.split('/').includes('..'))
    throw new UnsafePathError(`${what} ${JSON.stringify(p)} leaves its folder (..)`);
  const norm = posix.normalize(p);
  if (norm.startsWith('..') || norm === '.')
    throw new UnsafePathError(`${what} ${JSON.stringify(p)} leaves its folder`);
  return norm;
}
