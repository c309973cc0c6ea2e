import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { repo, serve, tmp } from './helpers.js';

const bin = join(repo, 'packages/cli/bin/segkit.js');
const built = existsSync(join(repo, 'packages/cli/dist/main.js'));

describe.skipIf(!built)('segkit serve (the installed binary)', () => {
  it('serves a folder as a project, prints its URL with the token, needs the token, and stops on SIGTERM with 143', async () => {
    const data = tmp();
    const { base, token, stop, stderr, stdout } = await serve([
      join(repo, 'examples/shapes'),
      '--data',
      data,
    ]);
    expect(stderr()).toMatch(/project shapes \(id 1\): 12 images, 12 new/);
    // No --model and no SAM in the cache: the server says that clicks fall back to classic, and how to get SAM.
    expect(stderr()).toMatch(
      /SAM is not downloaded, so clicks use the offline classic backend.*segkit models pull sam/,
    );
    const doc = (await (await fetch(`${base}/api/docs/json`)).json()) as { paths: Record<string, object> };
    expect(Object.keys(doc.paths)).toContain('/api/v1/images/{imageId}/segment');
    expect((await fetch(`${base}/api/v1/projects`)).status).toBe(401);
    const projects = await (
      await fetch(`${base}/api/v1/projects`, { headers: { authorization: `Bearer ${token}` } })
    ).json();
    expect(projects).toMatchObject([{ id: 1, name: 'shapes' }]);
    expect(await stop()).toBe(143);
    // A port in use is a one-line coded error, not a stack trace.
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const busy = (blocker.address() as { port: number }).port;
    const second = spawnSync(process.execPath, [bin, 'serve', '--data', data, '--port', String(busy)], {
      encoding: 'utf8',
    });
    blocker.close();
    expect(second.status).toBe(2);
    expect(second.stderr.trim().split('\n').at(-1)).toBe(
      `segkit: E_INVALID_ARGUMENT: Port ${busy} on 127.0.0.1 is in use: pick another with --port`,
    );
    // One JSON log line per request, with a request id.
    const lines = stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(
      lines.filter((l) => l.msg === 'request' && l.url === '/api/v1/projects').map((l) => l.status),
    ).toEqual([401, 200]);
    expect(lines.find((l) => l.msg === 'request')).toHaveProperty('reqId');
  }, 60_000);

  it('--model and --find-model (the docs/web.md SAM 3 command) become the project’s models', async () => {
    const fx = (n: string) => join('fixtures/models', n);
    const { base, token, stop } = await serve(
      [
        'examples/shapes',
        '--data',
        tmp(),
        '--model',
        fx('sam3-tracker-fixture'),
        '--find-model',
        fx('sam3-fixture'),
      ],
      { cwd: repo },
    );
    const models = await (
      await fetch(`${base}/api/v1/projects/1/models`, { headers: { authorization: `Bearer ${token}` } })
    ).json();
    expect(models.segment).toMatchObject({
      ref: fx('sam3-tracker-fixture'),
      from: 'server',
      status: 'ready',
    });
    expect(models.find).toMatchObject({
      ref: fx('sam3-fixture'),
      from: 'server',
      status: 'ready',
      test: true,
    });
    await stop();
  }, 60_000);
});

describe('segkit users', () => {
  it('adds a user with a role and prints a token that the server accepts; revoke makes it 401', async () => {
    const { cli } = await import('./helpers.js');
    const { build } = await import('@segkit/server');
    const data = tmp();
    const added = await cli('users', 'add', 'ada', '--role', 'annotator', '--data', data);
    expect(added.code).toBe(0);
    const token = added.stdout.trim();
    expect(token).toMatch(/^[\w-]{20,}$/);
    expect((await cli('users', 'add', 'bob', '--role', 'boss', '--data', data)).stderr).toMatch(
      /^segkit: E_INVALID_ARGUMENT: --role must be one of admin, annotator, viewer/,
    );
    const list = await cli('users', 'list', '--data', data, '--json');
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({ name: 'ada', role: 'annotator', tokens: 1 }),
    ]);
    const app = await build({ dataDir: data });
    const me = await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
    expect(me.json()).toMatchObject({ name: 'ada', role: 'annotator' });
    expect((await cli('users', 'revoke', 'ada', '--data', data)).stderr).toBe('revoked 1 token of ada\n');
    await sleep(1100); // token lookups are cached for a second

    expect(
      (await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })).statusCode,
    ).toBe(401);
    await app.close();
  });
});

