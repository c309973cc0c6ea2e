// The server's defences, one test each: response headers, CSRF for cookie sessions, uploads that are not images,
// names that try to leave the data directory, the per-client inference cap, slow clients, tokens kept out of logs,
// and a full or read-only disk. docs/security.md points at these.
import { existsSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { encodeImage } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import { scene } from '../../models/test/helpers/shapes.js';
import { CSP } from '../src/security.js';
import { fixture, multipart, server } from './helpers.js';

/** The test scene as PNG; `k` changes one pixel, so each k is another image (uploads are de-duplicated by bytes). */
/** A raw client that sends `first`, then one more piece every 100 ms until the server closes (or 10 s pass). */
function slowClient(
  port: number,
  first: string,
  next: () => string,
): Promise<{ ms: number; answer: string }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let answer = '';
    sock.on('data', (d) => {
      answer += d.toString();
    });
    sock.write(first);
    const drip = setInterval(() => sock.write(next()), 100);
    const give = setTimeout(() => sock.destroy(), 10_000);
    sock.on('close', () => {
      clearInterval(drip);
      clearTimeout(give);
      resolve({ ms: Date.now() - started, answer });
    });
  });
}

const png = async (k = 0) => {
  const image = scene().image;
  image.data[0] = k;
  return encodeImage(image, 'png');
};

async function withImage() {
  const s = await server();
  const p = (await s.client('POST', '/api/v1/projects', { name: 'P' })).json.id as number;
  const up = multipart([{ name: 's.png', bytes: await png() }]);
  const img = (await s.client('POST', `/api/v1/projects/${p}/images`, up.body, up.headers)).json.images[0]
    .id as number;
  return { ...s, p, img };
}

describe('response headers', () => {
  it('every answer forbids inline scripts, sniffing and framing; images come back as image types only', async () => {
    const { app, client, img } = await withImage();
    expect(CSP).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(CSP.split('; ').find((d) => d.startsWith('script-src'))).not.toContain('unsafe-inline');
    for (const url of ['/', '/api/v1/projects', `/api/v1/images/${img}/file`, '/api/v1/nope', '/metrics']) {
      const res = url.startsWith('/api') ? (await client('GET', url)).res : await app.inject({ url });
      expect(res.headers['content-security-policy'], url).toBe(CSP);
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['x-frame-options'], url).toBe('DENY');
      // Cross-origin isolated, so that the browser decoder gets WebAssembly threads (SharedArrayBuffer).
      expect(res.headers['cross-origin-opener-policy'], url).toBe('same-origin');
      expect(res.headers['cross-origin-embedder-policy'], url).toBe('require-corp');
    }
    expect((await client('GET', `/api/v1/images/${img}/file`)).res.headers['content-type']).toBe('image/png');
    expect((await client('GET', `/api/v1/images/${img}/thumbnail`)).res.headers['content-type']).toBe(
      'image/jpeg',
    );
  });

  it('an uploaded SVG or HTML file is refused, whatever its name says', async () => {
    const { client, p } = await withImage();
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    const html = Buffer.from('<!doctype html><script>alert(1)</script>');
    for (const [name, bytes] of [
      ['x.svg', svg],
      ['x.png', html],
      ['x.html', html],
    ] as const) {
      const up = multipart([{ name, bytes }]);
      const r = await client('POST', `/api/v1/projects/${p}/images`, up.body, up.headers);
      expect(r.status, name).toBe(400);
      expect(r.json.error.code).toBe('E_IMAGE_UNSUPPORTED');
    }
  });

  it('labels, names and prompts come back as the data they were, never rewritten into markup', async () => {
    const { client, img } = await withImage();
    const evil = '<img src=x onerror=alert(1)>';
    const proj = await client('POST', '/api/v1/projects', {
      name: evil,
      labels: [{ name: evil, colour: '#ff0000' }],
    });
    expect(proj.json.name).toBe(evil);
    expect(proj.res.headers['content-type']).toMatch(/^application\/json/);
    await client('PATCH', `/api/v1/images/${img}`, { textPrompt: evil });
    expect((await client('GET', `/api/v1/images/${img}`)).json.textPrompt).toBe(evil);
  });
});

