// Recipes on the server: mined from a project's labelled masks by a job that streams progress; listed, exported and
// imported again; applied to an image as model-made find-all annotations (applying again replaces them, never adds);
// applied by the CLI library to the same image with the same detections; a cascade; a processing batch.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyRecipe, FindRunner, prepareRecipe, readRecipe } from '@segkit/recipes';
import { beforeAll, describe, expect, it } from 'vitest';
import { recipeDataset } from '../../recipes/test/helpers/shapes.js';
import { fixture, multipart, server } from './helpers.js';

let s: Awaited<ReturnType<typeof server>>;
let projectId: number;
let images: { id: number; fileName: string }[];
let data: string;
let redRecipe: number;
let jobText = '';

async function waitJob(id: number) {
  for (let i = 0; i < 1200; i++) {
    const j = (await s.client('GET', `/api/v1/jobs/${id}`)).json;
    if (['succeeded', 'failed', 'partial', 'cancelled'].includes(j.state)) return j;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${id} did not finish`);
}

beforeAll(async () => {
  s = await server();
  data = await recipeDataset(24);
  const coco = JSON.parse(readFileSync(join(data, 'annotations.json'), 'utf8'));
  const p = await s.client('POST', '/api/v1/projects', {
    name: 'shapes',
    labels: [
      { name: 'red square', colour: '#d02828' },
      { name: 'green rectangle', colour: '#28aa46' },
      { name: 'blue disc', colour: '#283cc8' },
      { name: 'red', colour: '#ff0000' },
    ],
    settings: { models: { find: fixture('sam3-fixture'), embed: fixture('clip-fixture') } },
  });
  projectId = p.json.id;
  const up = multipart(
    coco.images.map((i: { file_name: string }) => ({
      name: i.file_name,
      bytes: readFileSync(join(data, 'images', i.file_name)),
    })),
  );
  images = (await s.client('POST', `/api/v1/projects/${projectId}/images`, up.body, up.headers)).json.images;
  const names = new Map<number, string>(
    coco.categories.map((c: { id: number; name: string }) => [c.id, c.name]),
  );
  for (const a of coco.annotations) {
    const file = coco.images.find((i: { id: number }) => i.id === a.image_id).file_name;
    const imageId = images.find((i) => i.fileName === file)!.id;
    const r = await s.client('POST', `/api/v1/images/${imageId}/annotations`, {
      mode: 'inside_box',
      label: names.get(a.category_id),
      bbox: a.bbox,
      rle: a.segmentation,
    });
    expect(r.status).toBe(201);
  }
  const job = await s.client('POST', `/api/v1/projects/${projectId}/recipes/mine`, {
    classes: ['red square'],
    prompts: { 'red square': ['orange', 'blue'] },
    val: 0.25,
  });
  expect(job.status).toBe(202);
  expect(job.json.kind).toBe('mine-recipes');
  const address = await s.app.listen({ port: 0, host: '127.0.0.1' });
  const res = await fetch(`${address}/api/v1/jobs/${job.json.id}/events`, {
    headers: { authorization: `Bearer ${s.app.segkit.adminToken}` },
  });
  jobText = await res.text();
  const done = await waitJob(job.json.id);
  expect(done.state, JSON.stringify(done)).toBe('succeeded');
  redRecipe = done.result.recipes['red square'];
}, 240_000);

describe('recipes on the server', () => {
  it('the mining job streams each stage and ends with its report', async () => {
    expect(jobText).toMatch(/red square \(1\/1\): crops/);
    expect(jobText).toMatch(/red square \(1\/1\): validation \d+\/\d+/);
    expect(jobText).toMatch(/event: finished/);
    const list = (await s.client('GET', `/api/v1/projects/${projectId}/recipes`)).json.recipes;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      id: redRecipe,
      name: 'red square',
      className: 'red square',
      mode: 'greedy',
      filter: 'crops',
      backend: 'sam3',
    });
    expect(list[0].scores.coverage).toBeGreaterThanOrEqual(0.9);
    expect(list[0].prompts).not.toContain('blue');
  });

  it('apply writes model-made find-all annotations named after the recipe, and applying again replaces them', async () => {
    const img = images[3]!.id;
    // A user's own find-all annotation and a plain box stay.
    const mine = await s.client('POST', `/api/v1/images/${img}/annotations`, {
      mode: 'find_all',
      label: 'red',
      bbox: [1, 1, 4, 4],
    });
    expect(mine.status).toBe(201);
    const first = await s.client('POST', `/api/v1/images/${img}/recipes/apply`, { recipe: redRecipe });
    expect(first.status, JSON.stringify(first.json)).toBe(200);
    expect(first.json.annotations.length).toBeGreaterThan(0);
    for (const a of first.json.annotations)
      expect(a).toMatchObject({
        mode: 'find_all',
        source: 'model',
        label: 'red square',
        model: 'recipe:red square',
      });
    const again = await s.client('POST', `/api/v1/images/${img}/recipes/apply`, { recipe: redRecipe });
    expect(again.json.annotations.length).toBe(first.json.annotations.length);
    const all = (await s.client('GET', `/api/v1/images/${img}/annotations?mode=find_all`)).json;
    const list = Array.isArray(all) ? all : all.annotations;
    expect(list.filter((a: { model: string }) => a.model === 'recipe:red square')).toHaveLength(
      first.json.annotations.length,
    );
    expect(list.some((a: { id: number }) => a.id === mine.json.id)).toBe(true);
    // classAs renames; a class outside the label set is refused and says how to fix it.
    const renamed = await s.client('POST', `/api/v1/images/${img}/recipes/apply`, {
      recipe: redRecipe,
      classAs: 'red',
    });
    expect(renamed.json.annotations.every((a: { label: string }) => a.label === 'red')).toBe(true);
    const stray = await s.client('POST', `/api/v1/images/${img}/recipes/apply`, {
      recipe: redRecipe,
      classAs: 'wood',
    });
    expect(stray.status).toBe(400);
    expect(stray.json.error.message).toMatch(/classAs/);
  });

  it('export → import round-trips, and the CLI library applies the exported ZIP with the same detections', async () => {
    const zip = await s.app.inject({
      method: 'GET',
      url: `/api/v1/recipes/${redRecipe}/zip`,
      headers: { authorization: `Bearer ${s.app.segkit.adminToken}` },
    });
    expect(zip.statusCode).toBe(200);
    expect(zip.headers['content-type']).toBe('application/zip');
    const bytes = zip.rawPayload;
    const q = (await s.client('POST', '/api/v1/projects', { name: 'other' })).json.id;
    const up = multipart([{ name: 'red-square.zip', bytes }]);
    const imported = await s.client('POST', `/api/v1/projects/${q}/recipes`, up.body, up.headers);
    expect(imported.status).toBe(201);
    expect(imported.json).toMatchObject({ name: 'red square', className: 'red square' });
    // The same image through the library with the project's models: identical detections.
    const img = images[5]!;
    const served = (await s.client('POST', `/api/v1/images/${img.id}/recipes/apply`, { recipe: redRecipe }))
      .json.annotations;
    const runner = new FindRunner({ find: fixture('sam3-fixture'), embed: fixture('clip-fixture') });
    const loaded = await prepareRecipe(await readRecipe(bytes), runner);
    const local = await applyRecipe(loaded, runner, join(data, 'images', img.fileName));
    expect(served.map((a: { rle: unknown; score: number }) => [a.rle, a.score.toFixed(4)])).toEqual(
      local.map((d) => [d.rle, Math.min(1, d.score).toFixed(4)]),
    );
    // A file that is not a recipe is refused, with nothing stored.
    const bad = multipart([{ name: 'x.zip', bytes: Buffer.from('not a zip') }]);
    const refused = await s.client('POST', `/api/v1/projects/${q}/recipes`, bad.body, bad.headers);
    expect(refused.status).toBe(400);
    expect(refused.json.error.code).toBe('E_RECIPE_INVALID');
    expect((await s.client('GET', `/api/v1/projects/${q}/recipes`)).json.recipes).toHaveLength(1);
    const del = await s.client('DELETE', `/api/v1/recipes/${imported.json.id}`);
    expect(del.status).toBe(204);
    expect((await s.client('GET', `/api/v1/projects/${q}/recipes`)).json.recipes).toHaveLength(0);
    // The first project's recipe (the same bytes) is still there and still exports.
    expect((await s.client('GET', `/api/v1/recipes/${redRecipe}/zip`)).status).toBe(200);
  });

  it('a cascade and a processing batch apply recipes too', async () => {
    const img = images[7]!.id;
    const c = await s.client('POST', `/api/v1/images/${img}/recipes/cascade`, {
      steps: [
        { recipe: redRecipe, classAs: 'red', group: 'g' },
        { recipe: redRecipe, group: 'g' },
      ],
    });
    expect(c.status, JSON.stringify(c.json)).toBe(200);
    // The second step finds the same squares: cross-class de-duplication keeps the first step's.
    expect(c.json.annotations.length).toBeGreaterThan(0);
    expect(c.json.annotations.every((a: { label: string }) => a.label === 'red')).toBe(true);
    const job = await s.client('POST', `/api/v1/projects/${projectId}/process`, {
      mode: 'find_all',
      imageIds: [images[8]!.id, images[9]!.id],
      recipe: redRecipe,
    });
    expect(job.status).toBe(202);
    const done = await waitJob(job.json.id);
    expect(done.state).toBe('succeeded');
    for (const id of [images[8]!.id, images[9]!.id]) {
      const all = (await s.client('GET', `/api/v1/images/${id}/annotations?mode=find_all`)).json;
      const list = Array.isArray(all) ? all : all.annotations;
      expect(list.some((a: { model: string }) => a.model === 'recipe:red square')).toBe(true);
    }
    const wrongMode = await s.client('POST', `/api/v1/projects/${projectId}/process`, {
      mode: 'inside_box',
      recipe: redRecipe,
    });
    expect(wrongMode.status).toBe(400);
  });

  it('the project’s own recipes only: another project’s recipe id is refused', async () => {
    const q = (await s.client('POST', '/api/v1/projects', { name: 'third' })).json.id;
    const up = multipart([{ name: 'p.png', bytes: readFileSync(join(data, 'images', images[0]!.fileName)) }]);
    const other = (await s.client('POST', `/api/v1/projects/${q}/images`, up.body, up.headers)).json.images[0]
      .id;
    const r = await s.client('POST', `/api/v1/images/${other}/recipes/apply`, { recipe: redRecipe });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toMatch(/another project/);
  });
});
