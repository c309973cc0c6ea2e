// Classifier heads on the server: a train-head job on the project's own labelled boxes, streaming each epoch's
// metrics; heads listed; one activated without a restart, after which classify answers from it (and says so).
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { colourBoxDataset } from '../../analytics/test/helpers/colour-boxes.js';
import { doctor } from '../src/maintenance.js';
import { client, fixture, jobEvents, multipart, server, testDatabase, tmp } from './helpers.js';

async function labelledProject() {
  const s = await server();
  const data = await colourBoxDataset(20);
  const coco = JSON.parse(readFileSync(join(data, 'annotations.json'), 'utf8'));
  const names = new Map<number, string>(
    coco.categories.map((c: { id: number; name: string }) => [c.id, c.name]),
  );
  const p = await s.client('POST', '/api/v1/projects', {
    name: 'colours',
    labels: [...names.values()].map((name) => ({ name, colour: '#808080' })),
    settings: { models: { embed: fixture('clip-fixture') } },
  });
  const projectId = p.json.id as number;
  const up = multipart(
    coco.images.map((i: { file_name: string }) => ({
      name: i.file_name,
      bytes: readFileSync(join(data, 'images', i.file_name)),
    })),
  );
  const images = (await s.client('POST', `/api/v1/projects/${projectId}/images`, up.body, up.headers)).json
    .images as { id: number; fileName: string }[];
  const idOf = new Map(
    coco.images.map((i: { id: number; file_name: string }) => [
      i.id,
      images.find((x) => x.fileName === i.file_name)!.id,
    ]),
  );
  const anns: { imageId: number; label: string; bbox: number[] }[] = [];
  for (const a of coco.annotations) {
    const ann = { imageId: idOf.get(a.image_id) as number, label: names.get(a.category_id)!, bbox: a.bbox };
    await s.client('POST', `/api/v1/images/${ann.imageId}/annotations`, {
      mode: 'inside_box',
      label: ann.label,
      bbox: ann.bbox,
    });
    anns.push(ann);
  }
  return { ...s, projectId, anns };
}