describe.skipIf(!built)('segkit serve survives kill -9 in the middle of a job', () => {
  it('resumes the job after a restart: one result per image, no duplicate annotations, an intact database', async () => {
    const { writeFileSync, mkdirSync } = await import('node:fs');
    const { encodeImage } = await import('@segkit/core');
    const { colourScene } = await import('../../analytics/test/helpers/colour-images.js');
    const { build, integrityCheck } = await import('@segkit/server');
    const N = 20;
    const photos = join(tmp(), 'photos');
    mkdirSync(photos);
    for (let i = 0; i < N; i++)
      writeFileSync(
        join(photos, `p${String(i).padStart(2, '0')}.png`),
        await encodeImage(colourScene(i).image, 'png'),
      );
    const data = tmp();
    const cache = tmp();
    const fx = (n: string) => join(repo, 'fixtures/models', n);
    const start = async () => {
      const child = spawn(
        process.execPath,
        [
          bin,
          'serve',
          photos,
          '--data',
          data,
          '--port',
          '0',
          '--model',
          fx('sam-fixture'),
          '--model-root',
          join(repo, 'fixtures/models'),
        ],
        {
          env: { ...process.env, SEGKIT_CACHE_DIR: cache },
        },
      );
      let err = '';
      const base = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL: ${err}`)), 30_000);
        child.stderr.on('data', (d) => {
          err += String(d);
          const m = /Open (http:\/\/127\.0\.0\.1:\d+)\//.exec(err);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
      });
      return { child, base };
    };
    const exited = (child: ReturnType<typeof spawn>) => new Promise<void>((r) => child.on('exit', () => r()));
    const { readFileSync } = await import('node:fs');
    let server = await start();
    const token = readFileSync(join(data, 'admin-token'), 'utf8').trim();
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.base}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      // biome-ignore lint/suspicious/noExplicitAny: the test reads whatever JSON each route answers
      return res.json() as Promise<any>;
    };
    await api('PATCH', '/projects/1', {
      settings: { models: { text: fx('clipseg-fixture'), embed: fx('clip-fixture') } },
    });
    const images = (await api('GET', '/projects/1/images?limit=100')).items as { id: number }[];
    expect(images).toHaveLength(N);
    for (const img of images) await api('PATCH', `/images/${img.id}`, { textPrompt: 'blue' });
    const job = await api('POST', '/projects/1/process', { mode: 'find_all' });
    let done = 0;
    for (let i = 0; i < 3000 && done < 3; i++) {
      await sleep(10);
      done = (await api('GET', `/jobs/${job.id}`)).done;
    }
    expect(done).toBeGreaterThanOrEqual(3);
    expect(done).toBeLessThan(N); // killed mid-job
    const killed = exited(server.child);
    server.child.kill('SIGKILL');
    await killed;
    server = await start();
    let final: { state?: string; done?: number; attempts: number } = { attempts: 0 };
    for (let i = 0; i < 1200; i++) {
      final = await api('GET', `/jobs/${job.id}`);
      if (final.state === 'succeeded' || final.state === 'failed') break;
      await sleep(50);
    }
    expect(final).toMatchObject({ state: 'succeeded', done: N, total: N });
    expect(final.attempts).toBeGreaterThanOrEqual(2);
    const stopped = exited(server.child);
    server.child.kill('SIGTERM');
    await stopped;
    const app = await build({ dataDir: data, workers: 0 });
    const db = app.segkit.ctx.db;
    const results = await db
      .selectFrom('processing_result')
      .select(['image_id', 'status'])
      .where('mode', '=', 'find_all')
      .execute();
    expect(results).toHaveLength(N);
    expect(new Set(results.map((r) => r.image_id)).size).toBe(N);
    expect(results.every((r) => r.status === 'done')).toBe(true);
    const perImage = await db
      .selectFrom('annotation')
      .select(['image_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('mode', '=', 'find_all')
      .where('source', '=', 'model')
      .groupBy('image_id')
      .execute();
    expect(perImage).toHaveLength(N);
    expect(perImage.every((r) => Number(r.n) === 1)).toBe(true); // no duplicates from the redone item
    const items = await db.selectFrom('job_item').select('item').where('job_id', '=', job.id).execute();
    expect(items).toHaveLength(N);
    expect(await integrityCheck(db)).toEqual(['ok']);
    await app.close();
  }, 180_000);
});
