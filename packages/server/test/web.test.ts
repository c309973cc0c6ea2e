// What the browser app needs of the server: the decoder graphs of a project's model, the newest analyze run as
// scatter points with lasso labelling, and the built app itself at / (with the app's own paths and gzip).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { maskToRle, rleToMask, writeMask } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import { colourScene } from '../../analytics/test/helpers/colour-images.js';
import { fixture, multipart, repo, server, tmp } from './helpers.js';

async function project(opts: Parameters<typeof server>[0] = {}) {
  const s = await server(opts);
  const p = await s.client('POST', '/api/v1/projects', { name: 'shapes' });
  const up = multipart([
    { name: 'img00.png', bytes: readFileSync(join(repo, 'examples/shapes/img00.png')) },
    { name: 'img01.png', bytes: readFileSync(join(repo, 'examples/shapes/img01.png')) },
  ]);
  const u = await s.client('POST', `/api/v1/projects/${p.json.id}/images`, up.body, up.headers);
  return {
    ...s,
    projectId: p.json.id as number,
    imageIds: u.json.images.map((i: { id: number }) => i.id) as number[],
  };
}

describe('decoder graphs for the browser', () => {
  it("lists the fixture SAM's two graphs (points, boxes) and serves their bytes; classic has none and says why", async () => {
    const { client: c, projectId } = await project();
    const info = await c('GET', `/api/v1/projects/${projectId}/decoder`);
    expect(info.status).toBe(200);
    expect(info.json).toMatchObject({ family: 'sam', browser: true, candidates: 3 });
    expect(info.json.graphs.map((g: { points: boolean; boxes: boolean }) => [g.points, g.boxes])).toEqual([
      [true, false],
      [false, true],
    ]);
    const bytes = await c('GET', `/api/v1/projects/${projectId}/decoder/1`);
    expect(bytes.status).toBe(200);
    expect(
      bytes.res.rawPayload.equals(
        readFileSync(fixture('sam-fixture/boxes/onnx/prompt_encoder_mask_decoder.onnx')),
      ),
    ).toBe(true);
    const missing = await c('GET', `/api/v1/projects/${projectId}/decoder/5`);
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe('E_NOT_FOUND');
    const classic = await c('GET', `/api/v1/projects/${projectId}/decoder?model=classic`);
    expect(classic.json).toMatchObject({ family: 'classic', browser: false, graphs: [] });
    expect(classic.json.reason).toMatch(/classic.*server/);
    const pair = await c(
      'GET',
      `/api/v1/projects/${projectId}/decoder?model=${encodeURIComponent(fixture('sam2-pair-fixture'))}`,
    );
    expect(pair.json.graphs).toMatchObject([{ layout: 'sam2-pair', points: true, boxes: true }]);
  });

  it('a model outside the allowed roots is refused, coded, as everywhere else', async () => {
    const { client: c, projectId } = await project();
    const r = await c('GET', `/api/v1/projects/${projectId}/decoder?model=/etc`);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(r.json.error.code).toMatch(/^E_/);
  });
});

