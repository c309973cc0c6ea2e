// `npm run crashloop -- --kills 100`: under annotator load (writes, uploads, exports, processing jobs), SIGKILL the
// server at a random moment, restart it, and check after each restart: SQLite's integrity check is ok, no
// acknowledged write is lost, every blob the database names exists with the right hash, no temporary file of a dead
// server remains, and at the end every job resumes and finishes each item exactly once. Exits 1 when a check fails.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { doctor } from '@segkit/server';
import { annotator, Ledger, readOnly, type Served, Stats, setUpProject, startServer } from './load.js';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '100' },
    clients: { type: 'string', default: '8' },
    seed: { type: 'string', default: '1' },
  },
});
const kills = Number(values.kills);
let seed = Number(values.seed);
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
const dataDir = mkdtempSync(join(tmpdir(), 'segkit-crashloop-'));
const ledger = new Ledger();
const stats = new Stats();
const failures: string[] = [];
const api = async (s: Served, method: string, path: string, body?: unknown) => {
  const res = await fetch(`${s.base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${s.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json().catch(() => ({}))) as Record<string, unknown> };
};

let server = await startServer(dataDir);
const { projectId, imageIds } = await setUpProject(server.base, server.token, 12);
// A SAM box on every image for the processing jobs to segment (made once; the jobs only update them).
for (const img of imageIds)
  await api(server, 'POST', `/images/${img}/annotations`, {
    mode: 'inside_box',
    label: 'red',
    promptType: 'segment',
    bbox: [4, 4, 24, 18],
  });
const processJobs: number[] = [];
const during = new Map<string, number>(); // kills that interrupted each kind of work
const t0 = Date.now();
for (let round = 1; round <= kills; round++) {
  if (round > 1) server = await startServer(dataDir);
  // After a restart, the temporary files of the killed server are gone.
  const left = (await doctor(dataDir)).temps;
  if (left.length)
    failures.push(
      `round ${round}: temporary files of a dead server remain after restart: ${left.join(', ')}`,
    );
  if (rand() < 0.5) {
    const j = await api(server, 'POST', `/projects/${projectId}/process`, { mode: 'inside_box' });
    if (j.status === 202) processJobs.push(j.json.id as number);
  }
  const runFor = 500 + rand() * 2500;
  const stopAt = Date.now() + runFor + 5000;
  let killed = false;
  const clients = Array.from({ length: Number(values.clients) }, (_, i) =>
    annotator({
      base: server.base,
      token: server.token,
      projectId,
      imageIds,
      going: () => !killed && Date.now() < stopAt,
      maxRequests: 10_000,
      stats,
      ledger,
      seed: round * 100 + i,
      heavy: true,
      promptType: 'positive_exemplar',
    }),
  );
  await new Promise((r) => setTimeout(r, runFor));
  // What the kill interrupts: a job the server is running, an upload or an export request in flight.
  const running = (
    (await api(server, 'GET', '/jobs').catch(() => ({ json: [] }))).json as unknown as {
      kind: string;
      state: string;
    }[]
  )
    .filter((j) => j.state === 'running')
    .map((j) => j.kind);
  for (const k of new Set(running)) during.set(`${k} job`, (during.get(`${k} job`) ?? 0) + 1);
  for (const route of [
    'POST /projects/:id/images',
    'POST /projects/:id/export',
    'POST /images/:id/annotations',
  ])
    if ((stats.inFlight.get(route) ?? 0) > 0) during.set(route, (during.get(route) ?? 0) + 1);
  const exited = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGKILL');
  await exited;
  killed = true;
  await Promise.all(clients);
  const lost = ledger.verify(join(dataDir, 'segkit.db'));
  for (const l of lost) failures.push(`round ${round}: lost ${l}`);
  const d = await doctor(dataDir);
  if (!d.ok)
    failures.push(`round ${round}: doctor: ${JSON.stringify({ integrity: d.integrity, blobs: d.blobs })}`);
  process.stderr.write(
    `kill ${round}/${kills} after ${runFor.toFixed(0)} ms: ${lost.length} lost, doctor ${d.ok ? 'ok' : 'FAILED'}\n`,
  );
}
// The last restart: every job resumes and finishes; each processing job ran each image once. Job states come from the
// database file itself (the API lists only the newest 500 jobs).
server = await startServer(dataDir);
const dbFile = join(dataDir, 'segkit.db');
const deadline = Date.now() + 300_000;
type JobRow = {
  id: number;
  kind: string;
  state: string;
  done: number;
  total: number;
  items: number;
  /** Items that failed for another reason than an uploaded image having no box yet (E_NO_BOXES). */
  broken: number;
};
const jobRows = () =>
  readOnly(
    dbFile,
    (db) =>
      db
        .prepare(
          `SELECT j.id, j.kind, j.state, j.done, j.total,
             (SELECT count(*) FROM job_item i WHERE i.job_id = j.id) AS items,
             (SELECT count(*) FROM job_item i WHERE i.job_id = j.id AND i.error_code IS NOT NULL
                AND i.error_code != 'E_NO_BOXES') AS broken
           FROM job j`,
        )
        .all() as JobRow[],
  );
let jobs = jobRows();
while (Date.now() < deadline && jobs.some((j) => j.state === 'queued' || j.state === 'running')) {
  await new Promise((r) => setTimeout(r, 500));
  jobs = jobRows();
}
const unfinished = jobs.filter((j) => j.state === 'queued' || j.state === 'running');
if (unfinished.length)
  failures.push(`${unfinished.length} jobs did not finish within 5 minutes of the last restart`);
const processed = jobs.filter((j) => processJobs.includes(j.id));
for (const j of processed) {
  // Images uploaded meanwhile have no box: those items fail with E_NO_BOXES and the job ends partial, rightly.
  if (j.state !== 'succeeded' && j.state !== 'partial')
    failures.push(`processing job ${j.id} ended ${j.state}`);
  else if (j.broken)
    failures.push(`processing job ${j.id}: ${j.broken} items failed for another reason than E_NO_BOXES`);
  else if (j.done !== j.total || j.items !== j.total)
    failures.push(`processing job ${j.id}: ${j.done} done and ${j.items} items recorded of ${j.total}`);
}
// Each image has one processing result for the mode and its one SAM box, never a duplicate.
for (const img of imageIds) {
  const boxes = (await api(server, 'GET', `/images/${img}/annotations?mode=inside_box&promptType=segment`))
    .json as unknown as { rle?: unknown }[];
  if (boxes.length !== 1) failures.push(`image ${img}: ${boxes.length} SAM boxes, expected exactly 1`);
  const results = (await api(server, 'GET', `/images/${img}/results`)).json as unknown as { mode: string }[];
  const mine = (Array.isArray(results) ? results : []).filter((r) => r.mode === 'inside_box');
  if (mine.length > 1) failures.push(`image ${img}: ${mine.length} inside_box results`);
}
const exited = new Promise((r) => server.child.once('exit', r));
server.child.kill('SIGTERM');
await exited;
const final = await doctor(dataDir);
if (!final.ok) failures.push('doctor failed after the last stop');
const succeeded = processed.filter((j) => j.state === 'succeeded' || j.state === 'partial').length;
console.log(
  `crashloop: ${kills} kills in ${((Date.now() - t0) / 1000).toFixed(0)} s; ${stats.requests} requests, ${ledger.acknowledged} acknowledged writes, ${ledger.unanswered} unanswered`,
);
console.log(
  `processing jobs: ${processJobs.length} started, ${succeeded} finished (succeeded or partial: images uploaded meanwhile have no box), each item recorded once; all jobs: ${jobs.length} (${jobs.filter((j) => j.state === 'succeeded').length} succeeded, ${jobs.filter((j) => j.state === 'cancelled').length} cancelled, ${jobs.filter((j) => j.state === 'failed').length} failed)`,
);
console.log(`kills that interrupted: ${[...during].map(([k, n]) => `${k} ${n}`).join(', ')}`);
console.log(`orphaned blobs left by kills (harmless, doctor --fix removes them): ${final.orphans.length}`);
for (const f of failures.slice(0, 20)) console.log(`FAILED: ${f}`);
console.log(failures.length ? `crashloop failed: ${failures.length} problems` : 'crashloop passed');
process.exitCode = failures.length ? 1 : 0;
