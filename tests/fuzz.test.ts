// The CI-sized API fuzzing run: a fixed seed, a bounded number of cases, every route of the OpenAPI document.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scene } from '../packages/models/test/helpers/shapes.js';
import { runFuzz } from '../scripts/harness/fuzz-core.js';

const repo = new URL('../', import.meta.url).pathname;

describe('API fuzzing', () => {
  it('no 5xx, no hang, and a coded error on every 4xx, over seeded random and mutated requests to every route', async () => {
    process.env.SEGKIT_OFFLINE = '1';
    process.env.SEGKIT_CACHE_DIR ??= mkdtempSync(join(tmpdir(), 'segkit-cache-'));
    const report = await runFuzz({
      dataDir: mkdtempSync(join(tmpdir(), 'segkit-fuzz-')),
      cases: Number(process.env.SEGKIT_FUZZ_CASES ?? 3000),
      seed: 20261202,
      image: scene().image,
      segmentModel: join(repo, 'fixtures/models/sam-fixture'),
      modelRoots: [join(repo, 'fixtures/models')],
    });
    console.log(
      `fuzz: ${report.cases} cases over ${report.routes} routes in ${report.ms} ms: ${JSON.stringify(report.byStatus)}`,
    );
    expect(report.failures, JSON.stringify(report.failures.slice(0, 5), null, 1)).toEqual([]);
    expect(report.routes).toBeGreaterThan(40);
    // The generator reaches handlers, not only the validator: successes and several kinds of refusal.
    expect(report.byStatus['200'] ?? 0).toBeGreaterThan(50);
    expect(Object.keys(report.byStatus).length).toBeGreaterThanOrEqual(4);
  }, 600_000);
});
