// SAM 3 on the server: a project whose find model is SAM 3 (the sam3-fixture) runs find-all on it, interactively and
// as batch processing, while inside-box processing uses the SAM 3 tracker; the models route and the browser decoder
// route know both; a real-architecture tracker's external-data weights reach the browser.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeImage, iou, rleToMask } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import { shapesImage } from '../../models/test/helpers/shapes.js';
import { fixture, multipart, repo, server } from './helpers.js';

const RED: [number, number, number] = [210, 40, 40];
const scene = shapesImage(300, 200, [
  { name: 'red1', box: [20, 20, 60, 50], colour: RED },
  { name: 'red2', box: [120, 30, 50, 50], colour: RED, kind: 'disc' },
  { name: 'darkRed', box: [200, 20, 70, 50], colour: [150, 45, 45] },
  { name: 'blue', box: [40, 110, 70, 70], colour: [40, 60, 200], kind: 'disc' },
]);

async function sam3Project(models: Record<string, string>) {
  const s = await server();
  const p = await s.client('POST', '/api/v1/projects', { name: 'sam3', settings: { models } });
  const up = multipart([{ name: 'shapes.png', bytes: await encodeImage(scene.image, 'png') }]);
  const images = (await s.client('POST', `/api/v1/projects/${p.json.id}/images`, up.body, up.headers)).json
    .images as { id: number }[];
  return { ...s, projectId: p.json.id as number, imageId: images[0]!.id };
}

const best = (rles: { rle: unknown }[], name: string) =>
  Math.max(0, ...rles.map((a) => iou(rleToMask(a.rle as never), scene.truth[name]!)));

