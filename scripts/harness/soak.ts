// `npm run soak -- --clients 50 --minutes 30`: simulated annotators against a real `segkit serve` on 127.0.0.1.
// At the end the server is stopped with SIGTERM while the clients are still writing (a graceful stop under load), and
// the database is compared with every write the clients saw acknowledged. A backup taken half-way is restored and
// checked with doctor. Prints the report (and writes it as JSON with --out); exits 1 when a check fails.
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { backupDatabase, doctor, restoreDatabase } from '@segkit/server';
import { annotator, Ledger, rssMiB, Stats, setUpProject, startServer } from './load.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '50' },
    minutes: { type: 'string', default: '30' },
    images: { type: 'string', default: '20' },
    out: { type: 'string' },
  },
});
const clients = Number(values.clients);
const ms = Number(values.minutes) * 60_000;
const dataDir = mkdtempSync(join(tmpdir(), 'segkit-soak-'));
const server = await startServer(dataDir);
const { projectId, imageIds } = await setUpProject(server.base, server.token, Number(values.images));
const stats = new Stats();
const ledger = new Ledger();
const rss: { s: number; mib: number; cacheMib: number }[] = [];
const t0 = Date.now();
/** What the server's bounded embedding caches hold (from /metrics): memory it is meant to keep, not a leak. */
async function cacheMiB(): Promise<number> {
  try {
    const text = await (await fetch(`${server.base}/metrics`)).text();
    let bytes = 0;
    for (const m of text.matchAll(/^segkit_embedding_cache_bytes\{[^}]*\} (\d+(?:\.\d+)?)$/gm))
      bytes += Number(m[1]);
    return bytes / 2 ** 20;
  } catch {
    return 0;
  }
}
const sampler = setInterval(() => {
  const mib = rssMiB(server.pid);
  if (mib > 0) void cacheMiB().then((cacheMib) => rss.push({ s: (Date.now() - t0) / 1000, mib, cacheMib }));
}, 2000);
const deadline = t0 + ms;
let serverGone = false;
const runs = Array.from({ length: clients }, (_, i) =>
  annotator({
    base: server.base,
    token: server.token,
    projectId,
    imageIds,
    going: () => !serverGone && Date.now() < deadline + 10_000, // still writing when the server is told to stop
    maxRequests: 1_000_000,
    stats,
    ledger,
    seed: 1000 + i,
  }),
);
// A backup half-way, while the clients write.
await new Promise((r) => setTimeout(r, ms / 2));
const backupFile = join(dataDir, '..', `${join(dataDir).split('/').pop()}-backup.db`);
await backupDatabase(dataDir, backupFile);
await new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())));
const exited = new Promise<number | null>((r) =>
  server.child.once('exit', (code) => {
    serverGone = true;
    r(code);
  }),
);
stats.stopping = true;
server.child.kill('SIGTERM');
const exitCode = await exited;
clearInterval(sampler);
await Promise.all(runs);
const lost = ledger.verify(join(dataDir, 'segkit.db'));
const health = await doctor(dataDir);
const restored = mkdtempSync(join(tmpdir(), 'segkit-soak-restore-'));
cpSync(join(dataDir, 'blobs'), join(restored, 'blobs'), { recursive: true });
await restoreDatabase(restored, backupFile);
const backupHealth = await doctor(restored);
// Memory must level off. One sample catches whatever is in flight (a find-all holds hundreds of MiB for a few
// seconds), so the level compared is the floor: the lowest sample of a quarter of the run after warm-up, which
// transient work does not lift and a leak does. The floor of the last quarter must stay close to the second's.
// What the embedding caches hold is taken out first: they fill towards their 512 MiB budget through a short run
// (each new image's encoding is kept), which is memory kept on purpose, and bounded; a leak is what is left.
const warm = rss.filter((r) => r.s * 1000 >= ms * 0.1);
const floor = (from: number, to: number) =>
  Math.min(
    ...warm.slice(Math.floor(warm.length * from), Math.ceil(warm.length * to)).map((r) => r.mib - r.cacheMib),
  );
