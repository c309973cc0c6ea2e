// Every route × every kind of caller: no token, a viewer, an annotator (both members of the project), an admin, and
// an annotator who is a member of another project only (who must see 404, never 403, so that ids do not leak).
import { encodeImage } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import { scene } from '../../models/test/helpers/shapes.js';
import { addMember, addUser } from '../src/repo/users.js';
import { client, fixture, multipart, server } from './helpers.js';
import { recipeZip } from './recipe-zip.js';

type Who = 'none' | 'viewer' | 'annotator' | 'admin' | 'other';
const WHO: Who[] = ['none', 'viewer', 'annotator', 'admin', 'other'];

describe('who may call what', () => {
  it('answers every route with the status the caller’s role and membership give', async () => {
    process.env.SEGKIT_OFFLINE = '1'; // the pull job this test starts must not reach for the network
    const { app, client: admin } = await server();
    const db = app.segkit.ctx.db;
    const p = (
      await admin('POST', '/api/v1/projects', {
        name: 'P',
        labels: [
          { name: 'red', colour: '#ff0000' },
          { name: 'blue', colour: '#0000ff' },
        ],
        settings: { models: { text: fixture('clipseg-fixture'), embed: fixture('clip-fixture') } },
      })
    ).json.id as number;
    const q = (await admin('POST', '/api/v1/projects', { name: 'Q' })).json.id as number;
    const tokens: Record<Who, string | undefined> = {
      none: undefined,
      viewer: await addUser(db, 'vera', 'viewer'),
      annotator: await addUser(db, 'ann', 'annotator'),
      admin: app.segkit.adminToken,
      other: await addUser(db, 'otto', 'annotator'),
    };
    await addMember(db, p, 'vera');
    await addMember(db, p, 'ann');
    await addMember(db, q, 'otto');
    const png = await encodeImage(scene().image, 'png');
    const up = multipart([{ name: 's.png', bytes: png }]);
    const img = (await admin('POST', `/api/v1/projects/${p}/images`, up.body, up.headers)).json.images[0]
      .id as number;
    const newAnnotation = async () =>
      (await admin('POST', `/api/v1/images/${img}/annotations`, { mode: 'inside_box', bbox: [1, 1, 5, 5] }))
        .json as {
        id: number;
        version: number;
      };
    const ann = { mode: 'inside_box', bbox: [40, 50, 100, 90] };
    // A recipe of project P (imported by the admin), and a fresh one for each caller who may delete one.
    const importRecipe = async (name: string) => {
      const up = multipart([{ name: `${name}.zip`, bytes: recipeZip(name, fixture('clip-fixture')) }]);
      return (await admin('POST', `/api/v1/projects/${p}/recipes`, up.body, up.headers)).json.id as number;
    };
    const recipe = await importRecipe('red');
    type Row = [
      string,
      string,
      (w: Who) => Promise<{ body?: unknown; headers?: Record<string, string>; url?: string }>,
      Record<Who, number>,
    ];
    const same = (body?: unknown) => async () => ({ body });
    const rows: Row[] = [
      ['GET', '/api/v1/me', same(), { none: 401, viewer: 200, annotator: 200, admin: 200, other: 200 }],
      ['GET', '/api/v1/projects', same(), { none: 401, viewer: 200, annotator: 200, admin: 200, other: 200 }],
      [
        'POST',
        '/api/v1/projects',
        same({ name: 'new' }),
        { none: 401, viewer: 403, annotator: 201, admin: 201, other: 201 },
      ],
      [
        'GET',
        `/api/v1/projects/${p}`,
        same(),
        { none: 401, viewer: 200, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'PATCH',
        `/api/v1/projects/${p}`,
        same({ name: 'P' }),
        { none: 401, viewer: 403, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'GET',
        `/api/v1/projects/${p}/members`,
        same(),
        { none: 401, viewer: 200, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'POST',
        `/api/v1/projects/${p}/members`,
        same({ user: 'vera' }),
        { none: 401, viewer: 403, annotator: 403, admin: 200, other: 404 },
      ],
      ['GET', '/api/v1/users', same(), { none: 401, viewer: 403, annotator: 403, admin: 200, other: 403 }],
      [
        'GET',
        `/api/v1/projects/${p}/images`,
        same(),
        { none: 401, viewer: 200, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'POST',
        `/api/v1/projects/${p}/images`,
        async () => up,
        { none: 401, viewer: 403, annotator: 201, admin: 201, other: 404 },
      ],
      [
        'GET',
        `/api/v1/images/${img}`,
        same(),
        { none: 401, viewer: 200, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'GET',
        `/api/v1/images/${img}/file`,
        same(),
        { none: 401, viewer: 200, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'PATCH',
        `/api/v1/images/${img}`,
        same({ textPrompt: 'red' }),
        { none: 401, viewer: 403, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'GET',
        `/api/v1/images/${img}/annotations`,
        same(),
        { none: 401, viewer: 200, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'POST',
        `/api/v1/images/${img}/annotations`,
        same(ann),
        { none: 401, viewer: 403, annotator: 201, admin: 201, other: 404 },
      ],
      [
        'PUT',
        `/api/v1/images/${img}/annotations?mode=find_all`,
        same({ annotations: [] }),
        { none: 401, viewer: 403, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'PATCH',
        '/api/v1/annotations/:a',
        async () => {
          const a = await newAnnotation();
          return {
            url: `/api/v1/annotations/${a.id}`,
            body: { label: null },
            headers: { 'if-match': String(a.version) },
          };
        },
        { none: 401, viewer: 403, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'DELETE',
        '/api/v1/annotations/:a',
        async () => ({ url: `/api/v1/annotations/${(await newAnnotation()).id}` }),
        { none: 401, viewer: 403, annotator: 204, admin: 204, other: 404 },
      ],
      [
        'POST',
        `/api/v1/images/${img}/segment`,
        same({ points: [{ x: 300, y: 80, label: 1 }] }),
        { none: 401, viewer: 200, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'POST',
        `/api/v1/images/${img}/refine-box`,
        same({ box: [30, 40, 120, 110] }),
        { none: 401, viewer: 200, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'POST',
        `/api/v1/images/${img}/point-to-box`,
        same({ x: 300, y: 80 }),
        { none: 401, viewer: 200, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'POST',
        `/api/v1/images/${img}/text`,
        same({ prompts: ['red'] }),
        { none: 401, viewer: 200, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'POST',
        `/api/v1/images/${img}/panoptic`,
        same({ model: fixture('detr-fixture') }),
        { none: 401, viewer: 200, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'POST',
        `/api/v1/images/${img}/classify`,
        same({ box: [250, 30, 100, 100] }),
        { none: 401, viewer: 200, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'POST',
        `/api/v1/images/${img}/preload`,
        same({}),
        { none: 401, viewer: 200, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'GET',
        `/api/v1/images/${img}/embedding`,
        same(),
        { none: 401, viewer: 200, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'GET',
        `/api/v1/projects/${p}/heads`,
        same(),
        { none: 401, viewer: 200, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'POST',
        `/api/v1/projects/${p}/heads`,
        same({ name: 'h', epochs: 1 }),
        { none: 401, viewer: 403, annotator: 202, admin: 202, other: 404 },
      ],
      [
        'POST',
        `/api/v1/projects/${p}/text-models`,
        same({ name: 't', prompts: { red: ['segment red'] }, epochs: 1 }),
        { none: 401, viewer: 403, annotator: 202, admin: 202, other: 404 },
      ],
      [
        'PUT',
        `/api/v1/projects/${p}/heads/active`,
        same({ name: null }),
        { none: 401, viewer: 403, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'GET',
        `/api/v1/projects/${p}/decoder`,
        same(),
        { none: 401, viewer: 200, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'GET',
        `/api/v1/projects/${p}/decoder/0`,
        same(),
        { none: 401, viewer: 200, annotator: 200, admin: 200, other: 404 },
      ],
      // The fixture's decoder keeps its weights inside the graph: no side file 0 for anyone, 404 either way.
      [
        'GET',
        `/api/v1/projects/${p}/decoder/0/data/0`,
        same(),
        { none: 401, viewer: 404, annotator: 404, admin: 404, other: 404 },
      ],
      [
        'GET',
        `/api/v1/projects/${p}/analytics`,
        same(),
        { none: 401, viewer: 200, annotator: 200, admin: 200, other: 404 },
      ],
      // No analyze run yet: members are told to start one (400), others learn nothing (404).
      [
        'GET',
        `/api/v1/projects/${p}/analytics/mask?id=a/0`,
        same(),
        { none: 401, viewer: 400, annotator: 400, admin: 400, other: 404 },
      ],
      [
        'GET',
        `/api/v1/projects/${p}/analytics/zip?imageId=${img}`,
        same(),
        { none: 401, viewer: 400, annotator: 400, admin: 400, other: 404 },
      ],
      [
        'POST',
        `/api/v1/projects/${p}/analytics/label`,
        same({ ids: ['a/0'], label: 'red' }),
        { none: 401, viewer: 403, annotator: 400, admin: 400, other: 404 },
      ],
      [
        'GET',
        `/api/v1/images/${img}/thumbnail`,
        same(),
        { none: 401, viewer: 200, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'POST',
        `/api/v1/images/${img}/find-all`,
        same({ text: 'blue' }),
        { none: 401, viewer: 403, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'GET',
        `/api/v1/images/${img}/results/find_all/coco`,
        same(),
        { none: 401, viewer: 404, annotator: 404, admin: 404, other: 404 },
      ],
      [
        'GET',
        `/api/v1/images/${img}/results`,
        same(),
        { none: 401, viewer: 200, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'POST',
        `/api/v1/projects/${p}/process`,
        same({ mode: 'inside_box' }),
        { none: 401, viewer: 403, annotator: 202, admin: 202, other: 404 },
      ],
      [
        'POST',
        `/api/v1/projects/${p}/text-batch`,
        same({ prompts: ['red'] }),
        { none: 401, viewer: 403, annotator: 202, admin: 202, other: 404 },
      ],
      [
        'POST',
        `/api/v1/projects/${p}/build-seg`,
        same({}),
        { none: 401, viewer: 403, annotator: 202, admin: 202, other: 404 },
      ],
      [
        'POST',
        `/api/v1/projects/${p}/analyze`,
        same({}),
        { none: 401, viewer: 403, annotator: 202, admin: 202, other: 404 },
      ],
      [
        'POST',
        `/api/v1/projects/${p}/export`,
        same({ format: 'coco' }),
        { none: 401, viewer: 202, annotator: 202, admin: 202, other: 404 },
      ],
      [
        'POST',
        `/api/v1/projects/${p}/import`,
        same({ path: '/' }),
        { none: 401, viewer: 403, annotator: 400, admin: 400, other: 404 },
      ],
      ['GET', '/api/v1/jobs', same(), { none: 401, viewer: 200, annotator: 200, admin: 200, other: 200 }],
      ['GET', '/api/v1/jobs/1', same(), { none: 401, viewer: 200, annotator: 200, admin: 200, other: 404 }],
      [
        'GET',
        `/api/v1/projects/${p}/models`,
        same(),
        { none: 401, viewer: 200, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'GET',
        '/api/v1/jobs/1/items',
        same(),
        { none: 401, viewer: 200, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'POST',
        '/api/v1/jobs/1/cancel',
        same(),
        { none: 401, viewer: 403, annotator: 200, admin: 200, other: 404 },
      ],
      ['GET', '/api/v1/activity', same(), { none: 401, viewer: 200, annotator: 200, admin: 200, other: 200 }],
      ['GET', '/api/v1/models', same(), { none: 401, viewer: 200, annotator: 200, admin: 200, other: 200 }],
      [
        'POST',
        '/api/v1/models/pull',
        same({ name: 'sam' }),
        { none: 401, viewer: 403, annotator: 403, admin: 202, other: 403 },
      ],
      [
        'GET',
        `/api/v1/projects/${p}/recipes`,
        same(),
        { none: 401, viewer: 200, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'POST',
        `/api/v1/projects/${p}/recipes`,
        async (who) => {
          const up = multipart([
            { name: 'r.zip', bytes: recipeZip(`imported by ${who}`, fixture('clip-fixture')) },
          ]);
          return { body: up.body, headers: up.headers };
        },
        { none: 401, viewer: 403, annotator: 201, admin: 201, other: 404 },
      ],
      [
        'GET',
        `/api/v1/recipes/${recipe}/zip`,
        same(),
        { none: 401, viewer: 200, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'DELETE',
        '/api/v1/recipes/:r',
        async (who) => ({ url: `/api/v1/recipes/${await importRecipe(`to delete by ${who}`)}` }),
        { none: 401, viewer: 403, annotator: 204, admin: 204, other: 404 },
      ],
      [
        'POST',
        `/api/v1/projects/${p}/recipes/mine`,
        same({ classes: ['red'] }),
        { none: 401, viewer: 403, annotator: 202, admin: 202, other: 404 },
      ],
      [
        'POST',
        `/api/v1/images/${img}/recipes/apply`,
        same({ recipe }),
        { none: 401, viewer: 403, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'POST',
        `/api/v1/images/${img}/recipes/cascade`,
        same({ steps: [{ recipe }] }),
        { none: 401, viewer: 403, annotator: 200, admin: 200, other: 404 },
      ],
      [
        'DELETE',
        `/api/v1/projects/${p}/members/999`,
        same(),
        { none: 401, viewer: 403, annotator: 403, admin: 204, other: 404 },
      ],
      [
        'DELETE',
        `/api/v1/images/${img}`,
        same(),
        { none: 401, viewer: 403, annotator: 204, admin: 404, other: 404 },
      ],
      [
        'DELETE',
        '/api/v1/projects/:p',
        async () => ({ url: `/api/v1/projects/${p}` }),
        { none: 401, viewer: 403, annotator: 403, admin: 204, other: 404 },
      ],
    ];
    const got: string[] = [];
    const want: string[] = [];
    for (const [method, url, prepare, expected] of rows) {
      // The admin goes last, so that deleting succeeds only after everyone else has been refused.
      for (const who of [...WHO.filter((w) => w !== 'admin'), 'admin' as Who]) {
        const { body, headers, url: actual } = await prepare(who);
        const r = await client(app, tokens[who])(method as 'GET', actual ?? url, body, headers ?? {});
        got.push(`${method} ${url} as ${who}: ${r.status}`);
        want.push(`${method} ${url} as ${who}: ${expected[who]}`);
        if (r.status >= 400) expect(r.json?.error?.code, `${method} ${url} as ${who}`).toMatch(/^E_/);
      }
    }
    expect(got).toEqual(want);
    delete process.env.SEGKIT_OFFLINE;
    // Every route is in the table, but the two event streams and the download, whose checks are those of GET /jobs/{id}.
    const pattern = (u: string) =>
      u
        .split('?')[0]!
        .replace(/\/(\d+|find_all|inside_box)(?=\/|$)/g, '/:n')
        .replace(/:\w+/g, ':n');
    const covered = new Set(rows.map(([m, u]) => `${m} ${pattern(u)}`));
    const streams = [
      'GET /api/v1/jobs/:n/events',
      'GET /api/v1/activity/events',
      'GET /api/v1/jobs/:n/download',
    ];
    const missing = app.segkit.routes
      .map((r) => r.replace(/ (.*)$/, (_, u) => ` ${pattern(u)}`))
      .filter((r) => !covered.has(r) && !streams.includes(r));
    expect(missing).toEqual([]);
  });
});
