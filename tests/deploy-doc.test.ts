// Follows docs/deploy.md's team set-up as a new user would, on a throwaway PostgreSQL cluster (its superuser named
// `postgres`, as a distribution's is), Redis server and S3-protocol server: every shell line of the "Team set-up"
// section runs as written, with the documented addresses mapped to the test's ports and folders. `segkit serve` and
// `segkit worker` start in the background and must say they are ready; every other line must exit 0, and a
// `# [json]` comment after a command is checked against what it printed.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  type Postgres,
  pgBin,
  postgresAvailable,
  type RedisServer,
  redisAvailable,
  type S3,
  startPostgres,
  startRedis,
  startS3,
} from '../packages/server/test/engines.js';

const repo = new URL('../', import.meta.url).pathname;
const bin = join(repo, 'packages/cli/bin/segkit.js');
const ready = postgresAvailable() && redisAvailable();

/** The shell lines of the doc's "Team set-up" section, in order, blocks apart. */
function teamBlocks(): string[][] {
  const doc = readFileSync(join(repo, 'docs/deploy.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Team set-up'), doc.indexOf('### Workers and GPUs'));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.split('\n').filter((l) => l.trim()));
}

/** Runs a bash script to its end (at most 2 minutes); its exit status and output. */
function run(script: string, opts: { cwd: string; env: NodeJS.ProcessEnv }) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', script], { ...opts, timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += String(d);
    });
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

let pg: Postgres;
let redis: RedisServer;
let s3: S3;
const background: ChildProcess[] = [];
beforeAll(async () => {
  if (!ready) return;
  [pg, redis, s3] = await Promise.all([startPostgres({ superuser: 'postgres' }), startRedis(), startS3()]);
  await s3.createBucket('segkit');
}, 60_000);
afterAll(async () => {
  await Promise.all(
    background.map(
      (c) =>
        new Promise((r) => {
          if (c.exitCode !== null || c.signalCode !== null) return r(null);
          c.once('exit', r);
          c.kill('SIGTERM');
        }),
    ),
  );
  await redis?.stop();
  await s3?.stop();
  pg?.stop();
});

describe.skipIf(!ready)('docs/deploy.md, followed on a fresh set-up', () => {
  it('runs every command of the team set-up as written: the database made, replicas and a worker up, the check passes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segkit-deploy-'));
    const shims = join(dir, '.bin');
    mkdirSync(shims);
    const shim = (name: string, body: string) =>
      writeFileSync(join(shims, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    shim('segkit', `exec "${process.execPath}" "${bin}" "$@"`);
    // sudo [-u postgres]: the throwaway cluster's superuser is `postgres` already (PGUSER below).
    shim('sudo', 'if [ "$1" = -u ]; then shift 2; fi\nexec "$@"');
    // apt-get install: no downloads in a test, so the packages must be there already (.ci/run installs them).
    shim(
      'apt-get',
      [
        '[ "$1" = install ] || exit 97',
        'shift',
        'for p in "$@"; do',
        '  case "$p" in',
        '    -*) ;;',
        // A versioned server package (postgresql-15) serves as the `postgresql` the docs install.
        '    postgresql) ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { echo "$p is not installed" >&2; exit 1; } ;;',
        '    *) dpkg -s "$p" >/dev/null 2>&1 || { echo "$p is not installed" >&2; exit 1; } ;;',
        '  esac',
        'done',
      ].join('\n'),
    );
    for (const p of ['createuser', 'createdb', 'psql', 'pg_dump', 'pg_restore'])
      shim(p, `exec "${join(pgBin(), p)}" "$@"`);
    const [web1, web2] = [await freePort(), await freePort()];
    const mapped: [string, string][] = [
      ['127.0.0.1:5432', `127.0.0.1:${pg.port}`],
      ['redis://127.0.0.1:6379', redis.url],
      ['http://127.0.0.1:9000', s3.endpoint],
      ['AWS_ACCESS_KEY_ID=segkit', `AWS_ACCESS_KEY_ID=${s3.env.AWS_ACCESS_KEY_ID}`],
      ['AWS_SECRET_ACCESS_KEY=change-me-too', `AWS_SECRET_ACCESS_KEY=${s3.env.AWS_SECRET_ACCESS_KEY}`],
      ['--host 0.0.0.0', '--host 127.0.0.1'],
      ['7860', String(web1)],
      ['7861', String(web2)],
      ['/srv/', `${dir}/srv/`],
    ];
    const env = {
      ...process.env,
      PATH: `${shims}:${process.env.PATH}`,
      PGHOST: '127.0.0.1',
      PGPORT: String(pg.port),
      PGUSER: 'postgres',
      HOME: dir,
      SEGKIT_CACHE_DIR: join(dir, 'cache'),
      SEGKIT_OFFLINE: '1',
    };
    const exports: string[] = [];
    const ran: { line: string; ok: boolean; detail: string }[] = [];
    let last = '';
    for (const block of teamBlocks())
      for (const raw of block) {
        const line = mapped.reduce((l, [from, to]) => l.replaceAll(from, to), raw.trim());
        const expected = /^#\s*([[{].*)$/.exec(line)?.[1];
        if (expected) {
          expect(JSON.parse(last)).toMatchObject(JSON.parse(expected));
          continue;
        }
        if (line.startsWith('#')) continue;
        if (line.startsWith('export ') || /^[A-Z_]+=/.test(line)) {
          exports.push(line.startsWith('export ') ? line : `export ${line}`);
          continue;
        }
        if (/^segkit (serve|worker)\b/.test(line)) {
          // Started as a service would be: in the background, until it says it is ready.
          const child = spawn('bash', ['-c', [...exports, `exec ${line}`].join('\n')], {
            cwd: dir,
            env,
            stdio: ['ignore', 'ignore', 'pipe'],
          });
          background.push(child);
          let err = '';
          const up = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), 60_000);
            child.stderr!.on('data', (d) => {
              err += String(d);
              if (/SegKit server on http|segkit worker \S+: running jobs/.test(err)) {
                clearTimeout(timer);
                resolve(true);
              }
            });
            child.once('exit', () => resolve(false));
          });
          ran.push({ line, ok: up, detail: err.trim().split('\n').slice(-2).join(' | ') });
          continue;
        }
        // Run without blocking this process, which keeps reading what the background services print.
        const r = await run([...exports, line].join('\n'), { cwd: dir, env });
        last = r.stdout;
        ran.push({ line, ok: r.status === 0, detail: `exit ${r.status}: ${(r.stderr || r.stdout).trim()}` });
      }
    expect(ran.filter((r) => !r.ok)).toEqual([]);
    expect(ran.map((r) => r.line.split(' ').slice(0, 2).join(' '))).toEqual([
      'sudo apt-get',
      'sudo -u',
      'sudo -u',
      'sudo -u',
      'segkit serve',
      'segkit serve',
      'segkit worker',
      'curl -s',
      'curl -s',
      'segkit doctor',
    ]);
  }, 240_000);
});