describe('classifier heads on the server', () => {
  it('trains from the project’s labels with per-epoch events, lists the head, activates it, and classify uses it', async () => {
    const { app, client: c, projectId, anns } = await labelledProject();
    // Before any head: zero-shot, and it says so.
    const before = await c('POST', `/api/v1/images/${anns[0]!.imageId}/classify`, { box: anns[0]!.bbox });
    expect(before.json).toMatchObject({ source: 'zero-shot', head: null });
    const job = await c('POST', `/api/v1/projects/${projectId}/heads`, { name: 'colours', epochs: 40 });
    expect(job.status).toBe(202);
    expect(job.json.kind).toBe('train-head');
    try {
      const { text, epochs } = await jobEvents(app, job.json.id);
      expect(epochs.length).toBeGreaterThan(1);
      expect(epochs[0]).toMatch(
        /^epoch 1: loss [\d.]+, train accuracy [\d.]+, val loss [\d.]+, val accuracy [\d.]+, val macro-F1/,
      );
      expect(text).toMatch(/event: finished/);
      // The epochs counted in the progress give way to the job's own count: a finished job reads 100%.
      const done = (await c('GET', `/api/v1/jobs/${job.json.id}`)).json;
      expect([done.state, done.done, done.total]).toEqual(['succeeded', 1, 1]);
    } finally {
      await app.close();
    }
  });

  it('a finished head is listed; activating it switches classify to it at once; null goes back to zero-shot', async () => {
    const { app, client: c, projectId, anns } = await labelledProject();
    const job = await c('POST', `/api/v1/projects/${projectId}/heads`, { name: 'colours' });
    for (let i = 0; i < 200; i++) {
      const j = (await c('GET', `/api/v1/jobs/${job.json.id}`)).json;
      if (j.state === 'succeeded' || j.state === 'failed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const done = (await c('GET', `/api/v1/jobs/${job.json.id}`)).json;
    expect(done.state).toBe('succeeded');
    expect(done.result.metrics.valAccuracy).toBeGreaterThanOrEqual(0.95);
    const list = (await c('GET', `/api/v1/projects/${projectId}/heads`)).json;
    expect(list.active).toBeNull();
    expect(list.heads).toHaveLength(1);
    expect(list.heads[0]).toMatchObject({
      name: 'colours',
      labels: ['blue', 'green', 'purple', 'red', 'yellow'],
      dim: 16,
      active: false,
    });
    const missing = await c('PUT', `/api/v1/projects/${projectId}/heads/active`, { name: 'nope' });
    expect(missing.status).toBe(404);
    expect((await c('PUT', `/api/v1/projects/${projectId}/heads/active`, { name: 'colours' })).json).toEqual({
      active: 'colours',
    });
    let right = 0;
    for (const a of anns.slice(0, 12)) {
      const r = (await c('POST', `/api/v1/images/${a.imageId}/classify`, { box: a.bbox })).json;
      expect(r).toMatchObject({ source: 'head', head: 'colours' });
      if (r.ranked[0].label === a.label) right++;
    }
    expect(right).toBeGreaterThanOrEqual(11);
    const forced = await c('POST', `/api/v1/images/${anns[0]!.imageId}/classify`, {
      box: anns[0]!.bbox,
      zeroShot: true,
    });
    expect(forced.json.source).toBe('zero-shot');
    await c('PUT', `/api/v1/projects/${projectId}/heads/active`, { name: null });
    const after = await c('POST', `/api/v1/images/${anns[0]!.imageId}/classify`, { box: anns[0]!.bbox });
    expect(after.json.source).toBe('zero-shot');
    const bad = await c('POST', `/api/v1/projects/${projectId}/heads`, { name: '../escape' });
    expect(bad.status).toBe(400);
    await app.close();
  });

  it('a head is kept in the blob store: another replica (its own data directory) uses it, and a retrain reaches every replica', async () => {
    const a = await labelledProject();
    const train = async (c: typeof a.client, epochs: number) => {
      const job = await c('POST', `/api/v1/projects/${a.projectId}/heads`, { name: 'colours', epochs });
      for (let i = 0; i < 300; i++) {
        const j = (await c('GET', `/api/v1/jobs/${job.json.id}`)).json;
        if (j.state === 'succeeded' || j.state === 'failed') return j;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    expect((await train(a.client, 30)).state).toBe('succeeded');
    const team = process.env.SEGKIT_TEST_POSTGRES_URL !== undefined;
    // The other process: a second replica on the same database and bucket (team run), else the same server started
    // again after its data directory lost the heads folder; either way no local copy of the head.
    if (!team) {
      await a.app.close();
      rmSync(join(a.dataDir, 'heads'), { recursive: true, force: true });
    }
    const other = team
      ? await server({ dataDir: tmp(), ...(await testDatabase(a.dataDir)) })
      : await server({ dataDir: a.dataDir });
    // A replica on a database whose admin token another server made has none of its own: it takes that one.
    const b = { ...other, client: client(other.app, a.app.segkit.adminToken) };
    const listed = (await b.client('GET', `/api/v1/projects/${a.projectId}/heads`)).json;
    expect(listed.heads.map((h: { name: string }) => h.name)).toEqual(['colours']);
    await b.client('PUT', `/api/v1/projects/${a.projectId}/heads/active`, { name: 'colours' });
    const r = (
      await b.client('POST', `/api/v1/images/${a.anns[0]!.imageId}/classify`, { box: a.anns[0]!.bbox })
    ).json;
    expect([r.source, r.head, r.ranked[0].label]).toEqual(['head', 'colours', a.anns[0]!.label]);
    const report = await doctor(b.dataDir, await testDatabase(a.dataDir));
    expect(report.ok).toBe(true);
    expect(report.orphans).toEqual([]); // the head's blobs are named by the database, never swept as orphans
    if (team) {
      // Retrained through B: A's copy is made again from the new blobs.
      const first = listed.heads[0].createdAt as string;
      expect((await train(b.client, 10)).state).toBe('succeeded');
      const again = (await a.client('GET', `/api/v1/projects/${a.projectId}/heads`)).json;
      expect(again.heads[0].createdAt > first).toBe(true);
      await a.app.close();
    }
    await b.app.close();
  });
});