describe('CSRF', () => {
  it('a state-changing request with the session cookie from another origin is refused; the app’s own pages pass', async () => {
    const { app } = await server();
    const cookie = `segkit_token=${encodeURIComponent(app.segkit.adminToken!)}`;
    const post = (headers: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/projects',
        headers: { cookie, host: '127.0.0.1:7860', 'content-type': 'application/json', ...headers },
        payload: JSON.stringify({ name: `p${Math.random()}` }),
      });
    const evil = await post({ origin: 'https://evil.example' });
    expect(evil.statusCode).toBe(403);
    expect(evil.json().error.code).toBe('E_CSRF');
    expect((await post({})).json().error.code).toBe('E_CSRF'); // no Origin, no Sec-Fetch-Site: a plain form post
    expect((await post({ origin: 'null' })).statusCode).toBe(403);
    expect((await post({ origin: 'http://127.0.0.1:7860' })).statusCode).toBe(201);
    expect((await post({ 'sec-fetch-site': 'same-origin' })).statusCode).toBe(201);
    // Reads with the cookie, and scripts with a bearer token, are not cookie-session writes.
    const read = await app.inject({
      url: '/api/v1/projects',
      headers: { cookie, origin: 'https://evil.example' },
    });
    expect(read.statusCode).toBe(200);
    const bearer = await app.inject({
      method: 'POST',
      url: '/api/v1/projects',
      headers: { authorization: `Bearer ${app.segkit.adminToken}`, origin: 'https://evil.example' },
      payload: { name: 'script' },
    });
    expect(bearer.statusCode).toBe(201);
    // The cookie the printed URL sets cannot be sent by another site at all.
    const set = await app.inject({ url: `/?token=${app.segkit.adminToken}` });
    expect(set.headers['set-cookie']).toMatch(/HttpOnly; SameSite=Strict/);
  });
});

describe('paths', () => {
  it('an upload name that climbs out of the data directory is reduced to its last part and stored by hash', async () => {
    const { client, p, dataDir } = await withImage();
    const up = multipart([{ name: '../../../../tmp/segkit-escape.png', bytes: await png(1) }]);
    const before = readdirSync(dataDir).sort();
    const r = await client('POST', `/api/v1/projects/${p}/images`, up.body, up.headers);
    expect(r.status).toBe(201);
    expect(r.json.images[0].fileName).toBe('segkit-escape.png');
    expect(readdirSync(dataDir).sort()).toEqual(before);
    expect(existsSync(join(dataDir, '..', 'segkit-escape.png'))).toBe(false);
  });
});

