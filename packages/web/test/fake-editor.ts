// Fakes for the editor's tests: an API, a decoder and a save queue that record what the editor asks of them. The
// fake decoder answers a click with a 21×21 square around it (a box with the box itself), so results are checkable.

import type { Mask } from '@segkit/core/mask';
import type { DecoderInfoT, ImageT } from '../src/api.js';
import type { Editor, EditorApi, EditorDeps, SaveQueue } from '../src/editor/editor.js';
import type { DraftPrompt } from '../src/editor/prompt.js';
import { pickGraph } from '../src/editor/prompt.js';
import type { Op } from '../src/editor/sync.js';

export const W = 64;
export const H = 48;

export function square(cx: number, cy: number, r = 10): Mask {
  const data = new Uint8Array(W * H);
  for (let y = Math.max(0, cy - r); y <= Math.min(H - 1, cy + r); y++)
    for (let x = Math.max(0, cx - r); x <= Math.min(W - 1, cx + r); x++) data[y * W + x] = 1;
  return { width: W, height: H, data };
}

export const image = (id = 1): ImageT =>
  ({
    id,
    projectId: 1,
    sha256: 'x',
    fileName: `img${id}.png`,
    width: W,
    height: H,
    textPrompt: null,
    createdAt: '2026-01-01',
    status: { inside_box: 'todo', find_all: 'todo' },
    errors: { inside_box: null, find_all: null },
    annotations: { inside_box: 0, find_all: 0 },
    exemplars: 0,
  }) as unknown as ImageT;

export function fakeDecoder(opts: { boxes?: boolean; empty?: boolean } = {}) {
  const info: DecoderInfoT = {
    model: 'fake-sam',
    family: 'sam',
    browser: true,
    candidates: 3,
    graphs: [{ index: 0, layout: 'sam', points: true, boxes: opts.boxes ?? true, bytes: 1, data: [] }],
  };
  const runs: DraftPrompt[] = [];
  return {
    info,
    where: 'fake',
    runs,
    accepts: (p: DraftPrompt) => pickGraph(info.graphs, p) !== undefined,
    async decode(_emb: unknown, p: DraftPrompt, stale?: () => boolean) {
      await Promise.resolve();
      if (stale?.()) throw new Error('stale');
      runs.push(p);
      if (opts.empty) return { candidates: [{ mask: square(0, 0, -1), score: 0.1 }] };
      const last = p.clicks.at(-1);
      const [cx, cy] = last ? last.point.map(Math.floor) : [p.box![0] + 5, p.box![1] + 5];
      return {
        candidates: [
          { mask: square(cx!, cy!), score: 0.9 },
          { mask: square(cx!, cy!, 4), score: 0.5 },
        ],
      };
    },
  };
}

export function fakeDeps(decoder: ReturnType<typeof fakeDecoder> | null, clock: { t: number }) {
  const ops: Op[] = [];
  const calls: string[] = [];
  const api = {
    image: async (id: number) => image(id),
    annotations: async () => [],
    preload: async () => ({}),
    segment: async () => {
      calls.push('segment');
      throw new Error('E_INTERNAL: the server is down');
    },
    updateImage: async (id: number) => image(id),
    findAll: async () => ({ annotations: [], model: null }),
    refineBox: async () => ({}),
    classify: async () => ({}),
    pointToBox: async () => ({}),
    projectModels: async () => ({}),
  } as unknown as EditorApi;
  const queue: SaveQueue = {
    know: () => undefined,
    push: (o) => ops.push(...o),
    discard: () => undefined,
    overwrite: async () => undefined,
    close: () => undefined,
  };
  const classic: DecoderInfoT = {
    model: 'classic',
    family: 'classic',
    browser: false,
    candidates: 1,
    graphs: [],
  };
  const deps: EditorDeps = {
    api,
    loadDecoder: async () => decoder ?? { info: classic },
    loadEmbedding: async (imageId) => ({
      imageId,
      tensors: {},
      originalSize: [H, W],
      reshapedSize: [H, W],
      frameSize: [H, W],
    }),
    saves: { open: () => queue, restore: () => ({ ops: [], ids: [] }) },
    now: () => clock.t,
  };
  return { deps, ops, calls, api };
}

/** Waits until the editor's pending promises have settled. */
export const settle = () => new Promise((r) => setTimeout(r, 0));

export type { Editor };
