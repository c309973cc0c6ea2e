import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeZip } from '@segkit/core';
import { readDataset } from '@segkit/datasets';
import { describe, expect, it } from 'vitest';
import { multipart, repo, server, tmp } from './helpers.js';

async function waitFor(c: Awaited<ReturnType<typeof server>>['client'], jobId: number) {
  for (let i = 0; i < 600; i++) {
    const j = (await c('GET', `/api/v1/jobs/${jobId}`)).json;
    if (['succeeded', 'partial', 'failed', 'cancelled'].includes(j.state)) return j;
    await sleep(50);
  }
  throw new Error(`job ${jobId} did not finish`);
}

describe('import and export', () => {
  it('imports a dataset from an import root as a job, and exports the project as a COCO zip that reads back', async () => {
    const roots = tmp();
    mkdirSync(join(roots, 'data'));
    const { client: c, app } = await server({ importRoots: [join(repo, 'examples/dataset'), roots] });
    const p = (await c('POST', '/api/v1/projects', { name: 'imported' })).json.id;
    const job = await c('POST', `/api/v1/projects/${p}/import`, {
      path: join(repo, 'examples/dataset/coco'),
    });
    expect(job.status).toBe(202);
    const done = await waitFor(c, job.json.id);
    expect(done).toMatchObject({ state: 'succeeded', result: { images: 8, annotations: 24 } });
    expect(
      (await c('GET', `/api/v1/projects/${p}`)).json.labels.map((l: { name: string }) => l.name).sort(),
    ).toEqual(['blue', 'green', 'red']);
    // A folder of plain images imports as images.
    const plain = await c('POST', `/api/v1/projects/${p}/import`, {
      path: join(repo, 'examples/dataset/masks/images'),
    });
    expect(await waitFor(c, plain.json.id)).toMatchObject({
      state: 'succeeded',
      result: { images: 8, annotations: 0 },
    });
    // Outside the roots, and the roots' own escape hatches, are refused with a code.
    for (const path of ['/etc', join(repo, 'examples/coffee.png'), join(repo, 'examples/dataset/../shapes')])
      expect((await c('POST', `/api/v1/projects/${p}/import`, { path })).json.error.code).toBe(
        'E_UNSAFE_PATH',
      );
    // A zip-slip archive inside a root is refused before any job starts.
    // Our own writer refuses such names, so the entry is renamed in the bytes: "aa/evil.txt" → "../evil.txt".
    const zipBytes = Buffer.from(
      encodeZip([{ name: 'aa/evil.txt', data: Buffer.from('x'), compress: false }]),
    );
    for (let i = zipBytes.indexOf('aa/evil.txt'); i >= 0; i = zipBytes.indexOf('aa/evil.txt', i + 1))
      zipBytes.write('../', i);
    writeFileSync(join(roots, 'data/slip.zip'), zipBytes);
    const slip = await c('POST', `/api/v1/projects/${p}/import`, { path: join(roots, 'data/slip.zip') });
    expect(slip.status).toBe(400);
    expect(slip.json.error.code).toMatch(/^E_(UNSAFE_PATH|ARCHIVE_UNSAFE)$/);
    const exp = await c('POST', `/api/v1/projects/${p}/export`, { format: 'coco' });
    expect((await waitFor(c, exp.json.id)).state).toBe('succeeded');
    const zip = await app.inject({
      url: `/api/v1/jobs/${exp.json.id}/download`,
      headers: { authorization: `Bearer ${app.segkit.adminToken}` },
    });
    expect(zip.headers['content-type']).toBe('application/zip');
    // streamed from the blob store with its size, so a browser shows the download's progress
    expect(Number(zip.headers['content-length'])).toBe(zip.rawPayload.length);
    const file = join(tmp(), 'export.zip');
    writeFileSync(file, zip.rawPayload);
    const ds = await readDataset(file);
    expect(ds.images).toHaveLength(8);
    expect(ds.annotations).toHaveLength(24);
    const original = await readDataset(join(repo, 'examples/dataset/coco'));
    expect(ds.annotations.map((a) => a.area).sort()).toEqual(original.annotations.map((a) => a.area).sort());
  });

  it('exports objects only: exemplar boxes are left out, or with includePrompts marked as prompts in their own categories', async () => {
    const { client: c, app } = await server();
    const p = (
      await c('POST', '/api/v1/projects', {
        name: 'prompts',
        settings: {
          models: {
            text: join(repo, 'fixtures/models/clipseg-fixture'),
            embed: join(repo, 'fixtures/models/clip-fixture'),
          },
        },
      })
    ).json.id;
    const { readFileSync } = await import('node:fs');
    const up = multipart([
      { name: 'img00.png', bytes: readFileSync(join(repo, 'examples/shapes/img00.png')) },
    ]);
    const img = (await c('POST', `/api/v1/projects/${p}/images`, up.body, up.headers)).json.images[0].id;
    await c('PATCH', `/api/v1/images/${img}`, { textPrompt: 'blue' });
    for (const [promptType, bbox] of [
      ['positive_exemplar', [10, 10, 20, 20]],
      ['negative_exemplar', [60, 60, 20, 20]],
    ] as const)
      expect(
        (await c('POST', `/api/v1/images/${img}/annotations`, { mode: 'find_all', promptType, bbox })).status,
      ).toBe(201);
    const job = (await c('POST', `/api/v1/projects/${p}/process`, { mode: 'find_all' })).json;
    expect((await waitFor(c, job.id)).state).toBe('succeeded');
    const found = (await c('GET', `/api/v1/images/${img}/annotations?mode=find_all&promptType=segment`)).json;
    expect(found.length).toBeGreaterThan(0);
    // The per-image COCO file: the found objects, not the two exemplar boxes.
    const coco = (await c('GET', `/api/v1/images/${img}/results/find_all/coco`)).json;
    expect(coco.annotations.map((a: { id: number }) => a.id).sort()).toEqual(
      found.map((a: { id: number }) => a.id).sort(),
    );
    expect(coco.annotations.every((a: { prompt_type: string }) => a.prompt_type === 'segment')).toBe(true);
    const zipOf = async (body: object) => {
      const exp = await c('POST', `/api/v1/projects/${p}/export`, body);
      expect((await waitFor(c, exp.json.id)).state).toBe('succeeded');
      const zip = await app.inject({
        url: `/api/v1/jobs/${exp.json.id}/download`,
        headers: { authorization: `Bearer ${app.segkit.adminToken}` },
      });
      const file = join(tmp(), 'export.zip');
      writeFileSync(file, zip.rawPayload);
      return readDataset(file);
    };
    const plain = await zipOf({ format: 'coco', mode: 'find_all' });
    expect(plain.annotations).toHaveLength(found.length);
    expect(plain.annotations.every((a) => a.promptType === 'segment')).toBe(true);
    const withPrompts = await zipOf({ format: 'coco', mode: 'find_all', includePrompts: true });
    const prompts = withPrompts.annotations.filter((a) => a.promptType !== 'segment');
    const category = (id: number) => withPrompts.categories.find((k) => k.id === id)!.name;
    expect(
      prompts.map((a) => [a.promptType, category(a.categoryId), a.attributes?.segkit_prompt]).sort(),
    ).toEqual([
      ['negative_exemplar', 'negative exemplar (prompt)', 'negative_exemplar'],
      ['positive_exemplar', 'positive exemplar (prompt)', 'positive_exemplar'],
    ]);
    const objects = withPrompts.annotations.filter((a) => a.promptType === 'segment');
    expect(objects.every((a) => !category(a.categoryId).includes('prompt'))).toBe(true);
    // YOLO and mask PNGs cannot mark a prompt: asking for them there is refused.
    const yolo = await c('POST', `/api/v1/projects/${p}/export`, { format: 'yolo', includePrompts: true });
    expect(yolo.status).toBe(400);
    expect(yolo.json.error.message).toMatch(/includePrompts needs the coco format/);
  });

  it('serves a cached thumbnail and lists the models with their status', async () => {
    const { client: c } = await server();
    const p = (await c('POST', '/api/v1/projects', { name: 't' })).json.id;
    const file = join(tmp(), 'coffee.png');
    copyFileSync(join(repo, 'examples/coffee.png'), file);
    const { readFileSync } = await import('node:fs');
    const up = multipart([{ name: 'coffee.png', bytes: readFileSync(file) }]);
    const img = (await c('POST', `/api/v1/projects/${p}/images`, up.body, up.headers)).json.images[0].id;
    const thumb = await c('GET', `/api/v1/images/${img}/thumbnail?size=128`);
    expect(thumb.res.headers['content-type']).toBe('image/jpeg');
    const sharp = (await import('sharp')).default;
    expect(await sharp(thumb.res.rawPayload).metadata()).toMatchObject({ width: 128, height: 85 });
    const again = await c('GET', `/api/v1/images/${img}/thumbnail?size=128`);
    expect(again.res.rawPayload.equals(thumb.res.rawPayload)).toBe(true);
    const models = (await c('GET', '/api/v1/models')).json as { name: string; status: string }[];
    expect(models.find((m) => m.name === 'sam')).toMatchObject({
      status: expect.stringMatching(/ready|missing/),
    });
    expect((await c('POST', '/api/v1/models/pull', { name: 'not a model!' })).json.error.code).toBe(
      'E_MODEL_UNKNOWN',
    );
  });
});
