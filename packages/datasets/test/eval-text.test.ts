import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { evalText } from '../src/index.js';
import { textDataset } from './helpers/generate.js';

const model = new URL('../../../fixtures/models/clipseg-fixture', import.meta.url).pathname;

beforeEach(() => {
  process.env.SEGKIT_CACHE_DIR = mkdtempSync(join(tmpdir(), 'segkit-cache-'));
});

describe('evalText', () => {
  it('predicts one split with the text model and scores it, with the time per image', async () => {
    const dir = await textDataset();
    const r = await evalText(
      join(dir, 'm.csv'),
      { red: ['segment red'], blue: ['blue'], green: ['green'] },
      { split: 'test', model },
    );
    expect(r.images).toBe(1);
    expect(r.msPerImage).toBeGreaterThan(0);
    expect(Object.keys(r.report.perLabel).sort()).toEqual(['blue', 'red']); // green is not in the manifest
    expect(r.report.overall.n).toBe(2);
    expect(r.report.overall.miou).toBeGreaterThanOrEqual(0.9);
    expect(r.report.thresholds.map((t) => t.threshold)).toEqual([0.3, 0.4, 0.5, 0.6]);
    expect(r.report.split).toBe('test');
    expect(r.report.notes.join(' ')).toMatch(/sensitivity analysis only/);
  });

  it('refuses a prompt set that shares no label with the manifest', async () => {
    const dir = await textDataset();
    await expect(evalText(join(dir, 'm.csv'), { wood: ['wood'] }, { model })).rejects.toMatchObject({
      code: 'E_INVALID_ARGUMENT',
    });
  });
});
