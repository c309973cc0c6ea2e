// Fine-tuning CLIPSeg on the server: a train-text job on the project's own labelled masks, streaming each epoch's
// loss and val mIoU, writing a model folder that the project may then use as its text model.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { area, bbox, maskToRle, readMask } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import { readManifest } from '../../datasets/src/index.js';
import { colourShapesDataset, PROMPTS } from '../../datasets/test/helpers/colour-shapes.js';
import { client, jobEvents, multipart, server, testDatabase, tmp } from './helpers.js';

const repo = new URL('../../../', import.meta.url).pathname;
const realArch = join(repo, '../shared/real-arch');
const present = existsSync(join(realArch, 'clipseg/onnx/model.onnx'));

describe.skipIf(!present)('train-text jobs', () => {
  it("trains on the project's masks with per-epoch events; the model folder becomes the project's text model", async () => {
    const s = await server({ modelRoots: [join(repo, 'fixtures/models'), realArch] });
    const { app, client: c } = s;
    const ds = await colourShapesDataset(12, 4, 96, 31);
    const rows = await readManifest(ds.manifest);
    const p = await c('POST', '/api/v1/projects', {
      name: 'shapes',
      labels: Object.keys(PROMPTS).map((name) => ({ name, colour: '#808080' })),
    });
    const projectId = p.json.id as number;
    const files = [...new Set(rows.map((r) => r.image_path))];
    const up = multipart(files.map((f) => ({ name: f.split('/').pop()!, bytes: readFileSync(f) })));
    const images = (await c('POST', `/api/v1/projects/${projectId}/images`, up.body, up.headers)).json
      .images as {
      id: number;
      fileName: string;
    }[];
    for (const r of rows) {
      const imageId = images.find((i) => i.fileName === r.image_path.split('/').pop())!.id;
      const mask = await readMask(r.mask_path);
      if (!area(mask)) continue; // covered by a later shape
      const created = await c('POST', `/api/v1/images/${imageId}/annotations`, {
        mode: 'inside_box',
        label: r.label,
        bbox: bbox(mask),
        rle: maskToRle(mask),
      });
      expect(created.status, JSON.stringify(created.json)).toBe(201);
    }
    const bad = await c('POST', `/api/v1/projects/${projectId}/text-models`, {
      name: '../x',
      prompts: PROMPTS,
    });
    expect(bad.status).toBe(400);
    const job = await c('POST', `/api/v1/projects/${projectId}/text-models`, {
      name: 'shapes-v1',
      prompts: PROMPTS,
      model: join(realArch, 'clipseg'),
      epochs: 2,
      batch: 6,
      lr: 1e-3,
      q8: true,
    });
    expect(job.status).toBe(202);
    expect(job.json.kind).toBe('train-text');
    try {
      const { text, epochs } = await jobEvents(app, job.json.id);
      expect(epochs).toHaveLength(2);
      expect(epochs[0]).toMatch(/^epoch 1: loss [\d.]+, val mIoU [\d.]+ at 0\.5, [\d.]+ at 0\.\d$/);
      expect(text).toMatch(/event: finished/);
      const done = (await c('GET', `/api/v1/jobs/${job.json.id}`)).json;
      expect(done.state).toBe('succeeded');
      expect(done.result.history).toHaveLength(2);
      expect(existsSync(join(done.result.path, 'onnx/model.onnx'))).toBe(true);
      expect(existsSync(join(done.result.path, 'onnx/model_quantized.onnx'))).toBe(true);
      // The trained folder lives under the data folder, not a --model-root, and text prompts run on it once it is
      // the project's text model; a folder outside both is still refused.
      await c('PATCH', `/api/v1/projects/${projectId}`, { settings: { models: { text: done.result.path } } });
      const seg = await c('POST', `/api/v1/images/${images[0]!.id}/text`, { prompts: ['segment red'] });
      expect(seg.status, JSON.stringify(seg.json)).toBe(200);
      const outside = await c('POST', `/api/v1/images/${images[0]!.id}/text`, {
        prompts: ['segment red'],
        model: s.dataDir,
      });
      expect(outside.status).toBe(400);

      // The model is kept in the blob store under its name: a process that has no copy of it (a second replica with
      // its own data directory in a team run, else this server again after its text-models folder went) loads it by
      // `text-models/<name>`, making its copy from the blobs.
      expect(done.result.ref).toBe('text-models/shapes-v1');
      await c('PATCH', `/api/v1/projects/${projectId}`, { settings: { models: { text: done.result.ref } } });
      const team = process.env.SEGKIT_TEST_POSTGRES_URL !== undefined;
      if (!team) {
        await app.close();
        rmSync(join(s.dataDir, 'text-models'), { recursive: true, force: true });
      }
      const other = team
        ? await server({ dataDir: tmp(), modelRoots: [realArch], ...(await testDatabase(s.dataDir)) })
        : await server({ dataDir: s.dataDir, modelRoots: [realArch] });
      const b = client(other.app, app.segkit.adminToken);
      try {
        const state = (await b('GET', `/api/v1/projects/${projectId}/models`)).json;
        expect([state.text.ref, state.text.status, state.text.from]).toEqual([
          'text-models/shapes-v1',
          'ready',
          'project',
        ]);
        const viaB = await b('POST', `/api/v1/images/${images[0]!.id}/text`, { prompts: ['segment red'] });
        expect(viaB.status, JSON.stringify(viaB.json)).toBe(200);
        expect(viaB.json).toEqual(seg.json);
        expect(
          existsSync(
            join(other.dataDir, 'text-models', `project-${projectId}`, 'shapes-v1', 'onnx/model.onnx'),
          ),
        ).toBe(true);
        // A name the project never trained: the state says missing, and a request gets a one-line E_MODEL_MISSING.
        await b('PATCH', `/api/v1/projects/${projectId}`, {
          settings: { models: { text: 'text-models/nope' } },
        });
        expect((await b('GET', `/api/v1/projects/${projectId}/models`)).json.text.status).toBe('missing');
        const missing = await b('POST', `/api/v1/images/${images[0]!.id}/text`, { prompts: ['segment red'] });
        expect([missing.status, missing.json.error.code]).toEqual([422, 'E_MODEL_MISSING']);
      } finally {
        await other.app.close();
      }
    } finally {
      await app.close();
    }
  });
});
