import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeMask } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import { cli, example, tmp } from './helpers.js';

describe('blank masks and COCO', () => {
  it('converting to COCO leaves blank masks out and says how many; --keep-empty keeps them', async () => {
    const src = join(tmp(), 'masks');
    cpSync(example('dataset/masks'), src, { recursive: true });
    await writeMask(join(src, 'masks', 'blue', 'img00.png'), {
      width: 240,
      height: 180,
      data: new Uint8Array(240 * 180),
    });
    const out = join(tmp(), 'coco');
    const r = await cli('dataset', 'convert', src, out, '--to', 'coco');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('left out 1 annotation(s) with a blank mask (--keep-empty keeps them)');
    const n = (p: string) => JSON.parse(readFileSync(join(p, 'annotations.json'), 'utf8')).annotations.length;
    const kept = join(tmp(), 'coco-kept');
    const k = await cli('dataset', 'convert', src, kept, '--to', 'coco', '--keep-empty');
    expect(k.stderr).not.toContain('left out');
    expect(n(kept)).toBe(n(out) + 1);
  });
});
