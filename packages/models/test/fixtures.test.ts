import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFixtures } from '../../../scripts/fixtures/generate.js';
import { PRESETS, segment } from '../src/index.js';
import { fixtureModel } from './helpers/hub-server.js';
import { scene } from './helpers/shapes.js';

const files = (dir: string) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();

describe('fixture models', () => {
  it('the committed fixtures are exactly what `npm run fixtures` generates', () => {
    const out = mkdtempSync(join(tmpdir(), 'segkit-fixtures-'));
    for (const name of writeFixtures(out)) {
      const committed = fixtureModel(name);
      expect(files(join(out, name))).toEqual(files(committed));
      for (const f of files(committed))
        expect(
          readFileSync(join(out, name, f)).equals(readFileSync(join(committed, f))),
          `${name}/${f}`,
        ).toBe(true);
    }
  });

  it('carry the real model_type, say they are fixtures, and are never presets', () => {
    for (const [name, type] of [
      ['sam-fixture', 'sam'],
      ['sam2-fixture', 'sam2'],
    ] as const) {
      expect(JSON.parse(readFileSync(join(fixtureModel(name), 'config.json'), 'utf8')).model_type).toBe(type);
      expect(readFileSync(join(fixtureModel(name), 'README.md'), 'utf8')).toMatch(
        /TEST FIXTURE, not a real model/,
      );
    }
    expect(PRESETS.some((p) => /fixture/i.test(p.repo + p.name))).toBe(false);
  });
});

describe('segment() one-call API', () => {
  it('segments with a named model and reuses it across calls', async () => {
    const { image, truth } = scene();
    const r = await segment(image, { prompt: { point: [300, 80] }, model: fixtureModel('sam2-fixture') });
    const { iou } = await import('@segkit/core');
    expect(iou(r.mask, truth.blue!)).toBeGreaterThanOrEqual(0.9);
    const three = await segment(image, {
      prompt: { point: [300, 80] },
      model: fixtureModel('sam2-fixture'),
      multimask: true,
    });
    expect(three).toHaveLength(3);
  });
});
