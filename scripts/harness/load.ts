// Simulated annotators against a real `segkit serve` on 127.0.0.1, for the soak and crash-loop harnesses. Every loop
// is bounded by a count and a deadline. Each client records every write the server acknowledged (and every write whose
// answer never came, which may or may not have happened), so the database can be compared with that record at the end.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { seededRandom } from '@segkit/core';

export const repo = new URL('../../', import.meta.url).pathname;
// better-sqlite3 belongs to @segkit/server; the harness borrows it to read the database file directly.
const Database = createRequire(join(repo, 'packages/server/package.json'))(
  'better-sqlite3',
) as typeof import('better-sqlite3');
const fixture = (name: string) => join(repo, 'fixtures/models', name);

/** A running `segkit serve`: its process, base URL and admin token. */
export interface Served {
  child: ChildProcess;
  base: string;
  token: string;
  pid: number;
}

const MODELS = ['--model', fixture('sam-fixture'), '--model-root', join(repo, 'fixtures/models')];

/**
 * Starts a `segkit` command with the fixture models (and `env` added to this process's environment); resolves with
 * the process and what `ready` matched in its stderr once it says so. The process goes when the harness does.
 */
export async function startSegkit(
  args: string[],
  ready: RegExp,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, [join(repo, 'packages/cli/bin/segkit.js'), ...args, ...MODELS], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, SEGKIT_OFFLINE: '1', ...env },
  });
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`segkit ${args[0]} did not start in 60 s: ${err}`)),
      60_000,
    );
    child.stderr!.on('data', (d) => {
      err += d.toString();
      const m = ready.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`segkit ${args[0]} exited with ${code}: ${err}`));
    });
  });
  // Never leave a process behind: if the harness itself stops (an error, Ctrl-C), the process goes with it.
  const reap = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', reap);
  child.once('exit', () => process.removeListener('exit', reap));
  return { child, match };
}

/**
 * Starts `segkit serve` on a free port of 127.0.0.1 with the fixture models; resolves once it listens. Its token is
 * the admin token of the data directory ('' where another replica of its database made the token).
 */
export async function startServer(
  dataDir: string,
  extra: string[] = [],
  env: Record<string, string> = {},
): Promise<Served> {
  const { child, match } = await startSegkit(
    ['serve', '--data', dataDir, '--port', '0', '--host', '127.0.0.1', '--max-inflight', '64', ...extra],
    /SegKit server on (http:\/\/[^\s]+)/,
    env,
  );
  const file = join(dataDir, 'admin-token');
  const token = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  return { child, base: match[1]!, token, pid: child.pid! };
}

