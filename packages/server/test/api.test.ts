import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeImage, iou, rleToMask } from '@segkit/core';
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { scene } from '../../models/test/helpers/shapes.js';
import { build } from '../src/index.js';
import { client, fixture, multipart, repo, server, testDatabase, tmp } from './helpers.js';

const { image, truth } = scene();

async function projectWithImage() {
  const s = await server();
  const p = await s.client('POST', '/api/v1/projects', {
    name: 'shapes',
    labels: [
      { name: 'red', colour: '#d22828' },
      { name: 'blue', colour: '#283cc8' },
    ],
  });
  const up = multipart([{ name: 'scene.png', bytes: await encodeImage(image, 'png') }]);
  const u = await s.client('POST', `/api/v1/projects/${p.json.id}/images`, up.body, up.headers);
  return { ...s, projectId: p.json.id as number, imageId: u.json.images[0].id as number, upload: u };
}

describe('the SegKit server API', () => {
  it('needs a token: none or a wrong one is 401 with a coded error body', async () => {
    const { app } = await server();
    for (const token of [undefined, 'wrong']) {
      const r = await client(app, token)('GET', '/api/v1/projects');
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ error: { code: 'E_UNAUTHORIZED', message: expect.stringMatching(/token/) } });
    }
    // The printed URL sets the token as a cookie, which then authorises API calls.
    const visit = await app.inject({ url: `/?token=${app.segkit.adminToken}` });
    expect(visit.statusCode).toBe(302);
    const cookie = String(visit.headers['set-cookie']).split(';')[0]!;
    expect(cookie).toMatch(/^segkit_token=/);
    expect((await app.inject({ url: '/api/v1/projects', headers: { cookie } })).statusCode).toBe(200);
  });

  it('creates, lists, updates and deletes projects', async () => {
    const { client: c } = await server();
    const p = await c('POST', '/api/v1/projects', {
      name: 'cups',
      labels: [{ name: 'cup', colour: '#ff0000' }],
    });
    expect(p.status).toBe(201);
    expect(p.json).toMatchObject({
      name: 'cups',
      labels: [{ name: 'cup', colour: '#ff0000' }],
      settings: {},
    });
    expect((await c('GET', '/api/v1/projects')).json.map((x: { name: string }) => x.name)).toEqual(['cups']);
    const u = await c('PATCH', `/api/v1/projects/${p.json.id}`, {
      settings: { models: { segment: 'sam2-tiny' } },
    });
    expect(u.json.settings).toEqual({ models: { segment: 'sam2-tiny' } });
    expect((await c('DELETE', `/api/v1/projects/${p.json.id}`)).status).toBe(204);
    expect((await c('GET', `/api/v1/projects/${p.json.id}`)).json.error.code).toBe('E_NOT_FOUND');
  });

  it('uploads images, sniffing the type and keeping one copy of the same bytes', async () => {
    const { client: c, projectId, imageId, upload } = await projectWithImage();
    expect(upload.status).toBe(201);
    expect(upload.json).toMatchObject({
      created: 1,
      images: [{ width: 400, height: 300, fileName: 'scene.png' }],
    });
    const again = multipart([{ name: 'copy.png', bytes: await encodeImage(image, 'png') }]);
    const dup = await c('POST', `/api/v1/projects/${projectId}/images`, again.body, again.headers);
    expect(dup.json).toMatchObject({ created: 0, images: [{ id: imageId }] });
    const list = await c('GET', `/api/v1/projects/${projectId}/images`);
    expect(list.json).toMatchObject({
      total: 1,
      items: [
        {
          id: imageId,
          status: { inside_box: 'none', find_all: 'none' },
          annotations: { inside_box: 0, find_all: 0 },
        },
      ],
    });
    const file = await c('GET', `/api/v1/images/${imageId}/file`);
    expect(file.res.headers['content-type']).toBe('image/png');
    expect(file.res.rawPayload.equals(await encodeImage(image, 'png'))).toBe(true);
    expect(Number(file.res.headers['content-length'])).toBe(file.res.rawPayload.length);
    const text = multipart([{ name: 'notes.png', bytes: Buffer.from('not an image at all') }]);
    expect(
      (await c('POST', `/api/v1/projects/${projectId}/images`, text.body, text.headers)).json.error.code,
    ).toBe('E_IMAGE_UNSUPPORTED');
    // Two photos and a text file together: the photos are added, the text file is reported with its reason.
    const mixed = multipart([
      { name: 'a.png', bytes: await encodeImage(image, 'png') },
      { name: 'readme.txt', bytes: Buffer.from('just words') },
      { name: 'b.jpg', bytes: await encodeImage(image, 'jpeg') },
    ]);
    const some = await c('POST', `/api/v1/projects/${projectId}/images`, mixed.body, mixed.headers);
    expect(some.status).toBe(201);
    expect(some.json.added.map((i: { fileName: string }) => i.fileName)).toEqual(['scene.png', 'b.jpg']);
    expect(some.json.created).toBe(1); // a.png has scene.png's bytes
    expect(some.json.rejected).toEqual([
      {
        file: 'readme.txt',
        code: 'E_IMAGE_UNSUPPORTED',
        message: expect.stringMatching(/readme\.txt is not an image/),
      },
    ]);
    expect((await c('GET', `/api/v1/projects/${projectId}/images`)).json.total).toBe(2);
    // No image at all: 400, every file named.
    const none = multipart([
      { name: 'x.txt', bytes: Buffer.from('one') },
      { name: 'y.txt', bytes: Buffer.from('two') },
    ]);
    const bad = await c('POST', `/api/v1/projects/${projectId}/images`, none.body, none.headers);
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/x\.txt.*y\.txt/);
  });

  it('keeps annotations per mode; a stale version gets 409, never a silent overwrite', async () => {
    const { client: c, imageId } = await projectWithImage();
    const a = await c('POST', `/api/v1/images/${imageId}/annotations`, {
      mode: 'inside_box',
      label: 'red',
      bbox: [40, 50, 100, 90],
    });
    expect(a.status).toBe(201);
    expect(a.json).toMatchObject({
      mode: 'inside_box',
      promptType: 'segment',
      source: 'user',
      version: 1,
      createdBy: 'admin',
    });
    await c('POST', `/api/v1/images/${imageId}/annotations`, {
      mode: 'find_all',
      promptType: 'positive_exemplar',
      bbox: [250, 30, 100, 100],
    });
    const byMode = await c('GET', `/api/v1/images/${imageId}/annotations?mode=inside_box`);
    expect(byMode.json.map((x: { mode: string }) => x.mode)).toEqual(['inside_box']);
    const [one, two] = await Promise.all([
      c('PATCH', `/api/v1/annotations/${a.json.id}`, { label: 'blue' }, { 'if-match': '1' }),
      c('PATCH', `/api/v1/annotations/${a.json.id}`, { label: 'red' }, { 'if-match': '1' }),
    ]);
    expect([one.status, two.status].sort()).toEqual([200, 409]);
    expect([one, two].find((r) => r.status === 409)!.json.error.code).toBe('E_CONFLICT');
    expect((await c('PATCH', `/api/v1/annotations/${a.json.id}`, { label: 'red' })).status).toBe(400); // If-Match is required
    expect((await c('GET', `/api/v1/images/${imageId}`)).json.annotations).toEqual({
      inside_box: 1,
      find_all: 1,
    });
  });

  it('a bulk save of 500 labelled annotations runs a handful of statements, not one per item, and still refuses a label not in its set', async () => {
    const s = await projectWithImage();
    const ctx = s.app.segkit.ctx as { db: Kysely<unknown> };
    const statements: string[] = [];
    ctx.db = ctx.db.withPlugin({
      transformQuery: (args) => {
        statements.push(args.node.kind);
        return args.node;
      },
      transformResult: async (args) => args.result,
    });
    const annotations = Array.from({ length: 500 }, (_, i) => ({
      mode: 'inside_box',
      label: i % 2 ? 'red' : 'blue',
      bbox: [i % 300, 10, 20, 20],
    }));
    const put = await s.client('PUT', `/api/v1/images/${s.imageId}/annotations?mode=inside_box`, {
      annotations,
    });
    expect(put.status).toBe(200);
    expect(put.json).toHaveLength(500);
    // The image, the project's labels, the delete and the insert: a handful of statements, not one per annotation.
    expect(statements.length).toBeLessThan(10);
    const bad = await s.client('PUT', `/api/v1/images/${s.imageId}/annotations?mode=inside_box`, {
      annotations: [...annotations, { mode: 'inside_box', label: 'green', bbox: [1, 1, 5, 5] }],
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/green.*not in the project's label set \(red, blue\)/);
    expect((await s.client('GET', `/api/v1/images/${s.imageId}`)).json.annotations.inside_box).toBe(500);
  });

  it('keeps everything across a restart, masks byte for byte', async () => {
    const { app, client: c, dataDir, imageId } = await projectWithImage();
    const seg = await c('POST', `/api/v1/images/${imageId}/segment`, {
      points: [{ x: 300, y: 80, label: 1 }],
    });
    const rle = seg.json.candidates[0].rle;
    const saved = await c('POST', `/api/v1/images/${imageId}/annotations`, {
      mode: 'inside_box',
      label: 'blue',
      rle,
    });
    await app.close();
    const again = await build({ dataDir, ...(await testDatabase(dataDir)) });
    const c2 = client(again, again.segkit.adminToken);
    const list = await c2('GET', `/api/v1/images/${imageId}/annotations`);
    expect(list.json).toEqual([saved.json]);
    expect(list.json[0].rle).toEqual(rle);
    await again.close();
  });

  it('segments with a click, a box or both, returning COCO RLE masks', async () => {
    const { client: c, imageId } = await projectWithImage();
    const click = await c('POST', `/api/v1/images/${imageId}/segment`, {
      points: [{ x: 300, y: 80, label: 1 }],
      multimask: true,
    });
    expect(click.status).toBe(200);
    expect(click.json.candidates).toHaveLength(3);
    expect(iou(rleToMask(click.json.candidates[0].rle), truth.blue!)).toBeGreaterThanOrEqual(0.9);
    const box = await c('POST', `/api/v1/images/${imageId}/segment`, { box: [30, 40, 120, 110] });
    expect(iou(rleToMask(box.json.candidates[0].rle), truth.redA!)).toBeGreaterThanOrEqual(0.9);
    const both = await c('POST', `/api/v1/images/${imageId}/segment`, {
      box: [30, 40, 120, 110],
      points: [{ x: 90, y: 95, label: 1 }],
    });
    expect(both.json.error.code).toBe('E_PROMPT_UNSUPPORTED'); // SlimSAM's point and box decoders are separate
    const other = await c('POST', `/api/v1/images/${imageId}/segment`, {
      points: [{ x: 300, y: 80, label: 1 }],
      model: fixture('sam2-fixture'),
    });
    expect(other.json.model).toBe(fixture('sam2-fixture'));
    const outside = await c('POST', `/api/v1/images/${imageId}/segment`, {
      points: [{ x: 500, y: 80, label: 1 }],
    });
    expect(outside).toMatchObject({ status: 400, json: { error: { code: 'E_PROMPT_OUT_OF_BOUNDS' } } });
  });

  it('answers malformed requests with a coded 4xx, never a 5xx', async () => {
    const { client: c, projectId, imageId } = await projectWithImage();
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/api/v1/projects', '{"name": ', 400, 'E_JSON_INVALID'],
      ['POST', '/api/v1/projects', { name: 5 }, 400, 'E_INVALID_ARGUMENT'],
      ['POST', '/api/v1/projects', { name: '' }, 400, 'E_INVALID_ARGUMENT'],
      [
        'POST',
        '/api/v1/projects',
        { name: 'x', labels: [{ name: 'a', colour: 'red' }] },
        400,
        'E_INVALID_ARGUMENT',
      ],
      ['POST', '/api/v1/projects', { name: 'x', extra: 1 }, 400, 'E_INVALID_ARGUMENT'],
      ['GET', '/api/v1/projects/abc', undefined, 400, 'E_INVALID_ARGUMENT'],
      ['GET', '/api/v1/projects/99999', undefined, 404, 'E_NOT_FOUND'],
      ['GET', '/api/v1/images/99999', undefined, 404, 'E_NOT_FOUND'],
      ['GET', '/api/v1/nothing-here', undefined, 404, 'E_NOT_FOUND'],
      [
        'POST',
        `/api/v1/images/${imageId}/annotations`,
        { mode: 'inside_box', bbox: [-1, 0, 10, 10] },
        400,
        'E_INVALID_ARGUMENT',
      ],
      [
        'POST',
        `/api/v1/images/${imageId}/annotations`,
        { mode: 'inside_box', bbox: [390, 0, 20, 10] },
        400,
        'E_INVALID_ARGUMENT',
      ],
      [
        'POST',
        `/api/v1/images/${imageId}/annotations`,
        { mode: 'inside_box', bbox: [0, 0, 0, 10] },
        400,
        'E_INVALID_ARGUMENT',
      ],
      [
        'POST',
        `/api/v1/images/${imageId}/annotations`,
        { mode: 'sideways', bbox: [0, 0, 5, 5] },
        400,
        'E_INVALID_ARGUMENT',
      ],
      [
        'POST',
        `/api/v1/images/${imageId}/annotations`,
        { mode: 'inside_box', label: 'green', bbox: [0, 0, 5, 5] },
        400,
        'E_INVALID_ARGUMENT',
      ],
      [
        'POST',
        `/api/v1/images/${imageId}/annotations`,
        { mode: 'inside_box', rle: { size: [10, 10], counts: '0' } },
        400,
        'E_INVALID_ARGUMENT',
      ],
      [
        'POST',
        `/api/v1/images/${imageId}/annotations`,
        { mode: 'inside_box', rle: { size: [300, 400], counts: '!!!' } },
        400,
        'E_RLE_INVALID',
      ],
      ['POST', `/api/v1/images/${imageId}/annotations`, { mode: 'inside_box' }, 400, 'E_INVALID_ARGUMENT'],
      ['POST', `/api/v1/images/${imageId}/segment`, { points: [] }, 400, 'E_INVALID_ARGUMENT'],
      [
        'POST',
        `/api/v1/images/${imageId}/segment`,
        { points: [{ x: 'NaN', y: 1, label: 1 }] },
        400,
        'E_INVALID_ARGUMENT',
      ],
      [
        'POST',
        `/api/v1/images/${imageId}/segment`,
        { points: [{ x: 1e308, y: 1, label: 1 }] },
        400,
        'E_INVALID_ARGUMENT',
      ],
      [
        'POST',
        `/api/v1/images/${imageId}/segment`,
        { points: [{ x: 1, y: 1, label: 2 }] },
        400,
        'E_INVALID_ARGUMENT',
      ],
      ['POST', `/api/v1/images/${imageId}/segment`, { box: [0, 0, 10] }, 400, 'E_INVALID_ARGUMENT'],
      ['POST', `/api/v1/images/${imageId}/segment`, { model: 'no-such-model' }, 400, 'E_MODEL_UNKNOWN'],
      ['POST', `/api/v1/projects/${projectId}/images`, { not: 'multipart' }, 400, 'E_INVALID_ARGUMENT'],
      ['POST', '/api/v1/projects', JSON.stringify({ name: 'x'.repeat(2000) }), 400, 'E_INVALID_ARGUMENT'],
    ];
    for (const [method, url, body, status, code] of cases) {
      const headers: Record<string, string> =
        typeof body === 'string' ? { 'content-type': 'application/json' } : {};
      const r = await c(method as 'GET', url, body, headers);
      expect({ url, body, status: r.status, code: r.json?.error?.code }).toEqual({ url, body, status, code });
    }
  });

  it('serves Prometheus metrics whose counters move with requests and inference', async () => {
    process.env.SEGKIT_CACHE_DIR = tmp('segkit-cache-'); // an empty encoder cache: the first prompt encodes
    const { app, client: c, imageId } = await projectWithImage();
    /** Parses Prometheus text: every sample line is `name{labels} value`; returns name{labels} → value. */
    const scrape = async () => {
      const res = await app.inject({ url: '/metrics' });
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      const samples = new Map<string, number>();
      for (const line of res.body.split('\n')) {
        if (!line || line.startsWith('#')) continue;
        const m = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (-?[\d.e+-]+|NaN|Nan|\+Inf|-Inf)$/.exec(line);
        expect(m, line).not.toBeNull();
        samples.set(m![1]!, Number(m![2]));
      }
      return samples;
    };
    const key = 'segkit_http_requests_total{method="GET",route="/api/v1/projects",status="200"}';
    const before = (await scrape()).get(key) ?? 0;
    await c('GET', '/api/v1/projects');
    await c('GET', '/api/v1/projects');
    await c('POST', `/api/v1/images/${imageId}/segment`, { points: [{ x: 300, y: 80, label: 1 }] });
    await c('POST', `/api/v1/images/${imageId}/segment`, { points: [{ x: 90, y: 95, label: 1 }] });
    const after = await scrape();
    expect(after.get(key)).toBe(before + 2);
    const model = fixture('sam-fixture');
    expect(after.get(`segkit_inference_duration_seconds_count{kind="segment",model="${model}"}`)).toBe(2);
    expect(after.get(`segkit_encoder_runs{model="${model}"}`)).toBe(1);
    expect(after.get(`segkit_embedding_cache_hits{model="${model}"}`)).toBe(1);
    expect(after.get('segkit_process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('serves an OpenAPI document that lists every route', async () => {
    const { app } = await server();
    const doc = (await app.inject({ url: '/api/docs/json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    // It validates against the OpenAPI specification (swagger-parser's schema and semantic checks).
    const SwaggerParser = (await import('@apidevtools/swagger-parser')).default;
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeTruthy();
    const routes = Object.entries(doc.paths as Record<string, object>).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    // Every registered /api/v1 route is in the document (with :param written {param}).
    expect(app.segkit.routes.length).toBeGreaterThan(40);
    for (const r of app.segkit.routes) expect(routes).toContain(r.replace(/:(\w+)/g, '{$1}'));
    expect(readFileSync(join(repo, 'docs/errors.md'), 'utf8')).toContain('E_CONFLICT');
  });
});
