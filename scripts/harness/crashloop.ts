// `npm run crashloop -- --kills 100`: under annotator load (writes, uploads, exports, processing jobs), SIGKILL the
// server at a random moment, restart it, and check after each restart: SQLite's integrity check is ok, no
// acknowledged write is lost, every blob the database names exists with the right hash, no temporary file of a dead
// server remains, and at the end every job resumes and finishes each item exactly once. Exits 1 when a check fails.
// `--cluster`: the team set-up instead (scripts/harness/cluster.ts): each round SIGKILLs one of two API-only replicas
// or one of two workers at random while the clients' requests alternate between the replicas, then checks the
// PostgreSQL database and the bucket the same way and starts the process again.
import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { doctor } from '@segkit/server';
import { type Role, startCluster } from './cluster.js';
import { annotator, Ledger, readOnly, type Served, Stats, setUpProject, startServer } from './load.js';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '100' },
    clients: { type: 'string', default: '8' },
    seed: { type: 'string', default: '1' },
    cluster: { type: 'boolean', default: false },
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
const api = async (s: Pick<Served, 'base' | 'token'>, method: string, path: string, body?: unknown) => {
  const res = await fetch(`${s.base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${s.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json().catch(() => ({}))) as Record<string, unknown> };
};

const cluster = values.cluster ? await startCluster(2, 2) : undefined;
let server: Served | { base: string; token: string } = cluster
  ? { base: cluster.bases()[0]!, token: cluster.token }
  : await startServer(dataDir);
/** The single server's process (none on the team set-up). */
const child = () => (server as Partial<Served>).child!;
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
const kinds = new Map<Role, number>(); // the team set-up's kills, by the kind of process killed
const during = new Map<string, number>(); // kills that interrupted each kind of work
const t0 = Date.now();
for (let round = 1; round <= kills; round++) {
  if (round > 1 && !cluster) server = await startServer(dataDir);
  if (cluster) server = { base: cluster.bases()[0]!, token: cluster.token };
  // After a restart, the temporary files of the killed server are gone (the team set-up keeps none: blobs are in S3).
  const left = cluster ? [] : (await doctor(dataDir)).temps;
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
      base: cluster ? cluster.bases() : server.base,
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
  // The team set-up loses one process a round: an API replica or a worker, picked at random.
  const role: Role = cluster && rand() < 0.5 ? 'worker' : 'replica';
  const victim = cluster ? Math.floor(rand() * 2) : 0;
  const tally = (what: string) => {
    const k = cluster ? `${role}: ${what}` : what;
    during.set(k, (during.get(k) ?? 0) + 1);
  };
  // What the kill interrupts: a job the server (or the worker killed) is running, an upload or an export request in
  // flight (to the server or the replica killed; the clients' requests alternate between the replicas).
  const running = cluster
    ? role === 'worker'
      ? (
          await cluster.query<{ kind: string }>(
            `SELECT kind FROM job WHERE state = 'running' AND lease_owner = $1`,
            [`${hostname()}:${cluster.pid('worker', victim)}`],
          )
        ).map((j) => j.kind)
      : []
    : (
        (await api(server, 'GET', '/jobs').catch(() => ({ json: [] }))).json as unknown as {
          kind: string;
          state: string;
        }[]
      )
        .filter((j) => j.state === 'running')
        .map((j) => j.kind);
  for (const k of new Set(running)) tally(`${k} job`);
  for (const route of [
    'POST /projects/:id/images',
    'POST /projects/:id/export',
    'POST /images/:id/annotations',
  ])
    if ((stats.inFlight.get(route) ?? 0) > 0 && role === 'replica') tally(route);
  if (cluster) {
    await cluster.kill(role, victim);
    kinds.set(role, (kinds.get(role) ?? 0) + 1);
  } else {
    const exited = new Promise((r) => child().once('exit', r));
    child().kill('SIGKILL');
    await exited;
  }
  killed = true;
  await Promise.all(clients);
  const lost = cluster
    ? ledger.verifyRows(await cluster.annotations())
    : ledger.verify(join(dataDir, 'segkit.db'));
  for (const l of lost) failures.push(`round ${round}: lost ${l}`);
  const d = cluster ? await cluster.doctor() : await doctor(dataDir);
  if (!d.ok)
    failures.push(`round ${round}: doctor: ${JSON.stringify({ integrity: d.integrity, blobs: d.blobs })}`);
  process.stderr.write(
    `kill ${round}/${kills}${cluster ? ` (${role} ${victim + 1})` : ''} after ${runFor.toFixed(0)} ms: ${lost.length} lost, doctor ${d.ok ? 'ok' : 'FAILED'}\n`,
  );
  if (cluster) await cluster.restart(role, victim);
}
// The last restart: every job resumes and finishes; each processing job ran each image once. Job states come from the
// database file itself (the API lists only the newest 500 jobs).
if (cluster) server = { base: cluster.bases()[0]!, token: cluster.token };
else server = await startServer(dataDir);
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
const JOBS = `SELECT j.id, j.kind, j.state, j.done, j.total,
     (SELECT count(*) FROM job_item i WHERE i.job_id = j.id) AS items,
     (SELECT count(*) FROM job_item i WHERE i.job_id = j.id AND i.error_code IS NOT NULL
        AND i.error_code != 'E_NO_BOXES') AS broken
   FROM job j`;
const jobRows = async (): Promise<JobRow[]> =>
  cluster
    ? (await cluster.query<JobRow>(JOBS)).map((j) => ({
        ...j,
        // PostgreSQL's count(*) and bigint columns arrive as strings
        ...Object.fromEntries(
          (['id', 'done', 'total', 'items', 'broken'] as const).map((k) => [k, Number(j[k])]),
        ),
      }))
    : readOnly(dbFile, (db) => db.prepare(JOBS).all() as JobRow[]);
let jobs = await jobRows();
while (Date.now() < deadline && jobs.some((j) => j.state === 'queued' || j.state === 'running')) {
  await new Promise((r) => setTimeout(r, 500));
  jobs = await jobRows();
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
if (cluster) {
  const codes = await cluster.stop();
  if (codes.some((c) => c !== 143)) failures.push(`exit codes on SIGTERM: ${codes.join(', ')}, not all 143`);
} else {
  const exited = new Promise((r) => child().once('exit', r));
  child().kill('SIGTERM');
  await exited;
}
const final = cluster ? await cluster.doctor() : await doctor(dataDir);
await cluster?.close();
if (!final.ok) failures.push('doctor failed after the last stop');
const succeeded = processed.filter((j) => j.state === 'succeeded' || j.state === 'partial').length;
console.log(
  `crashloop: ${kills} kills in ${((Date.now() - t0) / 1000).toFixed(0)} s; ${stats.requests} requests, ${ledger.acknowledged} acknowledged writes, ${ledger.unanswered} unanswered`,
);
console.log(
  `processing jobs: ${processJobs.length} started, ${succeeded} finished (succeeded or partial: images uploaded meanwhile have no box), each item recorded once; all jobs: ${jobs.length} (${jobs.filter((j) => j.state === 'succeeded').length} succeeded, ${jobs.filter((j) => j.state === 'cancelled').length} cancelled, ${jobs.filter((j) => j.state === 'failed').length} failed)`,
);
console.log(`kills that interrupted: ${[...during].map(([k, n]) => `${k} ${n}`).join(', ')}`);
if (cluster) console.log(`processes killed: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}`);
console.log(`orphaned blobs left by kills (harmless, doctor --fix removes them): ${final.orphans.length}`);
for (const f of failures.slice(0, 20)) console.log(`FAILED: ${f}`);
console.log(failures.length ? `crashloop failed: ${failures.length} problems` : 'crashloop passed');
process.exitCode = failures.length ? 1 : 0;