/** Writes a tiny analyze run as the pipeline does: masks.jsonl and one PNG per mask. */
async function fakeRun(dataDir: string, projectId: number, imageIds: number[]) {
  const dir = join(dataDir, 'runs', `project-${projectId}`, 'runs', 'run-test');
  const rows = [];
  for (const [n, imageId] of imageIds.entries()) {
    const truth = colourScene(n).truth;
    for (const [k, mask] of [truth.red, truth.blue].entries()) {
      mkdirSync(join(dir, 'masks', `${imageId}-img0${n}`), { recursive: true });
      await writeMask(join(dir, 'masks', `${imageId}-img0${n}`, `${k}.png`), mask);
      rows.push({
        id: `${imageId}-img0${n}/${k}`,
        image: join(dataDir, 'runs', `project-${projectId}`, 'images', `${imageId}-img0${n}.png`),
        bbox: [0, 0, 1, 1],
        area: 1,
        score: 1,
        backend: 'sam',
        prompt: null,
        embedding: { file: 'x.npy', index: k },
        mask_umap: [n, k],
        mask_cluster: k,
      });
    }
  }
  writeFileSync(join(dir, 'masks.jsonl'), `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  return rows;
}

describe('analytics runs in the browser', () => {
  it('no run yet: an empty answer, and labelling is a coded 400', async () => {
    const { client: c, projectId } = await project();
    expect((await c('GET', `/api/v1/projects/${projectId}/analytics`)).json).toEqual({
      run: null,
      points: [],
    });
    const r = await c('POST', `/api/v1/projects/${projectId}/analytics/label`, { ids: ['a/0'], label: 'x' });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('E_INVALID_ARGUMENT');
  });

  it('points carry image, position and cluster; a lasso label makes annotations, a second one relabels them', async () => {
    const { client: c, projectId, imageIds, dataDir } = await project();
    const rows = await fakeRun(dataDir, projectId, imageIds);
    const run = await c('GET', `/api/v1/projects/${projectId}/analytics`);
    expect(run.json.run).toEqual({ name: 'run-test', masks: 4, clusters: 2 });
    expect(run.json.points[1]).toMatchObject({
      id: rows[1]!.id,
      imageId: imageIds[0],
      x: 0,
      y: 1,
      cluster: 1,
      label: null,
    });
    const ids = [rows[0]!.id, rows[3]!.id];
    const first = await c('POST', `/api/v1/projects/${projectId}/analytics/label`, { ids, label: 'thing' });
    expect(first.status).toBe(200);
    expect(first.json.labelled).toBe(2);
    const anns = (await c('GET', `/api/v1/images/${imageIds[0]}/annotations?label=thing`)).json;
    expect(anns).toHaveLength(1);
    expect(anns[0]).toMatchObject({ mode: 'inside_box', source: 'model', label: 'thing' });
    expect(rleToMask(anns[0].rle).data).toEqual(colourScene(0).truth.red.data);
    const again = await c('POST', `/api/v1/projects/${projectId}/analytics/label`, { ids, label: 'other' });
    expect(again.json.annotationIds).toEqual(first.json.annotationIds);
    expect((await c('GET', `/api/v1/images/${imageIds[0]}/annotations`)).json).toHaveLength(1);
    const points = (await c('GET', `/api/v1/projects/${projectId}/analytics`)).json.points;
    expect(points.map((p: { label: string | null }) => p.label)).toEqual(['other', null, null, 'other']);
    const bad = await c('POST', `/api/v1/projects/${projectId}/analytics/label`, {
      ids: ['nope/1'],
      label: 'x',
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain('nope/1');
  });

  it('a lasso over masks that are already annotations relabels them (IoU ≥ 0.9) instead of adding duplicates', async () => {
    const { client: c, projectId, imageIds, dataDir } = await project();
    const rows = await fakeRun(dataDir, projectId, imageIds);
    // The red shape of image 0 was annotated by hand (the same pixels but one), with no label.
    const red = colourScene(0).truth.red;
    const nearly = { ...red, data: red.data.slice() };
    nearly.data[nearly.data.indexOf(1)] = 0;
    const made = await c('POST', `/api/v1/images/${imageIds[0]}/annotations`, {
      mode: 'inside_box',
      bbox: [0, 0, 1, 1],
      rle: maskToRle(nearly),
    });
    expect(made.status).toBe(201);
    const r = await c('POST', `/api/v1/projects/${projectId}/analytics/label`, {
      ids: [rows[0]!.id, rows[1]!.id],
      label: 'red thing',
    });
    expect(r.json).toMatchObject({ labelled: 2, relabelled: 1, created: 1 });
    expect(r.json.annotationIds[0]).toBe(made.json.id);
    const anns = (await c('GET', `/api/v1/images/${imageIds[0]}/annotations?mode=inside_box`)).json;
    expect(anns.map((a: { id: number; label: string }) => [a.id === made.json.id, a.label])).toEqual([
      [true, 'red thing'],
      [false, 'red thing'],
    ]);
  });

  it('one mask as RLE, and one image’s masks as a zip', async () => {
    const { client: c, projectId, imageIds, dataDir } = await project();
    const rows = await fakeRun(dataDir, projectId, imageIds);
    const m = await c(
      'GET',
      `/api/v1/projects/${projectId}/analytics/mask?id=${encodeURIComponent(rows[2]!.id)}`,
    );
    expect(m.json.imageId).toBe(imageIds[1]);
    expect(m.json.rle).toEqual(maskToRle(colourScene(1).truth.red));
    const zip = await c('GET', `/api/v1/projects/${projectId}/analytics/zip?imageId=${imageIds[1]}`);
    expect(zip.status).toBe(200);
    expect(zip.res.headers['content-type']).toBe('application/zip');
    expect(zip.res.rawPayload.subarray(0, 2).toString()).toBe('PK');
    const none = await c('GET', `/api/v1/projects/${projectId}/analytics/zip?imageId=99999`);
    expect(none.status).toBe(404);
  });
});

describe('the built app at /', () => {
  it("serves index.html at / and at the app's own paths, assets gzipped when asked, and API misses as JSON", async () => {
    const web = tmp('segkit-web-');
    mkdirSync(join(web, 'assets'));
    writeFileSync(join(web, 'index.html'), '<!doctype html><div id="root"></div>');
    const js = 'console.log("segkit");'.repeat(50);
    writeFileSync(join(web, 'assets', 'app.js'), js);
    writeFileSync(join(web, 'assets', 'app.js.gz'), gzipSync(js));
    const { app, client: c } = await server({ webRoot: web });
    const home = await app.inject({ url: '/' });
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain('id="root"');
    const deep = await app.inject({ url: '/projects/3/images/4', headers: { accept: 'text/html' } });
    expect(deep.body).toContain('id="root"');
    const gz = await app.inject({ url: '/assets/app.js', headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.rawPayload.length).toBeLessThan(js.length);
    const miss = await c('GET', '/api/v1/nothing-here', undefined, { accept: 'text/html' });
    expect(miss.status).toBe(404);
    expect(miss.json.error.code).toBe('E_NOT_FOUND');
    const asset404 = await app.inject({ url: '/assets/missing.js' });
    expect(asset404.statusCode).toBe(404);
  });
});
