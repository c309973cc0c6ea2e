// The save queue: edits reach the server in order, survive a network error and a reload (localStorage), and a 409
// stops the queue and is reported instead of overwriting.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LocalAnnotation } from '../src/editor/history.js';
import { opsOf, SyncQueue } from '../src/editor/sync.js';

const store = new Map<string, string>();
const calls: { method: string; url: string; body: unknown; ifMatch?: string }[] = [];
let respond: (method: string, url: string) => { status: number; body: unknown } | 'network';

beforeEach(() => {
  store.clear();
  calls.length = 0;
  vi.stubGlobal('localStorage', {
    getItem: (k: string) => store.get(k) ?? null,
    setItem: (k: string, v: string) => store.set(k, v),
    removeItem: (k: string) => store.delete(k),
  });
  vi.stubGlobal('fetch', async (url: string, init: RequestInit = {}) => {
    const method = init.method ?? 'GET';
    calls.push({
      method,
      url,
      body: init.body ? JSON.parse(String(init.body)) : undefined,
      ifMatch: (init.headers as Record<string, string> | undefined)?.['if-match'],
    });
    const r = respond(method, url);
    if (r === 'network') throw new TypeError('fetch failed');
    if (r.status === 204) return new Response(null, { status: 204 });
    return new Response(JSON.stringify(r.body), {
      status: r.status,
      headers: { 'content-type': 'application/json' },
    });
  });
});
afterEach(() => vi.unstubAllGlobals());

const ann = (key: string): LocalAnnotation => ({
  key,
  id: null,
  version: 0,
  imageId: 7,
  mode: 'inside_box',
  label: null,
  promptType: 'segment',
  source: 'user',
  bbox: [1, 2, 3, 4],
  rle: null,
  score: null,
  model: null,
});

function events() {
  const log: string[] = [];
  return {
    log,
    on: {
      saved: (key: string, id: number, version: number) => log.push(`saved ${key} ${id} v${version}`),
      pending: (n: number) => log.push(`pending ${n}`),
      blocked: (e: { status: number }) => log.push(`blocked ${e.status}`),
      offline: (e: unknown) => e && log.push('offline'),
    },
  };
}
const settle = () => new Promise((r) => setTimeout(r, 20));

describe('save queue', () => {
  it('creates, updates (If-Match with the version the server gave) and deletes in order', async () => {
    respond = (method) => ({
      status: method === 'DELETE' ? 204 : 200,
      body: { id: 41, version: method === 'POST' ? 1 : 2 },
    });
    const e = events();
    const q = new SyncQueue(7, 'inside_box', e.on);
    const a = ann('k1');
    q.push(opsOf({ kind: 'add', annotation: a }));
    q.push(opsOf({ kind: 'update', key: 'k1', before: { label: null }, after: { label: 'cup' } }));
    q.push(opsOf({ kind: 'remove', annotation: a }));
    await settle();
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'POST /api/v1/images/7/annotations',
      'PATCH /api/v1/annotations/41',
      'DELETE /api/v1/annotations/41',
    ]);
    expect(calls[1]!.ifMatch).toBe('1');
    expect(calls[1]!.body).toEqual({ label: 'cup' });
    expect(e.log).toContain('saved k1 41 v1');
    expect(store.size).toBe(0);
  });

  it('a network error keeps the edit in localStorage; a new queue (after a reload) restores and sends it', async () => {
    respond = () => 'network';
    const e = events();
    const q = new SyncQueue(7, 'inside_box', e.on);
    q.push(opsOf({ kind: 'add', annotation: ann('k2') }));
    await settle();
    expect(e.log).toContain('offline');
    q.close();
    const saved = SyncQueue.restore(7, 'inside_box');
    expect(saved.ops).toEqual([{ type: 'create', key: 'k2', annotation: ann('k2') }]);
    respond = () => ({ status: 200, body: { id: 5, version: 1 } });
    const again = new SyncQueue(7, 'inside_box', events().on);
    again.push(saved.ops);
    await settle();
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(2);
    expect(store.size).toBe(0);
  });

  it('a 409 conflict stops the queue, is reported, and keeps the edit until the user chooses', async () => {
    respond = (method) =>
      method === 'PATCH'
        ? {
            status: 409,
            body: { error: { code: 'E_CONFLICT', message: 'Annotation 9 is at version 3, not 1' } },
          }
        : { status: 200, body: { id: 9, version: 1 } };
    const e = events();
    const q = new SyncQueue(7, 'inside_box', e.on);
    q.know('s9', 9, 1);
    q.push(opsOf({ kind: 'update', key: 's9', before: { label: null }, after: { label: 'a' } }));
    q.push(opsOf({ kind: 'update', key: 's9', before: { label: 'a' }, after: { label: 'b' } }));
    await settle();
    expect(e.log).toContain('blocked 409');
    expect(calls.filter((c) => c.method === 'PATCH')).toHaveLength(1);
    expect(q.length).toBe(2);
    expect(SyncQueue.restore(7, 'inside_box').ops).toHaveLength(2);
    q.discard();
    expect(store.size).toBe(0);
  });
});
