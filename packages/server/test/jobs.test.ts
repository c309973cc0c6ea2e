import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
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
    if (['succeeded', 'partial', 'failed', 'cancelled'].includes(j.state)) return j;
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

  it('a job whose items failed ends partial (some) or failed (all), with each item’s reason through the API', async () => {
    const { client: c, projectId, images } = await project(3);
    // Image 2 loses its prompt and image 1 its box: find-all has nothing to look for, inside-box nothing to segment.
    await c('PATCH', `/api/v1/images/${images[2]!.id}`, { textPrompt: null });
    const box = (await c('GET', `/api/v1/images/${images[1]!.id}/annotations?mode=inside_box`)).json[0];
    await c('DELETE', `/api/v1/annotations/${box.id}`, undefined, { 'if-match': String(box.version) });
    const find = (await c('POST', `/api/v1/projects/${projectId}/process`, { mode: 'find_all' })).json;
    expect(await waitFor(c, find.id)).toMatchObject({ state: 'partial', done: 3, total: 3, failedItems: 1 });
    const failed = (await c('GET', `/api/v1/jobs/${find.id}/items?failed=true`)).json.items;
    expect(failed).toEqual([
      {
        item: String(images[2]!.id),
        error: { code: 'E_FIND_ALL_NEEDS_PROMPT', message: expect.stringMatching(/text prompt or exemplar/) },
        finishedAt: expect.any(String),
        worker: `${hostname()}:${process.pid}`, // the in-process worker finished it
      },
    ]);
    const all = (await c('GET', `/api/v1/jobs/${find.id}/items`)).json.items;
    expect(all.map((i: { error: unknown }) => i.error === null)).toEqual(
      [true, true, false].sort().reverse(),
    );
    const inside = (await c('POST', `/api/v1/projects/${projectId}/process`, { mode: 'inside_box' })).json;
    expect(await waitFor(c, inside.id)).toMatchObject({ state: 'partial', failedItems: 1 });
    const noBox = (await c('GET', `/api/v1/jobs/${inside.id}/items?failed=true`)).json.items;
    expect(
      noBox.map((i: { item: string; error: { code: string; message: string } }) => [i.item, i.error.code]),
    ).toEqual([[String(images[1]!.id), 'E_NO_BOXES']]);
    expect(noBox[0].error.message).toMatch(/no boxes to segment/i);
    const result = (await c('GET', `/api/v1/images/${images[1]!.id}/results`)).json.find(
      (r: { mode: string }) => r.mode === 'inside_box',
    );
    expect(result).toMatchObject({ status: 'failed', error: expect.stringMatching(/no boxes to segment/i) });
    // Every item failing is a failed job whose error names the reason.
    const only = (
      await c('POST', `/api/v1/projects/${projectId}/process`, {
        mode: 'inside_box',
        imageIds: [images[1]!.id],
      })
    ).json;
    expect(await waitFor(c, only.id)).toMatchObject({
      state: 'failed',
      failedItems: 1,
      error: expect.stringMatching(/no boxes to segment/i),
    });
    // A job of another project's member cannot be listed; bad queries are 400.
    expect((await c('GET', `/api/v1/jobs/${find.id}/items?limit=0`)).status).toBe(400);
    expect((await c('GET', '/api/v1/jobs/99999/items')).status).toBe(404);
  });

  it('find-all and analytics use the text and embedding models the server was started with', async () => {
    const s = await server({
      defaultTextModel: fixture('clipseg-fixture'),
      defaultEmbedModel: fixture('clip-fixture'),
    });
    const c = s.client;
    const p = (await c('POST', '/api/v1/projects', { name: 'defaults' })).json;
    const up = multipart([
      { name: 'img00.png', bytes: readFileSync(join(repo, 'examples/shapes/img00.png')) },
    ]);
    const [img] = (await c('POST', `/api/v1/projects/${p.id}/images`, up.body, up.headers)).json.images;
    const found = await c('POST', `/api/v1/images/${img.id}/find-all`, { text: 'blue' });
    expect(found.status).toBe(200);
    expect(iou(rleToMask(found.json.annotations[0].rle), colourScene(0).truth.blue)).toBeGreaterThanOrEqual(
      0.9,
    );
    const an = (await c('POST', `/api/v1/projects/${p.id}/analyze`, { minClusterSize: 2 })).json;
    expect(await waitFor(c, an.id)).toMatchObject({ state: 'succeeded', result: { counts: { images: 1 } } });
    // The settings panel's view: each model, where it comes from, ready, and a test fixture.
    const models = (await c('GET', `/api/v1/projects/${p.id}/models`)).json;
    expect(models.text).toMatchObject({
      ref: fixture('clipseg-fixture'),
      from: 'server',
      status: 'ready',
      test: true,
    });
    expect(models.embed).toMatchObject({ from: 'server', status: 'ready', test: true, pull: null });
    expect(models.segment).toMatchObject({ from: 'server', test: true, classic: false });
  });

  it('names each model a project lacks with the command that pulls it', async () => {
    process.env.SEGKIT_OFFLINE = '1';
    const { client: c } = await server({ defaultSegmentModel: undefined });
    const p = (await c('POST', '/api/v1/projects', { name: 'bare' })).json;
    const models = (await c('GET', `/api/v1/projects/${p.id}/models`)).json;
    expect(models.text).toMatchObject({
      ref: 'clipseg',
      from: 'default',
      status: 'missing',
      pull: 'segkit models pull clipseg',
    });
    expect(models.embed).toMatchObject({ ref: 'clip', status: 'missing', pull: 'segkit models pull clip' });
    // No SAM downloaded and none named: clicks fall back to classic, and the command for SAM is given.
    expect(models.segment).toMatchObject({ ref: 'classic', classic: true, pull: 'segkit models pull sam' });
    await c('PATCH', `/api/v1/projects/${p.id}`, { settings: { models: { segment: 'classic' } } });
    expect((await c('GET', `/api/v1/projects/${p.id}/models`)).json.segment).toMatchObject({
      ref: 'classic',
      from: 'project',
      pull: null,
    });
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
