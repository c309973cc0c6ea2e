import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { iou, rleToMask } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import { colourScene } from '../../analytics/test/helpers/colour-images.js';
import { fixture, multipart, repo, server } from './helpers.js';

/** A project of examples/shapes images 0–3 with the fixture models, each image with a box around its red shape. */
async function project(n = 4) {
  const s = await server();
  const p = await s.client('POST', '/api/v1/projects', {
    name: 'shapes',
    settings: { models: { text: fixture('clipseg-fixture'), embed: fixture('clip-fixture') } },
  });
  const files = Array.from({ length: n }, (_, i) => ({
    name: `img${String(i).padStart(2, '0')}.png`,
    bytes: readFileSync(join(repo, 'examples/shapes', `img${String(i).padStart(2, '0')}.png`)),
  }));
  const up = multipart(files);
  const images = (await s.client('POST', `/api/v1/projects/${p.json.id}/images`, up.body, up.headers)).json
    .images as { id: number }[];
  for (const [i, img] of images.entries()) {
    const red = colourScene(i).truth.red;
    let [x0, y0, x1, y1] = [red.width, red.height, 0, 0];
    for (let k = 0; k < red.data.length; k++)
      if (red.data[k]) {
        const x = k % red.width;
        const y = (k - x) / red.width;
        [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x + 1), Math.max(y1, y + 1)];
      }
    await s.client('POST', `/api/v1/images/${img.id}/annotations`, {
      mode: 'inside_box',
      bbox: [x0, y0, x1 - x0, y1 - y0],
    });
    await s.client('PATCH', `/api/v1/images/${img.id}`, { textPrompt: 'blue' });
  }
  return { ...s, projectId: p.json.id as number, images };
}

async function waitFor(c: Awaited<ReturnType<typeof project>>['client'], jobId: number) {
  for (let i = 0; i < 600; i++) {
    const j = (await c('GET', `/api/v1/jobs/${jobId}`)).json;
    if (['succeeded', 'failed', 'cancelled'].includes(j.state)) return j;
    await sleep(50);
  }
  throw new Error(`job ${jobId} did not finish`);
}

