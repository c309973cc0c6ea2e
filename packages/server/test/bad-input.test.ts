// More than a hundred malformed requests: every one must get a 4xx with a coded error body, never a 5xx, and nothing
// may be written outside the data directory.
import { mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { encodeImage } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import { scene } from '../../models/test/helpers/shapes.js';
import { fixture, multipart, server, tmp } from './helpers.js';
import { recipeZip } from './recipe-zip.js';

/** A PNG whose header claims `w`×`h` pixels of which only a few bytes exist: a decompression bomb's shape. */
function bombPng(w: number, h: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const v of b) c = crcTable[(c ^ v) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(1 << 16))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('malformed requests', () => {
  it('are all answered 4xx with a code, never 5xx, and write nothing outside the data directory', async () => {
    // The data directory in a parent of its own: other test files write to the system's temporary folder meanwhile.
    const parent = tmp('segkit-bad-input-');
    const dataDir = join(parent, 'data');
    mkdirSync(dataDir);
    const { client: c } = await server({
      dataDir,
      limits: { files: 3, fileBytes: 2_000_000, bodyBytes: 200_000 },
    });
    const before = readdirSync(parent).sort();
    const p = (
      await c('POST', '/api/v1/projects', { name: 'p', labels: [{ name: 'red', colour: '#ff0000' }] })
    ).json.id;
    const png = await encodeImage(scene().image, 'png');
    const up = multipart([{ name: 'a.png', bytes: png }]);
    const img = (await c('POST', `/api/v1/projects/${p}/images`, up.body, up.headers)).json.images[0].id;
    const ann = (
      await c('POST', `/api/v1/images/${img}/annotations`, { mode: 'inside_box', bbox: [1, 1, 5, 5] })
    ).json.id;

    type Case = [string, string, unknown, Record<string, string>?];
    const cases: Case[] = [];
    const json = { 'content-type': 'application/json' };
    // Path parameters that are not ids, or ids of nothing.
    for (const bad of [
      'abc',
      '-1',
      '0',
      '1.5',
      '1e999',
      '99999999999999999999',
      '%2e%2e%2fetc%2fpasswd',
      'NaN',
      '0x10',
      '99999',
    ])
      cases.push(
        ['GET', `/api/v1/projects/${bad}`, undefined],
        ['GET', `/api/v1/images/${bad}`, undefined],
        ['PATCH', `/api/v1/annotations/${bad}`, { label: null }, { 'if-match': '1' }],
        ['GET', `/api/v1/recipes/${bad}/zip`, undefined],
        ['DELETE', `/api/v1/recipes/${bad}`, undefined],
      );
    // Bodies that are not JSON objects.
    for (const raw of ['{', 'null', '[]', '"x"', '12', '{"name":}', '\u0000', '{"name": "a",}'])
      cases.push(
        ['POST', '/api/v1/projects', raw, json],
        ['POST', `/api/v1/images/${img}/segment`, raw, json],
      );
    // Wrong types, out-of-range numbers and unknown fields, field by field.
    const notNumbers = [null, true, 'x', -1, 1e308, [], {}, 'NaN'];
    for (const v of notNumbers) {
      cases.push(['POST', `/api/v1/images/${img}/annotations`, { mode: 'inside_box', bbox: [v, 0, 5, 5] }]);
      cases.push(['POST', `/api/v1/images/${img}/segment`, { points: [{ x: v, y: 5, label: 1 }] }]);
      cases.push(['POST', `/api/v1/images/${img}/segment`, { box: [0, 0, v, 5] }]);
    }
    for (const v of [null, true, 5, [], {}, '']) cases.push(['POST', '/api/v1/projects', { name: v }]);
    for (const v of [5, true, [], {}, 'x'.repeat(1001)])
      cases.push(['PATCH', `/api/v1/images/${img}`, { textPrompt: v }]);
    cases.push(
      ['POST', '/api/v1/projects', { name: 'x', bogus: 1 }],
      ['POST', '/api/v1/projects', { name: 'x'.repeat(201) }],
      ['POST', '/api/v1/projects', { name: 'x', labels: [{ name: '', colour: '#ff0000' }] }],
      ['POST', '/api/v1/projects', { name: 'x', labels: [{ name: 'a', colour: '#ff00' }] }],
      ['POST', '/api/v1/projects', { name: 'x', settings: { models: { segment: '' } } }],
      ['POST', '/api/v1/projects', { name: 'x'.repeat(300_000) }],
      ['POST', `/api/v1/images/${img}/annotations`, { mode: 'inside_box', bbox: [390, 290, 20, 20] }],
      [
        'POST',
        `/api/v1/images/${img}/annotations`,
        { mode: 'inside_box', bbox: [0, 0, 5, 5], label: 'nope' },
      ],
      [
        'POST',
        `/api/v1/images/${img}/annotations`,
        { mode: 'inside_box', rle: { size: [300, 400], counts: 'zzz' } },
      ],
      [
        'POST',
        `/api/v1/images/${img}/annotations`,
        { mode: 'inside_box', rle: { size: [1, 1], counts: '01' } },
      ],
      ['POST', `/api/v1/images/${img}/annotations`, { mode: 'inside_box', score: 2, bbox: [0, 0, 5, 5] }],
      [
        'PUT',
        `/api/v1/images/${img}/annotations?mode=inside_box`,
        { annotations: [{ mode: 'find_all', bbox: [0, 0, 5, 5] }] },
      ],
      ['PUT', `/api/v1/images/${img}/annotations?mode=sideways`, { annotations: [] }],
      ['PATCH', `/api/v1/annotations/${ann}`, { label: 'red' }],
      ['PATCH', `/api/v1/annotations/${ann}`, { label: 'red' }, { 'if-match': 'abc' }],
      ['PATCH', `/api/v1/annotations/${ann}`, { label: 'red' }, { 'if-match': '7' }],
      [
        'POST',
        `/api/v1/images/${img}/segment`,
        { points: Array.from({ length: 65 }, () => ({ x: 1, y: 1, label: 1 })) },
      ],
      ['POST', `/api/v1/images/${img}/segment`, { points: [{ x: 400, y: 1, label: 1 }] }],
      ['POST', `/api/v1/images/${img}/segment`, { model: '../../../etc/passwd' }],
      ['POST', `/api/v1/images/${img}/segment`, { model: '/etc' }],
      ['POST', `/api/v1/images/${img}/segment`, { model: dirname(dirname(dataDir)) }],
      ['POST', `/api/v1/images/${img}/text`, { prompts: ['red'], model: '/usr' }],
      ['POST', `/api/v1/images/${img}/text`, { prompts: Array.from({ length: 33 }, () => 'red') }],
      ['POST', `/api/v1/images/${img}/text`, { prompts: [] }],
      ['POST', `/api/v1/images/${img}/find-all`, {}],
      ['POST', `/api/v1/images/${img}/classify`, { box: [0, 0, 5, 5] }],
      ['POST', `/api/v1/images/${img}/refine-box`, { box: [0, 0, 500, 5] }],
      ['POST', `/api/v1/projects/${p}/process`, { mode: 'inside_box', imageIds: [123456] }],
      ['POST', `/api/v1/projects/${p}/process`, { mode: 'everything' }],
      ['POST', `/api/v1/projects/${p}/import`, { path: '../../etc' }],
      ['POST', `/api/v1/projects/${p}/import`, { path: '/' }],
      ['POST', `/api/v1/projects/${p}/export`, { format: 'voc' }],
      ['POST', `/api/v1/projects/${p}/export`, { format: 'masks', includePrompts: true }],
      ['POST', `/api/v1/projects/${p}/export`, { format: 'coco', includePrompts: 'yes' }],
      ['GET', '/api/v1/jobs/424242', undefined],
      ['GET', '/api/v1/jobs/424242/items', undefined],
      ['GET', '/api/v1/projects/424242/models', undefined],
      ['GET', '/api/v1/projects/abc/models', undefined],
      ['GET', '/api/v1/jobs/1/items?limit=0', undefined],
      ['GET', '/api/v1/jobs/1/items?failed=maybe', undefined],
      ['GET', '/api/v1/jobs/1/items?offset=-1', undefined],
      ['GET', `/api/v1/images/${img}/results/find_all/coco`, undefined],
      ['GET', `/api/v1/images/${img}/thumbnail?size=5`, undefined],
      ['GET', `/api/v1/projects/${p}/images?limit=100000`, undefined],
      ['GET', `/api/v1/projects/${p}/images?offset=-1`, undefined],
      ['POST', '/api/v1/models/pull', { name: '' }],
      ['DELETE', '/api/v1/nothing', undefined],
      ['POST', `/api/v1/projects/${p}/text-batch`, { prompts: [] }],
      ['POST', `/api/v1/projects/${p}/text-batch`, { prompts: ['red'], imageIds: [0] }],
      ['POST', `/api/v1/projects/${p}/build-seg`, { imageIds: [424242] }],
      ['POST', `/api/v1/projects/${p}/analyze`, { minClusterSize: 1 }],
      ['POST', `/api/v1/projects/${p}/members`, { user: '' }],
      ['POST', `/api/v1/projects/${p}/members`, { user: 'nobody-here' }],
      ['DELETE', `/api/v1/projects/${p}/members/abc`, undefined],
      ['POST', '/api/v1/jobs/abc/cancel', undefined],
      ['GET', '/api/v1/jobs/424242/events', undefined],
      ['GET', '/api/v1/jobs/424242/download', undefined],
      ['POST', `/api/v1/images/${img}/preload`, { model: 5 }],
      ['POST', `/api/v1/images/${img}/preload`, { find: 'yes' }],
      ['POST', `/api/v1/images/${img}/preload`, { find: true }],
      ['GET', `/api/v1/images/${img}/embedding?dtype=int8`, undefined],
      ['GET', `/api/v1/projects/${p}/decoder/99`, undefined],
      ['POST', `/api/v1/projects/${p}/heads`, { name: '../escape' }],
      ['POST', `/api/v1/projects/${p}/heads`, { name: 'ok', val: 5 }],
      ['POST', `/api/v1/projects/${p}/heads`, { name: 'ok', epochs: 0 }],
      ['POST', `/api/v1/projects/${p}/heads`, { name: 'ok', extra: 1 }],
      ['POST', `/api/v1/projects/${p}/text-models`, { name: '../escape', prompts: { red: ['red'] } }],
      ['POST', `/api/v1/projects/${p}/text-models`, { name: 'ok', prompts: {} }],
      ['POST', `/api/v1/projects/${p}/text-models`, { name: 'ok', prompts: { red: [] } }],
      ['POST', `/api/v1/projects/${p}/text-models`, { name: 'ok', prompts: { red: ['red'] }, lr: 0 }],
      ['POST', `/api/v1/projects/${p}/text-models`, { name: 'ok', prompts: { red: ['red'] }, extra: 1 }],
      ['POST', `/api/v1/projects/${p}/text-models`, { name: 'ok', prompts: { red: ['red'] }, q8: 'yes' }],
      ['PUT', `/api/v1/projects/${p}/heads/active`, { name: 5 }],
      ['PUT', `/api/v1/projects/${p}/heads/active`, { name: 'no-such-head' }],
      ['GET', `/api/v1/projects/${p}/decoder/-1`, undefined],
      ['GET', `/api/v1/projects/${p}/decoder/0/data/x`, undefined],
      ['GET', `/api/v1/projects/${p}/decoder/0/data/9`, undefined],
      ['POST', `/api/v1/images/${img}/find-all`, { findModel: '' }],
      ['PATCH', `/api/v1/projects/${p}`, { settings: { models: { find: '/etc' } } }],
      ['GET', `/api/v1/projects/${p}/decoder?model=`, undefined],
      ['GET', `/api/v1/projects/${p}/analytics/mask?id=../../etc/passwd`, undefined],
      ['GET', `/api/v1/projects/${p}/analytics/mask`, undefined],
      ['GET', `/api/v1/projects/${p}/analytics/zip?imageId=x`, undefined],
      ['POST', `/api/v1/projects/${p}/analytics/label`, { ids: [], label: 'a' }],
      ['POST', `/api/v1/projects/${p}/analytics/label`, { ids: ['a/0'], label: '' }],
      ['POST', `/api/v1/projects/${p}/analytics/label`, { ids: ['a/0'], label: 'a', extra: 1 }],
      ['POST', `/api/v1/images/${img}/point-to-box`, { x: -1, y: 5 }],
      ['POST', `/api/v1/images/${img}/panoptic`, { threshold: 2 }],
      ['GET', `/api/v1/images/${img}/results/sideways/coco`, undefined],
    );
    // Uploads: not multipart, not an image, a bomb, too many files, too big a file.
    const upload = (files: { name: string; bytes: Uint8Array }[]) => {
      const m = multipart(files);
      return ['POST', `/api/v1/projects/${p}/images`, m.body, m.headers] as Case;
    };
    cases.push(
      ['POST', `/api/v1/projects/${p}/images`, { file: 'x' }],
      upload([{ name: 'notes.txt', bytes: Buffer.from('hello') }]),
      upload([{ name: 'bomb.png', bytes: bombPng(60_000, 60_000) }]),
      upload([{ name: 'truncated.png', bytes: png.subarray(0, 100) }]),
      upload([{ name: '../../../escape.png', bytes: Buffer.from('not a png') }]),
      upload(Array.from({ length: 4 }, (_, i) => ({ name: `${i}.png`, bytes: png }))),
      upload([{ name: 'big.png', bytes: Buffer.concat([png, Buffer.alloc(2_100_000)]) }]),
    );
    // Recipes: uploads that are not recipe ZIPs, mining and applying options out of range or unknown.
    const recipeUpload = (name: string, bytes: Uint8Array) => {
      const m = multipart([{ name, bytes }]);
      return ['POST', `/api/v1/projects/${p}/recipes`, m.body, m.headers] as Case;
    };
    const escaping = Buffer.from(
      recipeZip('x', fixture('clip-fixture')).toString('latin1').replaceAll('recipe.json', 'recip/../..'),
      'latin1',
    );
    cases.push(
      ['POST', `/api/v1/projects/${p}/recipes`, { zip: 'x' }],
      recipeUpload('r.zip', Buffer.from('not a zip')),
      recipeUpload('r.zip', png),
      recipeUpload('r.zip', escaping),
      recipeUpload('r.zip', recipeZip('a/b', fixture('clip-fixture'))),
      ['POST', `/api/v1/projects/${p}/recipes/mine`, { mode: 'fast' }],
      ['POST', `/api/v1/projects/${p}/recipes/mine`, { val: 5 }],
      ['POST', `/api/v1/projects/${p}/recipes/mine`, { targetPrecision: 0 }],
      ['POST', `/api/v1/projects/${p}/recipes/mine`, { classes: [] }],
      ['POST', `/api/v1/projects/${p}/recipes/mine`, { head: '../escape' }],
      ['POST', `/api/v1/projects/${p}/recipes/mine`, { head: 'no-such-head' }],
      ['POST', `/api/v1/projects/${p}/recipes/mine`, { extra: 1 }],
      ['POST', `/api/v1/images/${img}/recipes/apply`, {}],
      ['POST', `/api/v1/images/${img}/recipes/apply`, { recipe: 'x' }],
      ['POST', `/api/v1/images/${img}/recipes/apply`, { recipe: 99999 }],
      ['POST', `/api/v1/images/${img}/recipes/apply`, { recipe: 1, classAs: '' }],
      ['POST', `/api/v1/images/${img}/recipes/cascade`, { steps: [] }],
      ['POST', `/api/v1/images/${img}/recipes/cascade`, { steps: [{ recipe: 1, crossClass: 'yes' }] }],
      ['POST', `/api/v1/images/${img}/recipes/cascade`, { steps: [{ recipe: 1 }], dedup: { across: 'all' } }],
      ['POST', `/api/v1/images/${img}/recipes/cascade`, { steps: [{ recipe: 1, minProbability: 2 }] }],
      ['POST', `/api/v1/projects/${p}/process`, { mode: 'inside_box', recipe: 1 }],
      ['POST', `/api/v1/projects/${p}/process`, { mode: 'find_all', recipe: 99999 }],
    );
    expect(cases.length).toBeGreaterThanOrEqual(100);
    const failures: string[] = [];
    for (const [method, url, body, headers] of cases) {
      const r = await c(method as 'GET', url, body, headers ?? {});
      const ok =
        r.status >= 400 &&
        r.status < 500 &&
        /^E_[A-Z_]+$/.test(r.json?.error?.code ?? '') &&
        typeof r.json?.error?.message === 'string';
      if (!ok)
        failures.push(
          `${method} ${url} ${JSON.stringify(body)?.slice(0, 80)} → ${r.status} ${r.res.body.slice(0, 120)}`,
        );
    }
    expect(failures).toEqual([]);
    expect(readdirSync(parent).sort()).toEqual(before);
  }, 120_000);
});

describe('what the API fuzzer found (each was a 500 or an uncoded 400 before its fix)', () => {
  it('a multipart upload cut off mid-part, or without a boundary, is E_INVALID_ARGUMENT', async () => {
    const { client } = await server();
    const p = (await client('POST', '/api/v1/projects', { name: 'P' })).json.id as number;
    for (const [type, body] of [
      [
        'multipart/form-data; boundary=b',
        '--b\r\nContent-Disposition: form-data; name="files"; filename="a.png"\r\n\r\n\x89PNG',
      ],
      ['multipart/form-data; boundary=b', '--b\r\nContent-Disp'],
      ['multipart/form-data', 'x'],
    ] as const) {
      const r = await client('POST', `/api/v1/projects/${p}/images`, body, { 'content-type': type });
      expect(r.status, body).toBe(400);
      expect(r.json.error.code).toBe('E_INVALID_ARGUMENT');
      expect(r.json.error.message).toMatch(/not well-formed multipart/);
    }
  });

  it('an empty project update changes nothing and answers the project', async () => {
    const { client } = await server();
    const p = (await client('POST', '/api/v1/projects', { name: 'P' })).json.id as number;
    const r = await client('PATCH', `/api/v1/projects/${p}`, {});
    expect(r.status).toBe(200);
    expect(r.json.name).toBe('P');
  });

  it('a path that is not valid percent-encoding gets the coded error body', async () => {
    const { client } = await server();
    const r = await client('GET', '/api/v1/images/%ED%A0%80/results/x/coco');
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('E_INVALID_ARGUMENT');
  });
});
