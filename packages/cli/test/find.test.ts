import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeImage } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import { BLUE, RED, shapesImage } from '../../models/test/helpers/shapes.js';
import { cli, repo, tmp } from './helpers.js';

const fx = (n: string) => join(repo, 'fixtures/models', n);

describe('segkit find', () => {
  it('writes one mask per instance and instances.json', async () => {
    process.env.SEGKIT_CACHE_DIR = mkdtempSync(join(tmpdir(), 'segkit-cache-'));
    const { image } = shapesImage(300, 200, [
      { name: 'b1', box: [20, 20, 60, 60], colour: BLUE },
      { name: 'b2', box: [200, 110, 60, 60], colour: BLUE },
      { name: 'r', box: [120, 60, 50, 50], colour: RED },
    ]);
    const photo = join(tmp(), 'p.png');
    writeFileSync(photo, await encodeImage(image, 'png'));
    const out = join(tmp(), 'found');
    const r = await cli(
      'find',
      '--json',
      photo,
      '--text',
      'blue',
      '--positive',
      '20,20,60,60',
      '--segment-model',
      fx('sam-fixture'),
      '--text-model',
      fx('clipseg-fixture'),
      '--clip-model',
      fx('clip-fixture'),
      '-o',
      out,
    );
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { file: string }[];
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(existsSync(row.file)).toBe(true);
    expect(existsSync(join(out, 'instances.json'))).toBe(true);
  });

  it('needs text or exemplars, and checks boxes', async () => {
    const photo = join(repo, 'examples/coffee.png');
    expect((await cli('find', photo, '-o', tmp())).stderr).toBe(
      'segkit: E_FIND_ALL_NEEDS_PROMPT: find-all requires a text prompt or exemplar boxes\n',
    );
    expect((await cli('find', photo, '--positive', '1,2,3', '-o', tmp())).stderr).toMatch(
      /^segkit: E_USAGE: --positive expects x,y,w,h/,
    );
  });
});
