// SAM 3 presets: files named by direct URL (usls's GitHub release assets, through a SEGKIT_ASSETS_URL mirror), hub
// files with .onnx.data / .onnx_data side files, and samexporter's ZIP, all served by a local file server; sizes and
// SHA-256 checked; `models import` of every layout.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { isSegkitError, writeZip } from '@segkit/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeZip } from '../../datasets/test/helpers/zip-writer.js';
import {
  findPreset,
  importModel,
  modelStatus,
  pullModel,
  resolveModelRef,
  Sam3Finder,
  Segmenter,
} from '../src/index.js';
import { type HubServer, publish, publishDirect, repoRoot, startHub } from './helpers/hub-server.js';
import { shapesImage } from './helpers/shapes.js';

const realArch = join(repoRoot, '../shared/real-arch');
const present = existsSync(join(realArch, 'sam3-usls'));
const arch = (name: string) => join(realArch, name);
const { image } = shapesImage(200, 150, [{ name: 'r', box: [20, 20, 60, 40], colour: [210, 40, 40] }]);
const RELEASE = 'jamjamjon/assets/releases/download/sam3';
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const code = (e: unknown) => (isSegkitError(e) ? e.code : `internal: ${(e as Error).message}`);

let hub: HubServer;
beforeAll(async () => {
  hub = await startHub();
  if (!present) return;
  const usls = arch('sam3-usls');
  publishDirect(hub, RELEASE, {
    'vision-encoder.onnx': join(usls, 'vision-encoder.onnx'),
    'text-encoder.onnx': join(usls, 'text-encoder.onnx'),
    'geo-encoder-mask-decoder.onnx': join(usls, 'geo-encoder-mask-decoder.onnx'),
    'tokenizer.json': join(usls, 'tokenizer.json'),
  });
  publish(hub, arch('sam3-text'), 'danilobukvic/sam3-text-onnx');
  publish(hub, arch('sam3-tracker'), 'onnx-community/sam3-tracker-ONNX');
  // samexporter's files, zipped under one top folder as the published sam3_vit_h.zip.
  const src = arch('sam3-samexporter');
  const entries = readdirSync(src, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .map((p) => ({ name: `sam3_vit_h/${relative(src, p)}`, data: readFileSync(p) }));
  const repoDir = join(hub.root, 'vietanhdev', 'segment-anything-3-onnx-models');
  mkdirSync(repoDir, { recursive: true });
  await writeZip(join(repoDir, 'sam3_vit_h.zip'), entries);
});
afterAll(() => hub.close());
beforeEach(() => {
  process.env.SEGKIT_HUB_URL = hub.url;
  process.env.SEGKIT_ASSETS_URL = hub.url;
  process.env.SEGKIT_CACHE_DIR = mkdtempSync(join(tmpdir(), 'segkit-cache-'));
  delete process.env.SEGKIT_OFFLINE;
  hub.requests.length = 0;
  hub.cutOnce.clear();
});

describe.skipIf(!present)('SAM 3 presets and imports', () => {
  it('sam3: release assets by direct URL through the mirror, resumed when cut, SHA-256 recorded, then it finds', async () => {
    const model = resolveModelRef('sam3');
    expect(modelStatus(model)).toBe('missing');
    hub.cutOnce.set(`${RELEASE}/text-encoder.onnx`, 100_000);
    const manifest = await pullModel(model);
    expect(hub.requests.map((r) => r.path)).toContain(`/${RELEASE}/geo-encoder-mask-decoder.onnx`);
    expect(
      hub.requests.some((r) => r.path === `/${RELEASE}/text-encoder.onnx` && r.range === 'bytes=100000-'),
    ).toBe(true);
    expect(manifest.sha256!['vision-encoder.onnx']).toBe(sha(arch('sam3-usls/vision-encoder.onnx')));
    expect(modelStatus(model)).toBe('ready');
    const f = await Sam3Finder.create({ model: 'sam3', diskCacheDir: false });
    expect(f.layout).toBe('sam3-usls');
    expect((await f.find(image, { text: 'red', threshold: 0 })).instances.length).toBeGreaterThan(0);
    // Pulling again fetches nothing.
    hub.requests.length = 0;
    await pullModel(model);
    expect(hub.requests).toEqual([]);
  });

  it('a size or SHA-256 that does not match the preset fails the pull, removes the file and leaves the model missing', async () => {
    const base = findPreset('sam3')!;
    const files = base.files!.map((f) =>
      f.path === 'text-encoder.onnx' ? { ...f, sha256: '0'.repeat(64) } : f,
    );
    const model = { ...resolveModelRef('sam3'), preset: { ...base, files } };
    const e = await pullModel(model).catch((x: unknown) => x);
    expect(code(e)).toBe('E_DOWNLOAD_FAILED');
    expect((e as Error).message).toMatch(/text-encoder\.onnx with SHA-256 [0-9a-f]{64}, not 0{64}/);
    expect(existsSync(join(model.dir, 'text-encoder.onnx'))).toBe(false);
    expect(modelStatus(model)).toBe('missing');
    const sized = base.files!.map((f) => (f.path === 'tokenizer.json' ? { ...f, bytes: 12 } : f));
    const e2 = await pullModel({ ...model, preset: { ...base, files: sized } }).catch((x: unknown) => x);
    expect((e2 as Error).message).toMatch(/tokenizer\.json with \d+ bytes, not 12/);
    process.env.SEGKIT_OFFLINE = '1';
    expect(code(await pullModel(resolveModelRef('sam3')).catch((x: unknown) => x))).toBe('E_MODEL_MISSING');
  });

  it('sam3-text with .onnx.data side files, and the tracker with .onnx_data, from the hub', async () => {
    await pullModel(resolveModelRef('sam3-text'));
    const t = await Sam3Finder.create({ model: 'sam3-text', diskCacheDir: false });
    expect(t.layout).toBe('sam3-text');
    expect(existsSync(join(resolveModelRef('sam3-text').dir, 'decoder.onnx.data'))).toBe(true);
    await pullModel(resolveModelRef('sam3-tracker'));
    const seg = await Segmenter.create({ model: 'sam3-tracker', diskCacheDir: false });
    expect(seg.backend).toBe('sam3-tracker');
    expect((await seg.segment(image, { prompt: { point: [50, 40] } })).mask.width).toBe(200);
  });

  it('sam3-anylabeling: the ZIP is fetched, unpacked safely from its top folder and removed', async () => {
    const model = resolveModelRef('sam3-anylabeling');
    const manifest = await pullModel(model);
    expect(hub.requests.map((r) => r.path)).toEqual([
      '/vietanhdev/segment-anything-3-onnx-models/resolve/main/sam3_vit_h.zip',
    ]);
    expect(Object.keys(manifest.files)).toContain('clip_tokenizer/tokenizer.json');
    expect(existsSync(join(model.dir, '.download'))).toBe(false);
    expect(existsSync(join(model.dir, 'sam3_vit_h'))).toBe(false);
    const f = await Sam3Finder.create({ model: 'sam3-anylabeling', diskCacheDir: false });
    expect(f.layout).toBe('sam3-samexporter');
  });

  it('a ZIP with an entry that leaves its folder is refused and nothing of it stays', async () => {
    const repoDir = join(hub.root, 'evil', 'sam3');
    mkdirSync(repoDir, { recursive: true });
    writeFileSync(
      join(repoDir, 'sam3_vit_h.zip'),
      makeZip([
        { name: 'sam3_image_encoder.onnx', data: Buffer.from('x') },
        { name: '../../outside.txt', data: Buffer.from('x') },
      ]),
    );
    const base = findPreset('sam3-anylabeling')!;
    const model = {
      ...resolveModelRef('sam3-anylabeling'),
      repo: 'evil/sam3',
      preset: { ...base, repo: 'evil/sam3' },
    };
    const e = await pullModel(model).catch((x: unknown) => x);
    expect(['E_UNSAFE_PATH', 'E_ARCHIVE_UNSAFE']).toContain(code(e));
    expect(existsSync(join(model.dir, '..', 'outside.txt'))).toBe(false);
    expect(modelStatus(model)).toBe('missing');
  });

  it('models import takes every SAM 3 layout, under a preset name or its own', async () => {
    await importModel(arch('sam3-usls'), 'sam3');
    expect((await Sam3Finder.create({ model: 'sam3', diskCacheDir: false })).layout).toBe('sam3-usls');
    await importModel(arch('sam3-samexporter'), 'my-anylabeling');
    expect((await Sam3Finder.create({ model: 'my-anylabeling', diskCacheDir: false })).layout).toBe(
      'sam3-samexporter',
    );
    await importModel(arch('sam3-text'), 'sam3-text');
    expect(modelStatus(resolveModelRef('sam3-text'))).toBe('ready');
    await importModel(arch('sam3-tracker'), 'sam3-tracker');
    expect((await Segmenter.create({ model: 'sam3-tracker', diskCacheDir: false })).backend).toBe(
      'sam3-tracker',
    );
    const e = await importModel(arch('sam3-text'), 'sam3').catch((x: unknown) => x);
    expect(code(e)).toBe('E_MODEL_MISSING');
    expect((e as Error).message).toMatch(/lacks vision-encoder\.onnx/);
  });
});