describe('SAM 3 on the server', () => {
  it('find-all answers with the project’s SAM 3 model, and a negative exemplar removes the look-alike', async () => {
    const { client: c, projectId, imageId } = await sam3Project({ find: fixture('sam3-fixture') });
    const models = (await c('GET', `/api/v1/projects/${projectId}/models`)).json;
    expect(models.find).toMatchObject({
      ref: fixture('sam3-fixture'),
      from: 'project',
      status: 'ready',
      test: true,
    });
    // Preloading encodes the image for SAM 3 once; find-all then reuses it.
    const pre = await c('POST', `/api/v1/images/${imageId}/preload`, { find: true });
    expect(pre.json).toMatchObject({ model: fixture('sam3-fixture'), cached: false });
    expect((await c('POST', `/api/v1/images/${imageId}/preload`, { find: true })).json.cached).toBe(true);
    const r = await c('POST', `/api/v1/images/${imageId}/find-all`, { text: 'red' });
    expect(r.status).toBe(200);
    expect(r.json.model).toBe(fixture('sam3-fixture'));
    expect(r.json.annotations).toHaveLength(3);
    for (const name of ['red1', 'red2', 'darkRed'])
      expect(best(r.json.annotations, name)).toBeGreaterThan(0.9);
    expect(r.json.annotations.every((a: { model: string }) => a.model === fixture('sam3-fixture'))).toBe(
      true,
    );
    await c('POST', `/api/v1/images/${imageId}/annotations`, {
      mode: 'find_all',
      promptType: 'negative_exemplar',
      bbox: [215, 30, 40, 30],
    });
    const again = await c('POST', `/api/v1/images/${imageId}/find-all`, { text: 'red' });
    const found = again.json.annotations.filter((a: { source: string }) => a.source === 'model');
    expect(found).toHaveLength(2);
    expect(best(found, 'darkRed')).toBeLessThan(0.1);
  });

  it('processing: inside-box with the SAM 3 tracker and find-all with SAM 3, each mode its own result', async () => {
    const {
      client: c,
      projectId,
      imageId,
    } = await sam3Project({
      segment: fixture('sam3-tracker-fixture'),
      find: fixture('sam3-fixture'),
    });
    await c('POST', `/api/v1/images/${imageId}/annotations`, { mode: 'inside_box', bbox: [35, 105, 80, 80] });
    await c('PATCH', `/api/v1/images/${imageId}`, { textPrompt: 'red' });
    for (const mode of ['inside_box', 'find_all']) {
      const job = (await c('POST', `/api/v1/projects/${projectId}/process`, { mode })).json;
      let state = '';
      for (let i = 0; i < 600 && !['succeeded', 'partial', 'failed'].includes(state); i++) {
        await sleep(50);
        state = (await c('GET', `/api/v1/jobs/${job.id}`)).json.state;
      }
      expect(state).toBe('succeeded');
    }
    const box = (await c('GET', `/api/v1/images/${imageId}/annotations?mode=inside_box`)).json;
    expect(box).toHaveLength(1);
    expect(box[0].model).toBe(fixture('sam3-tracker-fixture'));
    expect(best(box, 'blue')).toBeGreaterThan(0.9);
    const found = (await c('GET', `/api/v1/images/${imageId}/annotations?mode=find_all`)).json;
    expect(found).toHaveLength(3);
    expect(best(found, 'red1')).toBeGreaterThan(0.9);
    expect(best(found, 'blue')).toBeLessThan(0.1);
    const results = (await c('GET', `/api/v1/images/${imageId}/results`)).json as {
      mode: string;
      status: string;
    }[];
    expect(results.map((x) => [x.mode, x.status])).toEqual([
      ['find_all', 'done'],
      ['inside_box', 'done'],
    ]);
  });

  it('without a SAM 3 model find-all is the pipeline; the decoder route serves the tracker to the browser', async () => {
    const { client: c, projectId } = await sam3Project({ segment: fixture('sam3-tracker-fixture') });
    expect((await c('GET', `/api/v1/projects/${projectId}/models`)).json.find).toMatchObject({
      pipeline: true,
      status: 'ready',
    });
    const images = (await c('GET', `/api/v1/projects/${projectId}/images`)).json.items as { id: number }[];
    const noFind = await c('POST', `/api/v1/images/${images[0]!.id}/preload`, { find: true });
    expect([noFind.status, noFind.json.error.code]).toEqual([400, 'E_INVALID_ARGUMENT']);
    const info = (await c('GET', `/api/v1/projects/${projectId}/decoder`)).json;
    expect(info).toMatchObject({ family: 'sam3-tracker', browser: true, candidates: 3 });
    expect(info.graphs).toEqual([
      { index: 0, layout: 'sam3-tracker', points: true, boxes: true, bytes: expect.any(Number), data: [] },
    ]);
    const bad = await c('PATCH', `/api/v1/projects/${projectId}`, {
      settings: { models: { find: '/etc' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('E_UNSAFE_PATH');
  });

  const realTracker = join(repo, '../shared/real-arch/sam3-tracker');
  it.skipIf(!existsSync(realTracker))(
    'a tracker whose weights sit in .onnx_data sends them beside the graph',
    async () => {
      const s = await server({ modelRoots: [join(repo, '../shared/real-arch')] });
      const p = await s.client('POST', '/api/v1/projects', {
        name: 't',
        settings: { models: { segment: realTracker } },
      });
      const info = (await s.client('GET', `/api/v1/projects/${p.json.id}/decoder`)).json;
      expect(info.graphs[0].data).toEqual([
        { name: 'prompt_encoder_mask_decoder.onnx_data', bytes: expect.any(Number) },
      ]);
      const data = await s.client('GET', `/api/v1/projects/${p.json.id}/decoder/0/data/0`);
      expect(data.status).toBe(200);
      expect(
        data.res.rawPayload.equals(
          readFileSync(join(realTracker, 'onnx/prompt_encoder_mask_decoder.onnx_data')),
        ),
      ).toBe(true);
      expect((await s.client('GET', `/api/v1/projects/${p.json.id}/decoder/0/data/1`)).status).toBe(404);
    },
  );
});
