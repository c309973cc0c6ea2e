// Operations on a data directory: an online backup taken under writes restores to a database that passes doctor;
// doctor finds each kind of damage (and --fix repairs only what is safe); a restart sweeps a dead server's temp files.
import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeImage } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import { scene } from '../../models/test/helpers/shapes.js';
import { backupDatabase, build, doctor, restoreDatabase } from '../src/index.js';
import { multipart, server, testDatabase, tmp } from './helpers.js';

const DEAD_PID = 4_999_999; // above Linux's largest pid_max: never a live process

async function project(k = 0) {
  const s = await server();
  const p = (await s.client('POST', '/api/v1/projects', { name: 'P' })).json.id as number;
  const image = scene().image;
  image.data[0] = k;
  const up = multipart([{ name: 's.png', bytes: await encodeImage(image, 'png') }]);
  const img = (await s.client('POST', `/api/v1/projects/${p}/images`, up.body, up.headers)).json.images[0].id;
  return { ...s, p, img: img as number };
}

// Backup and restore copy the SQLite file; on PostgreSQL they are pg_dump's and pg_restore's (docs/deploy.md).
describe.skipIf(!!process.env.SEGKIT_TEST_POSTGRES_URL)('backup and restore', () => {
  it('a backup taken while annotations are being written restores to a database that passes doctor', async () => {
    const { app, client, img, dataDir } = await project();
    let written = 0;
    let stop = false;
    const writer = (async () => {
      while (!stop && written < 2000) {
        const r = await client('POST', `/api/v1/images/${img}/annotations`, {
          mode: 'inside_box',
          bbox: [1, 1, 5, 5],
        });
        expect(r.status).toBe(201);
        written++;
      }
    })();
    while (written < 50) await new Promise((r) => setTimeout(r, 5));
    const before = written;
    const file = join(tmp(), 'backup.db');
    await backupDatabase(dataDir, file);
    const after = written;
    stop = true;
    await writer;
    await app.close();
    expect(existsSync(`${file}.tmp`)).toBe(false);
    // Restore into a fresh directory beside a copy of the blobs, as an operator would.
    const fresh = tmp();
    cpSync(join(dataDir, 'blobs'), join(fresh, 'blobs'), { recursive: true });
    await restoreDatabase(fresh, file);
    const report = await doctor(fresh);
    expect(report.ok, JSON.stringify(report)).toBe(true);
    expect(report.integrity).toEqual(['ok']);
    const restored = await build({ dataDir: fresh, workers: 0 });
    const n = (
      await restored.inject({
        url: `/api/v1/images/${img}/annotations`,
        headers: {
          authorization: `Bearer ${(await import('node:fs')).readFileSync(join(dataDir, 'admin-token'), 'utf8').trim()}`,
        },
      })
    ).json().length as number;
    await restored.close();
    // Every write acknowledged before the backup began is in it; none after it ended could be.
    expect(n).toBeGreaterThanOrEqual(before);
    expect(n).toBeLessThanOrEqual(after + 1);
  });

  it('restore refuses a file that is not a SegKit database, and keeps the old database aside', async () => {
    const dir = tmp();
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'not sqlite at all');
    await expect(restoreDatabase(dir, junk)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(restoreDatabase(dir, join(dir, 'none.db'))).rejects.toMatchObject({
      code: 'E_FILE_NOT_FOUND',
    });
    const { app, dataDir } = await project();
    await app.close();
    const file = join(tmp(), 'b.db');
    await backupDatabase(dataDir, file);
    await restoreDatabase(dataDir, file);
    expect(existsSync(join(dataDir, 'segkit.db.before-restore'))).toBe(true);
    expect((await doctor(dataDir)).ok).toBe(true);
  });
});

