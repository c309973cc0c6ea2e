// `segkit db copy`: a SQLite data directory moved into PostgreSQL and an S3 bucket serves the same project.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { extractZip } from '@segkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, type SegkitApp } from '../src/app.js';
import { issueToken } from '../src/auth.js';
import { copyDatabase } from '../src/db-copy.js';
import { doctor } from '../src/maintenance.js';
import { type Postgres, postgresAvailable, type S3, startPostgres, startS3 } from './engines.js';
import { client, fixture, multipart, repo, tmp } from './helpers.js';

let postgres: Postgres;
let s3: S3;
beforeAll(async () => {
  if (!postgresAvailable()) return;
  [postgres, s3] = await Promise.all([startPostgres(), startS3()]);
  Object.assign(process.env, s3.env);
}, 60_000);
afterAll(async () => {
  for (const k of Object.keys(s3?.env ?? {})) delete process.env[k];
  postgres?.stop();
  await s3?.stop();
});

const models = { defaultSegmentModel: fixture('sam-fixture'), modelRoots: [join(repo, 'fixtures/models')] };

async function finished(c: ReturnType<typeof client>, id: number) {
  for (let i = 0; i < 600; i++) {
    const j = (await c('GET', `/api/v1/jobs/${id}`)).json;
    if (['succeeded', 'partial', 'failed', 'cancelled'].includes(j.state)) return j;
    await sleep(50);
  }
  throw new Error(`job ${id} did not finish`);
}

/** The project's COCO export, as the bytes of the zip the download route serves. */
async function exportOf(app: SegkitApp, projectId: number): Promise<Buffer> {
  const c = client(app, app.segkit.adminToken);
  const job = (await c('POST', `/api/v1/projects/${projectId}/export`, { format: 'coco' })).json;
  expect((await finished(c, job.id)).state).toBe('succeeded');
  const zip = await app.inject({
    url: `/api/v1/jobs/${job.id}/download`,
    headers: { authorization: `Bearer ${app.segkit.adminToken}` },
  });
  return zip.rawPayload;
}

/** A zip's files by name, byte for byte; the manifest without its `createdAt` (the time of the export). */
async function entriesOf(zip: Buffer): Promise<Record<string, string>> {
  const file = join(tmp(), 'export.zip');
  writeFileSync(file, zip);
  const dir = join(tmp(), 'x');
  await extractZip(file, dir);
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) continue;
    const bytes = readFileSync(path);
    out[name] =
      name === 'manifest.json'
        ? JSON.stringify({ ...JSON.parse(bytes.toString()), createdAt: undefined })
        : bytes.toString('base64');
  }
  return out;
}

describe.skipIf(!postgresAvailable())('db copy: SQLite and a blob folder into PostgreSQL and S3', () => {
  it('copies every table and blob; the PostgreSQL server serves the same export; a second copy is refused', async () => {
    const dataDir = tmp();
    const sqlite = await build({ dataDir, ...models });
    const c = client(sqlite, sqlite.segkit.adminToken);
    const p = (
      await c('POST', '/api/v1/projects', { name: 'moving', labels: [{ name: 'red', colour: '#d22828' }] })
    ).json;
    const files = [0, 1, 2].map((i) => ({
      name: `img0${i}.png`,
      bytes: readFileSync(join(repo, 'examples/shapes', `img0${i}.png`)),
    }));
    const up = multipart(files);
    const images = (await c('POST', `/api/v1/projects/${p.id}/images`, up.body, up.headers)).json.images;
    for (const img of images) {
      await c('POST', `/api/v1/images/${img.id}/annotations`, {
        mode: 'inside_box',
        label: 'red',
        bbox: [20, 20, 90, 70],
      });
      await c('POST', `/api/v1/images/${img.id}/annotations`, {
        mode: 'find_all',
        label: 'red',
        bbox: [5, 5, 30, 30],
      });
    }
    const job = (await c('POST', `/api/v1/projects/${p.id}/process`, { mode: 'inside_box' })).json;
    expect((await finished(c, job.id)).state).toBe('succeeded');
    await issueToken(sqlite.segkit.ctx.db, 'ada', 'annotator');
    const before = await exportOf(sqlite, p.id);
    const token = sqlite.segkit.adminToken;
    await sqlite.close();

    const to = await postgres.createDatabase();
    const blobs = `s3://${await s3.createBucket()}/blobs`;
    const lines: string[] = [];
    // 4 rows a page: the larger tables take several pages, and every row must still arrive once.
    const r = await copyDatabase(dataDir, { to, blobs, onProgress: (l) => lines.push(l), batchRows: 4 });
    expect(r.tables).toMatchObject({
      project: 1,
      image: 3,
      annotation: 6,
      processing_result: 3,
      job: 2,
      user: 2,
    });
    expect(r.blobs.total).toBeGreaterThanOrEqual(3 + 3 + 1); // images, COCO files, the export
    expect(r.blobs.written).toBe(r.blobs.total);
    expect(lines).toContain('annotation: 6 rows');

    // Run again (as after an interruption once the blobs were written): the target is in use now, so it is refused.
    await expect(copyDatabase(dataDir, { to, blobs })).rejects.toMatchObject({ code: 'E_CONFLICT' });

    const team = await build({ dataDir, databaseUrl: to, blobs, ...models });
    try {
      expect(team.segkit.adminToken).toBe(token); // the same admin token logs in
      const after = await exportOf(team, p.id);
      expect(await entriesOf(after)).toEqual(await entriesOf(before));
      // New rows number on from the copied ids.
      const made = await client(team, token)('POST', '/api/v1/projects', { name: 'after the move' });
      expect(made.json.id).toBe(p.id + 1);
    } finally {
      await team.close();
    }
    for (const report of [await doctor(dataDir), await doctor(dataDir, { databaseUrl: to, blobs })])
      expect(report).toMatchObject({ ok: true, integrity: ['ok'], blobs: { missing: [], corrupt: [] } });
  }, 120_000);

  it('a copy whose blobs were partly written before it stopped writes only the rest', async () => {
    const dataDir = tmp();
    const sqlite = await build({ dataDir, ...models });
    const c = client(sqlite, sqlite.segkit.adminToken);
    const p = (await c('POST', '/api/v1/projects', { name: 'half' })).json;
    const up = multipart(
      [0, 1, 2, 3].map((i) => ({
        name: `img0${i}.png`,
        bytes: readFileSync(join(repo, 'examples/shapes', `img0${i}.png`)),
      })),
    );
    await c('POST', `/api/v1/projects/${p.id}/images`, up.body, up.headers);
    await sqlite.close();
    const blobs = `s3://${await s3.createBucket()}/blobs`;
    // An interrupted run: the blobs of a first attempt are there, its database transaction never committed.
    const first = await copyDatabase(dataDir, { to: await postgres.createDatabase(), blobs });
    const again = await copyDatabase(dataDir, { to: await postgres.createDatabase(), blobs });
    expect(first.blobs.written).toBe(4);
    expect(again.blobs).toEqual({ total: 4, written: 0 });
    const refused = await copyDatabase(tmp(), { to: await postgres.createDatabase() }).catch((e) => e);
    expect(refused.code).toBe('E_FILE_NOT_FOUND');
  }, 60_000);
});