/** Runs `fn` on a read-only connection to a SegKit database file. */
export function readOnly<T>(file: string, fn: (db: import('better-sqlite3').Database) => T): T {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** Resident memory of a process, MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** What the clients saw: latencies per route, statuses, transport errors. */
export class Stats {
  readonly times = new Map<string, number[]>();
  readonly statuses = new Map<string, number>();
  requests = 0;
  transportErrors = 0;
  /** Set once the server has been told to stop: later answers (503, refused connections) are counted apart. */
  stopping = false;
  readonly afterStop = new Map<string, number>();
  /** Requests sent and not yet answered, per route. */
  readonly inFlight = new Map<string, number>();

  record(route: string, ms: number, status: number | 'error') {
    if (this.stopping) {
      this.afterStop.set(String(status), (this.afterStop.get(String(status)) ?? 0) + 1);
      return;
    }
    this.requests++;
    if (status === 'error') this.transportErrors++;
    const list = this.times.get(route) ?? [];
    list.push(ms);
    this.times.set(route, list);
    const k = String(status);
    this.statuses.set(k, (this.statuses.get(k) ?? 0) + 1);
  }

  /** p50/p95/p99 per route, ms. */
  table(): { route: string; n: number; p50: number; p95: number; p99: number }[] {
    const q = (s: number[], p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
    return [...this.times.entries()]
      .map(([route, t]) => {
        const s = [...t].sort((a, b) => a - b);
        return { route, n: s.length, p50: q(s, 0.5), p95: q(s, 0.95), p99: q(s, 0.99) };
      })
      .sort((a, b) => a.route.localeCompare(b.route));
  }
}

/** One annotation as the client last knew it; `maybe` holds states a write without an answer may have left. */
interface Known {
  version: number;
  label: string;
  deleted: boolean;
  maybe: { version: number; label: string; deleted: boolean }[];
}

/** Every acknowledged write, per annotation id. */
export class Ledger {
  readonly known = new Map<number, Known>();
  acknowledged = 0;
  unanswered = 0;

  /** Compares the record with the database file: returns the acknowledged writes that are not there. */
  verify(dbFile: string): string[] {
    return this.verifyRows(
      readOnly(dbFile, (db) => {
        const rows = db.prepare('SELECT id, version, label FROM annotation').all() as AnnotationRow[];
        return new Map(rows.map((r) => [r.id, r]));
      }),
    );
  }

  /** Compares the record with the annotations a database holds (by id): the acknowledged writes not there. */
  verifyRows(rows: Map<number, AnnotationRow>): string[] {
    const lost: string[] = [];
    for (const [id, k] of this.known) {
      const r = rows.get(id);
      const now = r
        ? { version: r.version, label: r.label, deleted: false }
        : { deleted: true, version: 0, label: '' };
      const ok = [{ version: k.version, label: k.label, deleted: k.deleted }, ...k.maybe].some((s) =>
        s.deleted ? now.deleted : !now.deleted && now.version === s.version && now.label === s.label,
      );
      if (!ok)
        lost.push(
          `annotation ${id}: acknowledged ${k.deleted ? 'deleted' : `v${k.version} ${k.label}`}, database has ${now.deleted ? 'none' : `v${now.version} ${now.label}`}`,
        );
    }
    return lost;
  }
}

/** An annotation's row as the ledger compares it. */
export interface AnnotationRow {
  id: number;
  version: number;
  label: string;
}

export interface ClientPlan {
  /** The server, or the replicas of one (each request goes to the next, round-robin). */
  base: string | string[];
  token: string;
  projectId: number;
  imageIds: number[];
  /** True while the client should go on (a deadline, or until the harness stops it). */
  going: () => boolean;
  maxRequests: number;
  stats: Stats;
  ledger: Ledger;
  seed: number;
  /** Also upload images and start exports (the crash loop kills the server during them). */
  heavy?: boolean;
  /** The prompt type of the annotations the client makes (default: the API's, `segment`). */
  promptType?: string;
  /** Awaited before each request: the soak holds its clients here while it measures a quiet server. */
  gate?: () => Promise<void>;
}

/** An RGB PNG built by hand (stored rows, zlib), so the harness needs no image library. */
function png(w: number, h: number, pixel: (x: number, y: number) => [number, number, number]): Buffer {
  const raw = Buffer.alloc(h * (1 + w * 3));
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set(pixel(x, y), y * (1 + w * 3) + 1 + x * 3);
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A tiny picture: `n` picks its colours, so every upload is new bytes. */
export const tinyPng = (n: number) =>
  png(8, 8, (x, y) => [(n * 37) & 255, (n * 91 + x) & 255, (y * 31) & 255]);

/** A 64×48 picture with a red square and a blue one, placed by `i`. */
const scenePng = (i: number) =>
  png(64, 48, (x, y) => {
    const red = x >= 5 + (i % 10) && x < 25 + (i % 10) && y >= 5 && y < 20;
    const blue = x >= 35 && x < 55 && y >= 25 + (i % 8) && y < 40 + (i % 8);
    return red ? [220, 30, 30] : blue ? [30, 30, 220] : [200, 200, 200];
  });

/** One annotator: a bounded loop of realistic calls, recording what the server acknowledged. */
export async function annotator(plan: ClientPlan): Promise<void> {
  const r = seededRandom(plan.seed);
  const pick = <T>(a: T[]) => a[Math.floor(r() * a.length)]!;
  const mine: number[] = [];
  const auth = { authorization: `Bearer ${plan.token}` };
  const bases = typeof plan.base === 'string' ? [plan.base] : plan.base;
  let sent = plan.seed; // clients start on different replicas
  const call = async (
    route: string,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const t0 = performance.now();
    const flying = plan.stats.inFlight;
    flying.set(route, (flying.get(route) ?? 0) + 1);
    try {
      const res = await fetch(`${bases[sent++ % bases.length]}/api/v1${path}`, {
        method,
        headers: {
          ...auth,
          ...(body !== undefined && !(body instanceof FormData)
            ? { 'content-type': 'application/json' }
            : {}),
          ...headers,
        },
        ...(body === undefined ? {} : { body: body instanceof FormData ? body : JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      plan.stats.record(route, performance.now() - t0, res.status);
      return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    } catch {
      plan.stats.record(route, performance.now() - t0, 'error');
      await new Promise((r) => setTimeout(r, 100)); // no answer: the server is down or stopping; do not spin
      return undefined;
    } finally {
      flying.set(route, flying.get(route)! - 1);
    }
  };
  for (let k = 0; k < plan.maxRequests && plan.going(); k++) {
    if (plan.gate) await plan.gate();
    const img = pick(plan.imageIds);
    const a = r();
    if (a < 0.12)
      await call('GET /projects/:id/images', 'GET', `/projects/${plan.projectId}/images?limit=50`);
    else if (a < 0.24) {
      await call('GET /images/:id', 'GET', `/images/${img}`);
      await call('GET /images/:id/annotations', 'GET', `/images/${img}/annotations?mode=inside_box`);
    } else if (a < 0.46) {
      const label = pick(['red', 'blue']);
      const x = Math.floor(r() * 40);
      const res = await call('POST /images/:id/annotations', 'POST', `/images/${img}/annotations`, {
        mode: 'inside_box',
        label,
        bbox: [x, 2, 10, 10],
        ...(plan.promptType ? { promptType: plan.promptType } : {}),
      });
      if (res?.status === 201) {
        const id = res.json.id as number;
        plan.ledger.known.set(id, { version: res.json.version as number, label, deleted: false, maybe: [] });
        plan.ledger.acknowledged++;
        mine.push(id);
      } else if (!res) plan.ledger.unanswered++;
    } else if (a < 0.62 && mine.length) {
      const id = pick(mine);
      const k0 = plan.ledger.known.get(id)!;
      if (k0.deleted || k0.maybe.length) continue;
      const label = k0.label === 'red' ? 'blue' : 'red';
      const res = await call(
        'PATCH /annotations/:id',
        'PATCH',
        `/annotations/${id}`,
        { label },
        { 'if-match': String(k0.version) },
      );
      if (res?.status === 200) {
        plan.ledger.known.set(id, { version: res.json.version as number, label, deleted: false, maybe: [] });
        plan.ledger.acknowledged++;
      } else if (!res) {
        k0.maybe.push({ version: k0.version + 1, label, deleted: false });
        plan.ledger.unanswered++;
      }
    } else if (a < 0.68 && mine.length) {
      const id = pick(mine);
      const k0 = plan.ledger.known.get(id)!;
      if (k0.deleted || k0.maybe.length) continue;
      const res = await call('DELETE /annotations/:id', 'DELETE', `/annotations/${id}`);
      if (res?.status === 204) {
        k0.deleted = true;
        plan.ledger.acknowledged++;
      } else if (!res) {
        k0.maybe.push({ version: 0, label: '', deleted: true });
        plan.ledger.unanswered++;
      }
    } else if (a < 0.86) {
      await call('POST /images/:id/segment', 'POST', `/images/${img}/segment`, {
        points: [{ x: 10 + Math.floor(r() * 40), y: 10 + Math.floor(r() * 30), label: 1 }],
      });
    } else if (a < 0.88) {
      await call('POST /images/:id/find-all', 'POST', `/images/${img}/find-all`, { text: 'red' });
    } else if (a < 0.95 || !plan.heavy) {
      const job = await call('POST /projects/:id/export', 'POST', `/projects/${plan.projectId}/export`, {
        format: 'coco',
      });
      if (job?.status === 202 && r() < 0.7)
        await call('POST /jobs/:id/cancel', 'POST', `/jobs/${(job.json as { id: number }).id}/cancel`, {});
    } else {
      const form = new FormData();
      form.append('files', new Blob([new Uint8Array(tinyPng(Math.floor(r() * 1e9)))]), 'u.png');
      await call('POST /projects/:id/images', 'POST', `/projects/${plan.projectId}/images`, form);
    }
  }
}

/** Creates the project the clients work in: `n` images and the fixture text and embedding models. */
export async function setUpProject(
  base: string,
  token: string,
  n: number,
): Promise<{ projectId: number; imageIds: number[] }> {
  const auth = { authorization: `Bearer ${token}` };
  const p = await fetch(`${base}/api/v1/projects`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'soak',
      labels: [
        { name: 'red', colour: '#ff0000' },
        { name: 'blue', colour: '#0000ff' },
      ],
      settings: { models: { text: fixture('clipseg-fixture'), embed: fixture('clip-fixture') } },
    }),
  });
  const projectId = ((await p.json()) as { id: number }).id;
  const form = new FormData();
  for (let i = 0; i < n; i++) form.append('files', new Blob([new Uint8Array(scenePng(i))]), `img${i}.png`);
  const up = await fetch(`${base}/api/v1/projects/${projectId}/images`, {
    method: 'POST',
    headers: auth,
    body: form,
  });
  const imageIds = ((await up.json()) as { images: { id: number }[] }).images.map((i) => i.id);
  return { projectId, imageIds };
}