describe('processing jobs', () => {
  it('keeps the two modes apart: two results per image, each with its own COCO file and annotations', async () => {
    const { client: c, projectId, images } = await project();
    const inside = await c('POST', `/api/v1/projects/${projectId}/process`, { mode: 'inside_box' });
    expect(inside.status).toBe(202);
    expect(inside.json).toMatchObject({ kind: 'process', state: 'queued', total: 4 });
    expect((await waitFor(c, inside.json.id)).state).toBe('succeeded');
    const find = await c('POST', `/api/v1/projects/${projectId}/process`, { mode: 'find_all' });
    expect((await waitFor(c, find.json.id)).state).toBe('succeeded');
    for (const [i, img] of images.entries()) {
      const results = (await c('GET', `/api/v1/images/${img.id}/results`)).json as {
        mode: string;
        status: string;
      }[];
      expect(results.map((r) => [r.mode, r.status])).toEqual([
        ['find_all', 'done'],
        ['inside_box', 'done'],
      ]);
      const box = (await c('GET', `/api/v1/images/${img.id}/annotations?mode=inside_box`)).json;
      expect(box).toHaveLength(1);
      expect(iou(rleToMask(box[0].rle), colourScene(i).truth.red)).toBeGreaterThanOrEqual(0.9);
      const found = (await c('GET', `/api/v1/images/${img.id}/annotations?mode=find_all`)).json;
      expect(found.map((a: { source: string }) => a.source)).toEqual(['model']);
      expect(iou(rleToMask(found[0].rle), colourScene(i).truth.blue)).toBeGreaterThanOrEqual(0.9);
      const cocoBox = (await c('GET', `/api/v1/images/${img.id}/results/inside_box/coco`)).json;
      const cocoFind = (await c('GET', `/api/v1/images/${img.id}/results/find_all/coco`)).json;
      expect(cocoBox.annotations.map((a: { id: number }) => a.id)).toEqual([box[0].id]);
      expect(cocoFind.annotations.map((a: { id: number }) => a.id)).toEqual([found[0].id]);
      expect((await c('GET', `/api/v1/images/${img.id}`)).json.status).toEqual({
        inside_box: 'done',
        find_all: 'done',
      });
    }
  });

  it('streams progress as Server-Sent Events through to finished', async () => {
    const { app, client: c, projectId } = await project(3);
    const job = (await c('POST', `/api/v1/projects/${projectId}/process`, { mode: 'inside_box' })).json;
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const res = await fetch(`${address}/api/v1/jobs/${job.id}/events`, {
        headers: { authorization: `Bearer ${app.segkit.adminToken}` },
      });
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      const text = await res.text(); // the stream ends after `finished`
      const events = [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
      expect(events[0]).toBe('state');
      expect(events.at(-1)).toBe('finished');
      if (events.includes('progress')) expect(events.filter((e) => e === 'item').length).toBeGreaterThan(0);
      const last = JSON.parse(
        text
          .trim()
          .split('\n')
          .at(-1)!
          .replace(/^data: /, ''),
      );
      expect(last).toMatchObject({ state: 'succeeded', done: 3, total: 3 });
    } finally {
      await app.close();
    }
  });

  it('shows in-flight inference and jobs as activity, live over Server-Sent Events', async () => {
    const { app, client: c, projectId, images } = await project(2);
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const controller = new AbortController();
      const res = await fetch(`${address}/api/v1/activity/events`, {
        headers: { authorization: `Bearer ${app.segkit.adminToken}` },
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      let text = '';
      const until = async (pattern: RegExp) => {
        while (!pattern.test(text)) text += new TextDecoder().decode((await reader.read()).value);
      };
      await until(/event: snapshot/);
      await c('POST', `/api/v1/images/${images[0]!.id}/segment`, { points: [{ x: 50, y: 50, label: 1 }] });
      await until(/event: inference-end/);
      expect(text).toMatch(/event: inference-start\ndata: .*"kind":"segment"/);
      const job = (await c('POST', `/api/v1/projects/${projectId}/process`, { mode: 'inside_box' })).json;
      await until(/event: finished/);
      expect(text).toContain(`"id":${job.id}`);
      controller.abort();
      const now = (await c('GET', '/api/v1/activity')).json;
      expect(now).toEqual({ inference: [], jobs: [] });
    } finally {
      await app.close();
    }
  });

  it('text-batch, build-seg and analyze jobs', async () => {
    const { client: c, projectId, images, dataDir } = await project(3);
    // text-batch: one mask per label on each image; running it again replaces them, never duplicates.
    for (let run = 0; run < 2; run++) {
      const job = (
        await c('POST', `/api/v1/projects/${projectId}/text-batch`, { prompts: { blue: ['blue'] } })
      ).json;
      expect(await waitFor(c, job.id)).toMatchObject({ state: 'succeeded', result: { images: 3, masks: 3 } });
    }
    for (const [i, img] of images.entries()) {
      const blue = (await c('GET', `/api/v1/images/${img.id}/annotations?label=blue`)).json;
      expect(blue).toHaveLength(1);
      expect(iou(rleToMask(blue[0].rle), colourScene(i).truth.blue)).toBeGreaterThanOrEqual(0.8);
    }
    // build-seg: the inside_box boxes have no mask yet; the job gives each its SAM mask.
    const build = (await c('POST', `/api/v1/projects/${projectId}/build-seg`, {})).json;
    expect(await waitFor(c, build.id)).toMatchObject({ state: 'succeeded', result: { masks: 3 } });
    const box = (await c('GET', `/api/v1/images/${images[0]!.id}/annotations?mode=inside_box&source=user`))
      .json;
    expect(iou(rleToMask(box[0].rle), colourScene(0).truth.red)).toBeGreaterThanOrEqual(0.9);
    // analyze: the analytics run over the project's images, kept in the data directory.
    const an = (await c('POST', `/api/v1/projects/${projectId}/analyze`, { minClusterSize: 2 })).json;
    const done = await waitFor(c, an.id);
    expect(done.state).toBe('succeeded');
    expect(done.result.counts).toMatchObject({ images: 3 });
    expect(done.result.dir.startsWith(join(dataDir, 'runs', `project-${projectId}`))).toBe(true);
  });

  it('cancels at the next item boundary and keeps finished items', async () => {
    const { client: c, projectId } = await project(4);
    const job = (await c('POST', `/api/v1/projects/${projectId}/process`, { mode: 'find_all' })).json;
    for (let i = 0; i < 400 && (await c('GET', `/api/v1/jobs/${job.id}`)).json.done < 1; i++) await sleep(10);
    const cancelled = await c('POST', `/api/v1/jobs/${job.id}/cancel`);
    expect(cancelled.status).toBe(200);
    const end = await waitFor(c, job.id);
    expect(['cancelled', 'succeeded']).toContain(end.state); // it may have finished before the request landed
    if (end.state === 'cancelled') expect(end.done).toBeLessThan(4);
    expect(end.done).toBeGreaterThanOrEqual(1);
    const bad = await c('POST', `/api/v1/projects/${projectId}/process`, {
      mode: 'inside_box',
      imageIds: [999999],
    });
    expect(bad.json.error.code).toBe('E_INVALID_ARGUMENT');
  });
});
