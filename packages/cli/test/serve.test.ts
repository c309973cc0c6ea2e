import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repo, tmp } from './helpers.js';

const bin = join(repo, 'packages/cli/bin/segkit.js');
const built = existsSync(join(repo, 'packages/cli/dist/main.js'));

describe.skipIf(!built)('segkit serve (the installed binary)', () => {
  it('serves a folder as a project, prints its URL with the token, needs the token, and stops on SIGTERM with 143', async () => {
    const data = tmp();
    const child = spawn(
      process.execPath,
      [bin, 'serve', join(repo, 'examples/shapes'), '--data', data, '--port', '0'],
      {
        env: { ...process.env, SEGKIT_CACHE_DIR: tmp() },
      },
    );
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += String(d);
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${stderr}`)), 30_000);
      child.stderr.on('data', (d) => {
        stderr += String(d);
        const m = /Open (http:\/\/127\.0\.0\.1:\d+)\/\?token=(\S+)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(`${m[1]}|${m[2]}`);
        }
      });
    });
    const [base, token] = url.split('|') as [string, string];
    expect(stderr).toMatch(/project shapes \(id 1\): 12 images, 12 new/);
    const doc = (await (await fetch(`${base}/api/docs/json`)).json()) as { paths: Record<string, object> };
    expect(Object.keys(doc.paths)).toContain('/api/v1/images/{imageId}/segment');
    expect((await fetch(`${base}/api/v1/projects`)).status).toBe(401);
    const projects = await (
      await fetch(`${base}/api/v1/projects`, { headers: { authorization: `Bearer ${token}` } })
    ).json();
    expect(projects).toMatchObject([{ id: 1, name: 'shapes' }]);
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    expect(code).toBe(143);
    // One JSON log line per request, with a request id.
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(
      lines.filter((l) => l.msg === 'request' && l.url === '/api/v1/projects').map((l) => l.status),
    ).toEqual([401, 200]);
    expect(lines.find((l) => l.msg === 'request')).toHaveProperty('reqId');
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
    expect(
      (await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })).statusCode,
    ).toBe(401);
    await app.close();
  });
});
