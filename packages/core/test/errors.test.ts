import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ERROR_STATUS, ImageDecodeError, isSegkitError, SegkitError } from '../src/index.js';

const root = new URL('../../../', import.meta.url).pathname;
const docs = readFileSync(join(root, 'docs/errors.md'), 'utf8');
const documented = new Set([...docs.matchAll(/^\|\s*`(E_[A-Z0-9_]+)`/gm)].map((m) => m[1]!));

/** Every `E_...` code that appears in a source file of any package. */
function codesUsedInSources(): Set<string> {
  const found = new Set<string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts'))
        for (const m of readFileSync(p, 'utf8').matchAll(/'(E_[A-Z0-9_]+)'/g)) found.add(m[1]!);
    }
  };
  for (const pkg of readdirSync(join(root, 'packages'))) walk(join(root, 'packages', pkg, 'src'));
  return found;
}

describe('error codes', () => {
  it('every code in errors.ts is listed in docs/errors.md', () => {
    const missing = Object.keys(ERROR_CODES).filter((c) => !documented.has(c));
    expect(missing).toEqual([]);
  });
  it('the HTTP status in docs/errors.md is the one each code is defined with, 5xx only for server faults', () => {
    const rows = [...docs.matchAll(/^\|\s*`(E_[A-Z0-9_]+)`\s*\|[^|]*\|\s*(\d{3})\s*\|/gm)];
    expect(rows.length).toBe(Object.keys(ERROR_CODES).length);
    for (const [, code, status] of rows) expect([code, Number(status)]).toEqual([code, ERROR_STATUS[code!]]);
    const faults = Object.keys(ERROR_STATUS).filter((c) => ERROR_STATUS[c]! >= 500);
    expect(faults.sort()).toEqual(
      [
        'E_DOWNLOAD_FAILED',
        'E_INTERNAL',
        'E_NATIVE_MODULE',
        'E_NETWORK',
        'E_NO_SPACE',
        'E_READ_ONLY',
        'E_SERVICE_UNAVAILABLE',
        'E_WRITE_FAILED',
      ].sort(),
    );
  });
  it('docs/errors.md lists no code that errors.ts does not define', () => {
    expect([...documented].filter((c) => !(c in ERROR_CODES))).toEqual([]);
  });
  it('every code used in any package source is defined', () => {
    expect([...codesUsedInSources()].filter((c) => !(c in ERROR_CODES))).toEqual([]);
  });
  it('error classes carry their code and are SegkitErrors', () => {
    const e = new ImageDecodeError('x');
    expect(e).toBeInstanceOf(SegkitError);
    expect(e.code).toBe('E_IMAGE_DECODE');
    expect(isSegkitError(e, 'E_IMAGE_DECODE')).toBe(true);
  });
});
