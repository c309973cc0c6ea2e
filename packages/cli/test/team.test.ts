// The CLI on the team set-up: `segkit serve --db --blobs`, `segkit users … --db` and `segkit doctor --db --blobs` on a
// throwaway PostgreSQL cluster and S3-protocol server.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Postgres,
  postgresAvailable,
  type S3,
  startPostgres,
  startS3,
} from '../../server/test/engines.js';
import { cli, repo, serve, tmp } from './helpers.js';

const built = existsSync(join(repo, 'packages/cli/dist/main.js'));

let postgres: Postgres;
let s3: S3;
beforeAll(async () => {
  if (postgresAvailable()) postgres = await startPostgres();
  s3 = await startS3();
}, 60_000);
afterAll(async () => {
  postgres?.stop();
  await s3?.stop();
});

describe.skipIf(!built || !postgresAvailable())('the CLI on the team set-up (--db, --blobs)', () => {
  it('serves from PostgreSQL and an S3 bucket: nothing in the data folder but the token, users added with --db log in, doctor is ok', async () => {
    const url = await postgres.createDatabase();
    const blobs = `s3://${await s3.createBucket()}/segkit`;
    const data = tmp();
    const ada = await cli('users', 'add', 'ada', '--role', 'annotator', '--data', data, '--db', url);
    expect(ada.code).toBe(0);
    const adaToken = ada.stdout.trim();
    const s = await serve([join(repo, 'examples/shapes'), '--data', data, '--db', url, '--blobs', blobs], {
      env: s3.env,
    });
    expect(s.stderr()).toMatch(/project shapes \(id 1\): 12 images, 12 new/);
    const get = (path: string, token: string) =>
      fetch(`${s.base}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
    const projects = (await (await get('/projects', s.token)).json()) as { id: number; name: string }[];
    expect(projects).toMatchObject([{ id: 1, name: 'shapes' }]);
    expect((await get('/projects', adaToken)).status).toBe(200); // ada's token, added through --db, is known
    expect(await s.stop()).toBe(143);
    // Everything went to PostgreSQL and the bucket.
    expect(readdirSync(data)).toEqual(['admin-token']);
    // Served again with both named by the environment: the project and its images are there.
    const again = await serve(['--data', data], {
      env: { ...s3.env, SEGKIT_DATABASE_URL: url, SEGKIT_BLOBS_URL: blobs },
    });
    const kept = await fetch(`${again.base}/api/v1/projects/1`, {
      headers: { authorization: `Bearer ${again.token}` },
    });
    expect(((await kept.json()) as { name: string }).name).toBe('shapes');
    const thumb = await fetch(`${again.base}/api/v1/images/1/file`, {
      headers: { authorization: `Bearer ${again.token}` },
    });
    expect([thumb.status, thumb.headers.get('content-type')]).toEqual([200, 'image/png']);
    expect(await again.stop()).toBe(143);
    Object.assign(process.env, s3.env);
    const doc = await cli('doctor', '--data', data, '--db', url, '--blobs', blobs);
    for (const k of Object.keys(s3.env)) delete process.env[k];
    expect(doc.code).toBe(0);
    expect(doc.stdout).toMatch(/integrity\s+ok/);
    expect(doc.stdout).toMatch(/blobs\s+12 checked, 0 missing, 0 corrupt/);
  }, 90_000);

  it('refuses a --db that is not a PostgreSQL URL, and db backup on PostgreSQL points to pg_dump', async () => {
    const bad = await cli('doctor', '--data', tmp(), '--db', 'mysql://x@localhost/db');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe(
      'segkit: E_USAGE: --db must be a PostgreSQL URL such as postgres://segkit@127.0.0.1:5432/segkit, not "mysql://x@localhost/db"',
    );
    process.env.SEGKIT_DATABASE_URL = 'postgres://segkit@127.0.0.1:1/none';
    try {
      const b = await cli('db', 'backup', join(tmp(), 'x.db'), '--data', tmp());
      expect(b.code).toBe(2);
      expect(b.stderr.trim()).toMatch(/E_USAGE: .*PostgreSQL database: use pg_dump -Fc/);
    } finally {
      delete process.env.SEGKIT_DATABASE_URL;
    }
  });

  it('db copy moves a SQLite data directory into PostgreSQL and a bucket; doctor passes on both sides; the server serves it', async () => {
    const data = tmp();
    const first = await serve([join(repo, 'examples/shapes'), '--data', data]);
    expect(await first.stop()).toBe(143);
    const url = await postgres.createDatabase();
    const blobs = `s3://${await s3.createBucket()}/segkit`;
    Object.assign(process.env, s3.env);
    try {
      const copy = await cli('db', 'copy', '--data', data, '--to', url, '--blobs', blobs);
      expect(copy.code).toBe(0);
      expect(copy.stdout).toMatch(
        /^copied \d+ rows in 13 tables and 12 of 12 blobs; counts and hashes match\n$/,
      );
      expect(copy.stderr).toMatch(/image: 12 rows/);
      const again = await cli('db', 'copy', '--data', data, '--to', url, '--blobs', blobs);
      expect(again.code).not.toBe(0);
      expect(again.stderr).toMatch(/^segkit: E_CONFLICT: The target database already has project rows/);
      for (const args of [
        ['--data', data],
        ['--data', data, '--db', url, '--blobs', blobs],
      ]) {
        const doc = await cli('doctor', ...args);
        expect(doc.code).toBe(0);
        expect(doc.stdout).toMatch(/blobs\s+12 checked, 0 missing, 0 corrupt/);
      }
    } finally {
      for (const k of Object.keys(s3.env)) delete process.env[k];
    }
    const moved = await serve(['--data', data, '--db', url, '--blobs', blobs], { env: s3.env });
    expect(moved.token).toBe(first.token); // the same admin token
    const projects = await fetch(`${moved.base}/api/v1/projects`, {
      headers: { authorization: `Bearer ${moved.token}` },
    });
    expect(await projects.json()).toMatchObject([{ id: 1, name: 'shapes' }]);
    const thumb = await fetch(`${moved.base}/api/v1/images/12/file`, {
      headers: { authorization: `Bearer ${moved.token}` },
    });
    expect([thumb.status, thumb.headers.get('content-type')]).toEqual([200, 'image/png']);
    expect(await moved.stop()).toBe(143);
  }, 120_000);
});