describe('resource limits', () => {
  it('one client gets at most N inference calls in flight (429 E_RATE_LIMITED with retry-after); slots come back', async () => {
    const { client, img } = await withImage();
    const { app } = await server(); // a second app only to show the default
    expect(app.segkit.ctx.limits.inflightPerClient).toBe(4);
    const s = await server({ limits: { inflightPerClient: 1 } });
    const p = (await s.client('POST', '/api/v1/projects', { name: 'P' })).json.id as number;
    const up = multipart([{ name: 's.png', bytes: await png() }]);
    const id = (await s.client('POST', `/api/v1/projects/${p}/images`, up.body, up.headers)).json.images[0]
      .id;
    const calls = await Promise.all(
      [0, 1, 2].map(() =>
        s.client('POST', `/api/v1/images/${id}/segment`, { points: [{ x: 10, y: 10, label: 1 }] }),
      ),
    );
    const statuses = calls.map((c) => c.status).sort();
    expect(statuses[0]).toBe(200);
    expect(statuses).toContain(429);
    const refused = calls.find((c) => c.status === 429)!;
    expect(refused.json.error.code).toBe('E_RATE_LIMITED');
    expect(refused.res.headers['retry-after']).toBe('1');
    // Once the first call is answered its slot is free again, for as many calls in a row as we like.
    for (let k = 0; k < 3; k++)
      expect((await s.client('POST', `/api/v1/images/${id}/segment`, {})).status).toBe(200);
    expect((await client('POST', `/api/v1/images/${img}/segment`, {})).status).toBe(200);
  });

  it('a client that sends its headers slowly (slowloris) is cut off after the headers timeout', async () => {
    const { app } = await server({ limits: { headersTimeoutMs: 600 } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as { port: number };
    const closed = await slowClient(
      port,
      'GET /api/v1/projects HTTP/1.1\r\nHost: 127.0.0.1\r\n',
      () => `X-Slow-${Date.now()}: 1\r\n`,
    );
    await app.close();
    expect(closed.ms).toBeLessThan(5000);
    expect(closed.answer).toMatch(/^HTTP\/1\.1 408/);
  });
});

describe('slow bodies', () => {
  it('a client that sends its body too slowly is cut off after the request timeout', async () => {
    const { app } = await server({ limits: { requestTimeoutMs: 800, headersTimeoutMs: 600 } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as { port: number };
    const closed = await slowClient(
      port,
      `POST /api/v1/projects HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${app.segkit.adminToken}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"name":"`,
      () => 'x',
    );
    await app.close();
    expect(closed.ms).toBeLessThan(5000);
    expect(closed.answer).toMatch(/^HTTP\/1\.1 408/);
  });
});

describe('secrets', () => {
  it('tokens are stored only as SHA-256 and found by that hash, so no secret is ever compared byte by byte', async () => {
    const { app, dataDir } = await server();
    const token = app.segkit.adminToken!;
    const rows = await app.segkit.ctx.db.selectFrom('token').select('hash').execute();
    const { createHash } = await import('node:crypto');
    expect(rows.map((r) => r.hash)).toContain(createHash('sha256').update(token).digest('hex'));
    await app.close();
    const { readFileSync } = await import('node:fs');
    for (const f of ['segkit.db', 'segkit.db-wal'])
      if (existsSync(join(dataDir, f)))
        expect(readFileSync(join(dataDir, f)).includes(Buffer.from(token))).toBe(false);
  });

  it('no token appears in the request log or in an error message', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const { app } = await server({ logger: { level: 'info', stream } });
    const token = app.segkit.adminToken;
    await app.inject({ url: `/?token=${token}` });
    await app.inject({ url: '/api/v1/projects', headers: { authorization: `Bearer ${token}` } });
    const bad = await app.inject({
      url: '/api/v1/projects',
      headers: { authorization: 'Bearer not-a-real-token-123' },
    });
    expect(bad.statusCode).toBe(401);
    expect(bad.body).not.toContain('not-a-real-token-123');
    await app.inject({ url: `/api/v1/nope?token=${token}` });
    expect(lines.length).toBeGreaterThan(2);
    for (const l of lines) {
      expect(l).not.toContain(token);
      expect(l).not.toContain('not-a-real-token-123');
    }
  });
});

describe('storage', () => {
  it('a full disk answers 507 E_NO_SPACE, keeps the database as it was, and writes again once space returns', async () => {
    const { client, app, p } = await withImage();
    const blobs = app.segkit.ctx.blobs;
    const put = blobs.put.bind(blobs);
    let full = true;
    blobs.put = async (bytes: Uint8Array) => {
      if (full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return put(bytes);
    };
    const up = multipart([{ name: 'new.png', bytes: await png(2) }]);
    const before = (await client('GET', `/api/v1/projects/${p}/images`)).json.total;
    const r = await client('POST', `/api/v1/projects/${p}/images`, up.body, up.headers);
    expect(r.status).toBe(507);
    expect(r.json.error.code).toBe('E_NO_SPACE');
    expect((await client('GET', `/api/v1/projects/${p}/images`)).json.total).toBe(before);
    full = false;
    expect((await client('POST', `/api/v1/projects/${p}/images`, up.body, up.headers)).status).toBe(201);
    expect((await client('GET', `/api/v1/projects/${p}/images`)).json.total).toBe(before + 1);
  });
});

describe('the server-wide inference gate', () => {
  it('lets at most N calls run, queues the rest in order, and hands each freed slot to the next', async () => {
    const { Gate } = await import('../src/security.js');
    const gate = new Gate(2);
    const order: string[] = [];
    let running = 0;
    let most = 0;
    const call = async (name: string, ms: number) => {
      await gate.enter();
      running++;
      most = Math.max(most, running);
      order.push(name);
      await new Promise((r) => setTimeout(r, ms));
      running--;
      gate.leave();
    };
    await Promise.all([call('a', 30), call('b', 10), call('c', 5), call('d', 5), call('e', 5)]);
    expect(most).toBe(2);
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(gate.queued).toBe(0);
  });

  it('calls beyond the server-wide cap wait and then succeed (never refused for it)', async () => {
    const s = await server({ limits: { inferenceConcurrency: 1 } });
    const p = (await s.client('POST', '/api/v1/projects', { name: 'P' })).json.id as number;
    const up = multipart([{ name: 's.png', bytes: await png(9) }]);
    const id = (await s.client('POST', `/api/v1/projects/${p}/images`, up.body, up.headers)).json.images[0]
      .id;
    const calls = await Promise.all(
      [0, 1, 2, 3].map(() => s.client('POST', `/api/v1/images/${id}/segment`, {})),
    );
    expect(calls.map((c) => c.status)).toEqual([200, 200, 200, 200]);
  });
});

describe('a client that leaves mid-call', () => {
  it('keeps its slots until the server’s work is really over, so disconnect-and-retry cannot pile up work', async () => {
    const s = await server();
    const models = { text: fixture('clipseg-fixture'), embed: fixture('clip-fixture') };
    const p = (await s.client('POST', '/api/v1/projects', { name: 'P', settings: { models } })).json
      .id as number;
    const up = multipart([{ name: 's.png', bytes: await png(11) }]);
    const id = (await s.client('POST', `/api/v1/projects/${p}/images`, up.body, up.headers)).json.images[0]
      .id;
    await s.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = s.app.server.address() as { port: number };
    const ctx = s.app.segkit.ctx;
    const ac = new AbortController();
    const call = fetch(`http://127.0.0.1:${port}/api/v1/images/${id}/find-all`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.app.segkit.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'red' }),
      signal: ac.signal,
    }).catch(() => 'aborted');
    while (ctx.interactive === 0) await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    expect(await call).toBe('aborted');
    await new Promise((r) => setTimeout(r, 50));
    expect(ctx.interactive).toBe(1); // the client is gone; the find-all still runs and still counts
    const t0 = Date.now();
    while (ctx.interactive > 0 && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 20));
    expect(ctx.interactive).toBe(0); // released once the work ended
    await s.app.close();
  }, 60_000);
});
