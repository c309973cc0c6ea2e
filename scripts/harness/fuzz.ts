// `npm run fuzz -- --cases 20000 --seed 7`: API fuzzing against an in-process server on a fresh data directory
// (nothing leaves the process). Prints the cases by status and every failure; exits 1 when there is one.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { maskFromFunction } from '@segkit/core';
import { runFuzz } from './fuzz-core.js';

const { values } = parseArgs({
  options: { cases: { type: 'string', default: '5000' }, seed: { type: 'string', default: '1' } },
});
const repo = new URL('../../', import.meta.url).pathname;
process.env.SEGKIT_OFFLINE = '1';
process.env.SEGKIT_CACHE_DIR ??= mkdtempSync(join(tmpdir(), 'segkit-cache-'));
// A small picture with a red square, so segmentation has something to find.
const sq = maskFromFunction(64, 48, (x, y) => x > 10 && x < 40 && y > 8 && y < 30);
const data = new Uint8Array(64 * 48 * 3).fill(200);
for (let i = 0; i < sq.data.length; i++) if (sq.data[i]) data.set([220, 30, 30], i * 3);
const report = await runFuzz({
  dataDir: mkdtempSync(join(tmpdir(), 'segkit-fuzz-')),
  cases: Number(values.cases),
  seed: Number(values.seed),
  image: { width: 64, height: 48, channels: 3, data },
  segmentModel: join(repo, 'fixtures/models/sam-fixture'),
  modelRoots: [join(repo, 'fixtures/models')],
  log: (l) => console.error(l),
});
console.log(
  `fuzz: ${report.cases} cases over ${report.routes} routes in ${(report.ms / 1000).toFixed(1)} s, seed ${values.seed}`,
);
console.log(`by status: ${JSON.stringify(report.byStatus)}`);
for (const f of report.failures)
  console.log(
    `FAIL ${f.why}: ${f.method} ${f.url} → ${f.status} ${f.body}\n  sent: ${JSON.stringify(f.sent)}`,
  );
console.log(`${report.failures.length} failures`);
process.exitCode = report.failures.length ? 1 : 0;