describe('doctor', () => {
  it('finds missing, corrupt and orphaned blobs, stuck jobs and dead temp files; --fix removes only orphans and temps', async () => {
    const { app, client, dataDir, p } = await project();
    // A second image whose blob will go missing, a third whose bytes will rot.
    const ids: number[] = [];
    for (const k of [1, 2]) {
      const image = scene().image;
      image.data[0] = k;
      const up = multipart([{ name: `${k}.png`, bytes: await encodeImage(image, 'png') }]);
      ids.push((await client('POST', `/api/v1/projects/${p}/images`, up.body, up.headers)).json.images[0].id);
    }
    const sha = async (id: number) => (await client('GET', `/api/v1/images/${id}`)).json.sha256 as string;
    const [gone, rot] = [await sha(ids[0]!), await sha(ids[1]!)];
    await app.segkit.ctx.db
      .insertInto('job')
      .values({
        kind: 'export',
        params: '{}',
        state: 'running',
        lease_owner: `${(await import('node:os')).hostname()}:${DEAD_PID}`,
        lease_expires_at: new Date(Date.now() - 60_000).toISOString(),
        project_id: p,
      })
      .execute();
    // Damage through the server's own blob store (a folder, or the S3 bucket in the team run): one blob gone, one
    // rotten, one that nothing names.
    const store = app.segkit.ctx.blobs;
    await app.close();
    const stores = await testDatabase(dataDir);
    expect((await doctor(dataDir, stores)).stuckJobs).toHaveLength(1);
    await store.delete(gone);
    await store.putAt(rot, Buffer.from('rotten'));
    const orphanKey = await store.put(Buffer.from('an orphan'));
    mkdirSync(join(dataDir, 'blobs', orphanKey.slice(0, 2)), { recursive: true });
    const deadTemp = join(dataDir, 'blobs', orphanKey.slice(0, 2), `.x.tmp-${DEAD_PID}-deadbeef`);
    writeFileSync(deadTemp, 'half');
    mkdirSync(join(dataDir, 'tmp', `${DEAD_PID}-abc`), { recursive: true });
    const r = await doctor(dataDir, stores);
    expect(r.ok).toBe(false);
    expect(r.blobs.missing).toEqual([gone]);
    expect(r.blobs.corrupt).toEqual([rot]);
    expect(r.orphans).toEqual([orphanKey]);
    expect(r.stuckJobs.map((j) => j.kind)).toEqual(['export']);
    expect(r.temps.sort()).toEqual([
      `blobs/${orphanKey.slice(0, 2)}/.x.tmp-${DEAD_PID}-deadbeef`,
      `tmp/${DEAD_PID}-abc`,
    ]);
    const fixed = await doctor(dataDir, { fix: true, ...stores });
    expect(fixed.ok).toBe(false); // a missing and a corrupt blob cannot be fixed
    expect(fixed.tidy).toBe(false); // the stuck job waits for segkit serve
    expect(fixed.fixed).toHaveLength(3);
    expect(await store.has(orphanKey)).toBe(false);
    expect(existsSync(deadTemp)).toBe(false);
    expect(await store.has(rot)).toBe(true); // named by the database: reported, never removed
  });

  it('a restart removes the temporary files of a killed server and keeps those of live processes', async () => {
    const dataDir = tmp();
    mkdirSync(join(dataDir, 'blobs', 'ab'), { recursive: true });
    mkdirSync(join(dataDir, 'tmp', `${DEAD_PID}-export`), { recursive: true });
    writeFileSync(join(dataDir, 'blobs', 'ab', `.k.tmp-${DEAD_PID}-0123abcd`), 'x');
    writeFileSync(join(dataDir, 'blobs', 'ab', `.k.tmp-${process.pid}-0123abcd`), 'x');
    const app = await build({ dataDir, workers: 0, ...(await testDatabase(dataDir)) });
    await app.close();
    expect(readdirSync(join(dataDir, 'blobs', 'ab'))).toEqual([`.k.tmp-${process.pid}-0123abcd`]);
    expect(readdirSync(join(dataDir, 'tmp'))).toEqual([]);
  });
});