const mid = warm.length ? floor(0.25, 0.5) : 0;
const end = warm.length ? floor(0.75, 1) : 0;
const lateGrowth = end - mid;
const fiveXX = [...stats.statuses.entries()]
  .filter(([k]) => k.startsWith('5'))
  .reduce((a, [, n]) => a + n, 0);
const report = {
  clients,
  minutes: Number(values.minutes),
  requests: stats.requests,
  perSecond: Math.round(stats.requests / ((Date.now() - t0) / 1000)),
  byStatus: Object.fromEntries(stats.statuses),
  duringStop: Object.fromEntries(stats.afterStop),
  routes: stats.table(),
  acknowledgedWrites: ledger.acknowledged,
  unansweredWrites: ledger.unanswered,
  lostWrites: lost.length,
  lost: lost.slice(0, 10),
  serverExit: exitCode,
  rssMiB: {
    start: rss[0]?.mib,
    afterWarmUp: warm[0]?.mib,
    last: warm.at(-1)?.mib,
    floorSecondQuarter: mid,
    floorLastQuarter: end,
    max: Math.max(...rss.map((r) => r.mib)),
    embeddingCacheLast: warm.at(-1)?.cacheMib,
  },
  lateGrowthMiB: lateGrowth,
  doctor: health.ok,
  backupDoctor: backupHealth.ok,
};
console.log(
  `soak: ${clients} clients for ${values.minutes} min: ${report.requests} requests (${report.perSecond}/s)`,
);
console.log(
  `by status: ${JSON.stringify(report.byStatus)}; while stopping: ${JSON.stringify(report.duringStop)}`,
);
console.log(
  `${'route'.padEnd(36)}${'n'.padStart(8)}${'p50 ms'.padStart(9)}${'p95 ms'.padStart(9)}${'p99 ms'.padStart(9)}`,
);
for (const r of report.routes)
  console.log(
    `${r.route.padEnd(36)}${String(r.n).padStart(8)}${r.p50.toFixed(0).padStart(9)}${r.p95.toFixed(0).padStart(9)}${r.p99.toFixed(0).padStart(9)}`,
  );
console.log(
  `acknowledged writes ${report.acknowledgedWrites}, unanswered ${report.unansweredWrites}, lost ${report.lostWrites}`,
);
for (const l of report.lost) console.log(`  LOST ${l}`);
console.log(
  `RSS MiB: start ${report.rssMiB.start?.toFixed(0)}, after warm-up ${report.rssMiB.afterWarmUp?.toFixed(0)}, last ${report.rssMiB.last?.toFixed(0)}, max ${report.rssMiB.max.toFixed(0)}; embedding caches at the end ${report.rssMiB.embeddingCacheLast?.toFixed(0)}; without them, floor of the second quarter ${mid.toFixed(0)}, of the last ${end.toFixed(0)} (growth ${lateGrowth.toFixed(0)} MiB)`,
);
console.log(
  `graceful stop exit ${exitCode}; doctor ${health.ok ? 'ok' : 'FAILED'}; backup taken half-way restores and passes doctor: ${backupHealth.ok}`,
);
if (values.out) writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);
const failed = [
  lost.length > 0 && 'acknowledged writes were lost',
  fiveXX > 0 && `${fiveXX} answers were 5xx`,
  exitCode !== 143 && `the server exited with ${exitCode} on SIGTERM, not 143`,
  !health.ok && 'doctor failed on the data directory',
  !backupHealth.ok && 'the half-way backup failed doctor',
  stats.transportErrors > 0 && `${stats.transportErrors} requests got no answer before the stop`,
  lateGrowth > Math.max(64, 0.25 * mid) &&
    `memory still climbing: its floor rose ${lateGrowth.toFixed(0)} MiB from the second quarter to the last`,
].filter(Boolean);
for (const f of failed) console.log(`FAILED: ${f}`);
console.log(failed.length ? 'soak failed' : 'soak passed');
process.exitCode = failed.length ? 1 : 0;
