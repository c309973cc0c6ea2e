import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { iou, rleToMask } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import { colourScene } from '../../analytics/test/helpers/colour-images.js';
import { fixture, multipart, repo, server, tmp } from './helpers.js';

/** A project whose models are the fixtures, with examples/shapes/img00.png uploaded. */
async function shapesProject() {
  const s = await server();
  const p = await s.client('POST', '/api/v1/projects', {
    name: 'shapes',
    labels: [
      { name: 'red', colour: '#d22828' },
      { name: 'blue', colour: '#283cc8' },
    ],
    settings: { models: { text: fixture('clipseg-fixture'), embed: fixture('clip-fixture') } },
  });
  const up = multipart([{ name: 'img00.png', bytes: readFileSync(join(repo, 'examples/shapes/img00.png')) }]);
  const u = await s.client('POST', `/api/v1/projects/${p.json.id}/images`, up.body, up.headers);
  return {
    ...s,
    projectId: p.json.id as number,
    imageId: u.json.images[0].id as number,
    truth: colourScene(0).truth,
  };
}

describe('find-all on the server', () => {
  it('needs a prompt or exemplars: 400 with exactly the promised message, and no rows', async () => {
    const { client: c, imageId } = await shapesProject();
    const r = await c('POST', `/api/v1/images/${imageId}/find-all`, {});
    expect(r.status).toBe(400);
    expect(r.json).toEqual({
      error: { code: 'E_FIND_ALL_NEEDS_PROMPT', message: 'Find-all requires text prompt or exemplar boxes' },
    });
    expect((await c('GET', `/api/v1/images/${imageId}/annotations`)).json).toEqual([]);
  });

  it('saves what it finds as model-made find_all annotations; a second run replaces them, user ones stay', async () => {
    const { client: c, imageId, truth } = await shapesProject();
    await c('PATCH', `/api/v1/images/${imageId}`, { textPrompt: 'blue' });
    const user = await c('POST', `/api/v1/images/${imageId}/annotations`, {
      mode: 'find_all',
      bbox: [1, 1, 10, 10],
    });
    const boxOnly = await c('POST', `/api/v1/images/${imageId}/annotations`, {
      mode: 'inside_box',
      bbox: [1, 1, 10, 10],
    });
    const first = await c('POST', `/api/v1/images/${imageId}/find-all`, {});
    expect(first.status).toBe(200);
    expect(first.json.annotations).toHaveLength(1);
    const [a] = first.json.annotations;
    expect(a).toMatchObject({ mode: 'find_all', promptType: 'segment', source: 'model' });
    expect(iou(rleToMask(a.rle), truth.blue)).toBeGreaterThanOrEqual(0.9);
    const second = await c('POST', `/api/v1/images/${imageId}/find-all`, {});
    expect(second.json.annotations).toHaveLength(1);
    expect(second.json.annotations[0].id).not.toBe(a.id);
    const all = (await c('GET', `/api/v1/images/${imageId}/annotations`)).json as {
      id: number;
      source: string;
    }[];
    expect(all.map((x) => x.id).sort()).toEqual(
      [user.json.id, boxOnly.json.id, second.json.annotations[0].id].sort(),
    );
    // Nothing found: 200 and an empty list, no rows created.
    const none = await c('POST', `/api/v1/images/${imageId}/find-all`, { text: 'zebra' });
    expect(none).toMatchObject({ status: 200, json: { annotations: [] } });
    expect((await c('GET', `/api/v1/images/${imageId}/annotations?source=model`)).json).toEqual([]);
  });

  it('uses positive exemplar annotations when there is no text prompt', async () => {
    const { client: c, imageId, truth } = await shapesProject();
    const box = (m: { width: number; height: number; data: Uint8Array }) => {
      let [x0, y0, x1, y1] = [m.width, m.height, 0, 0];
      for (let i = 0; i < m.data.length; i++)
        if (m.data[i]) {
          const px = i % m.width;
          const py = (i - px) / m.width;
          x0 = Math.min(x0, px);
          y0 = Math.min(y0, py);
          x1 = Math.max(x1, px + 1);
          y1 = Math.max(y1, py + 1);
        }
      return [x0, y0, x1 - x0, y1 - y0];
    };
    await c('POST', `/api/v1/images/${imageId}/annotations`, {
      mode: 'find_all',
      promptType: 'positive_exemplar',
      bbox: box(truth.green),
    });
    const r = await c('POST', `/api/v1/images/${imageId}/find-all`, {});
    expect(r.status).toBe(200);
    expect(r.json.annotations.some((a: { rle: never }) => iou(rleToMask(a.rle), truth.green) >= 0.9)).toBe(
      true,
    );
  });
});

describe('the other inference routes', () => {
  it('refine-box, point-to-box, text, panoptic, classify, preload and the embedding download', async () => {
    process.env.SEGKIT_CACHE_DIR = tmp('segkit-cache-'); // an empty encoder cache, so the first preload encodes
    const { client: c, imageId, truth } = await shapesProject();
    const first = await c('POST', `/api/v1/images/${imageId}/preload`, {});
    const again = await c('POST', `/api/v1/images/${imageId}/preload`, {});
    expect([first.json.cached, again.json.cached]).toEqual([false, true]);
    const refined = await c('POST', `/api/v1/images/${imageId}/point-to-box`, { x: 40, y: 30 });
    expect(refined.status).toBe(200);
    expect(iou(rleToMask(refined.json.rle), truth.red)).toBeGreaterThanOrEqual(0.9);
    const tight = await c('POST', `/api/v1/images/${imageId}/refine-box`, {
      box: refined.json.box.map((v: number, i: number) => (i < 2 ? Math.max(0, v - 4) : v + 8)),
    });
    expect(tight.json.box).toEqual(refined.json.box);
    const text = await c('POST', `/api/v1/images/${imageId}/text`, {
      prompts: { red: ['segment red'], blue: ['blue'] },
    });
    expect(text.json.masks.map((m: { label: string }) => m.label)).toEqual(['red', 'blue']);
    expect(iou(rleToMask(text.json.masks[1].rle), truth.blue)).toBeGreaterThanOrEqual(0.8);
    const pan = await c('POST', `/api/v1/images/${imageId}/panoptic`, { model: fixture('detr-fixture') });
    expect(pan.status).toBe(200);
    expect(pan.json.segments.map((s: { label: string }) => s.label)).toContain('sky-other-merged');
    const cls = await c('POST', `/api/v1/images/${imageId}/classify`, { rle: text.json.masks[1].rle });
    expect(cls.json.ranked[0].label).toBe('blue');
    const emb = await c('GET', `/api/v1/images/${imageId}/embedding`);
    const meta = JSON.parse(String(emb.res.headers['x-segkit-embedding']));
    expect(meta).toMatchObject({
      dtype: 'float16',
      family: 'sam',
      originalSize: [180, 240],
      reshapedSize: [768, 1024],
      frameSize: [1024, 1024],
    });
    expect(meta.tensors.map((t: { name: string; dims: number[] }) => [t.name, t.dims])).toEqual([
      ['image_embeddings', [1, 256, 64, 64]],
      ['image_positional_embeddings', [1, 256, 64, 64]],
    ]);
    expect(emb.res.rawPayload.length).toBe(2 * 256 * 64 * 64 * 2);
    const f32 = await c('GET', `/api/v1/images/${imageId}/embedding?dtype=float32`);
    expect(f32.res.rawPayload.length).toBe(2 * 256 * 64 * 64 * 4);
  });
});
