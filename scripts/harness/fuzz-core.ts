// API fuzzing driven by the server's own OpenAPI document: for every route, requests built from its schemas (path,
// query, body), then mutated (wrong types, sizes, unicode, NaN/Infinity, huge arrays, deep JSON, duplicated keys,
// wrong content types, truncated multipart). Every answer must be under 500, within 10 s, and a 4xx must carry a
// coded error body. The seeded run is repeatable; `npm run fuzz` runs it at any size, a test runs a fixed seed.
import { encodeImage, type RawImage } from '@segkit/core';
import { build, type SegkitApp } from '@segkit/server';
import fc from 'fast-check';

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
};

interface Operation {
  method: string;
  path: string;
  params: { in: string; name: string; schema: Schema }[];
  body?: Schema;
  multipart: boolean;
}

export interface FuzzFailure {
  method: string;
  url: string;
  status: number;
  why: string;
  body: string;
  /** What was sent: content type and the start of the body. */
  sent: string;
}

export interface FuzzReport {
  cases: number;
  routes: number;
  byStatus: Record<string, number>;
  failures: FuzzFailure[];
  ms: number;
}

/** A value matching a JSON schema (roughly: enough to get past validation often, so handlers are exercised too). */
function valid(schema: Schema | undefined, ids: number[], depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 6) return fc.constant(null);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alts = schema.anyOf ?? schema.oneOf;
  if (alts) return fc.oneof(...alts.map((s) => valid(s, ids, depth + 1)));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'integer':
      return fc.oneof(
        fc.constantFrom(...ids),
        fc.integer({
          min: Math.max(schema.minimum ?? -1000, -1e6),
          max: Math.min(schema.maximum ?? 1000, 1e6),
        }),
      );
    case 'number':
      return fc.double({
        min: Math.max(schema.minimum ?? -1000, -1e6),
        max: Math.min(schema.maximum ?? 1000, 1e6),
        noNaN: true,
      });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'string':
      if (schema.pattern === '^#[0-9a-fA-F]{6}$') return fc.constantFrom('#ff0000', '#00ff00');
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 20, 20) });
    case 'array':
      return fc.array(valid(schema.items, ids, depth + 1), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? 4, 4),
      });
    case 'object': {
      const props = schema.properties ?? {};
      const req = new Set(schema.required ?? []);
      const rec: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, s] of Object.entries(props)) rec[k] = valid(s, ids, depth + 1);
      return fc.record(rec, { requiredKeys: Object.keys(props).filter((k) => req.has(k)) });
    }
    default:
      return fc.constant(null);
  }
}

/** Nasty values: wrong types, extremes, unicode, sizes. */
const nasty: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    -1,
    0,
    -0,
    2 ** 53,
    2 ** 63,
    1e308,
    -1e308,
    0.5,
    '',
    ' ',
    'NaN',
    'Infinity',
    '-Infinity',
    '1e309',
    '../../../../etc/passwd',
    '\u0000',
    '\ud800',
    '💥'.repeat(50),
    '<script>alert(1)</script>',
    "'; DROP TABLE image; --",
    true,
    null,
    [],
    {},
    { __proto__: { polluted: 1 } },
    { constructor: { prototype: { polluted: 1 } } },
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.array(fc.integer(), { maxLength: 10 }),
  fc.constant('x'.repeat(100_000)),
  fc.constant(Array.from({ length: 50_000 }, (_, i) => i)),
);

/** Replaces one random spot of a value (or the value itself) by a nasty one. */
function mutate(value: unknown): fc.Arbitrary<unknown> {
  return fc.tuple(nasty, fc.nat(), fc.nat()).map(([bad, pick, key]) => {
    if (value === null || typeof value !== 'object' || pick % 4 === 0) return bad;
    const copy = structuredClone(value) as Record<string, unknown>;
    const keys = Object.keys(copy);
    if (keys.length === 0 || pick % 4 === 1) copy[`extra${key % 3}`] = bad;
    else copy[keys[key % keys.length]!] = bad;
    return copy;
  });
}

/** Raw bodies that are not what any route expects. */
const rawBodies: fc.Arbitrary<{ payload: string | Buffer; type: string }> = fc.oneof(
  fc.constantFrom(
    { payload: 'NaN', type: 'application/json' },
    { payload: '{"name": Infinity}', type: 'application/json' },
    { payload: '{"name":"a","name":"b","labels":[],"labels":{}}', type: 'application/json' },
    { payload: '{"name": "trunc', type: 'application/json' },
    { payload: '', type: 'application/json' },
    { payload: `${'['.repeat(20_000)}${']'.repeat(20_000)}`, type: 'application/json' },
    { payload: `{"a":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`, type: 'application/json' },
    { payload: 'name=x', type: 'application/x-www-form-urlencoded' },
    { payload: 'hello', type: 'text/plain' },
    { payload: '<x/>', type: 'application/xml' },
    {
      payload: '--b\r\nContent-Disposition: form-data; name="files"; filename="a.png"\r\n\r\n\x89PNG',
      type: 'multipart/form-data; boundary=b',
    },
    { payload: '--b\r\nContent-Disp', type: 'multipart/form-data; boundary=b' },
    { payload: 'x', type: 'multipart/form-data' },
  ),
  fc
    .uint8Array({ maxLength: 300 })
    .map((b) => ({ payload: Buffer.from(b), type: 'application/octet-stream' })),
);

function operations(doc: { paths: Record<string, Record<string, unknown>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const o = op as {
        parameters?: { in: string; name: string; schema: Schema }[];
        requestBody?: { content?: Record<string, { schema?: Schema }> };
      };
      const content = o.requestBody?.content ?? {};
      ops.push({
        method: method.toUpperCase(),
        path,
        params: o.parameters ?? [],
        body: content['application/json']?.schema,
        multipart: 'multipart/form-data' in content || path.endsWith('/images'),
      });
    }
  }
  return ops;
}

/** A seeded project with an image and an annotation, so generated ids reach real rows. */
async function seed(app: SegkitApp, image: RawImage): Promise<number[]> {
  const auth = { authorization: `Bearer ${app.segkit.adminToken}` };
  const p = (
    await app.inject({ method: 'POST', url: '/api/v1/projects', headers: auth, payload: { name: 'fuzz' } })
  ).json().id as number;
  const png = await encodeImage(image, 'png');
  const boundary = 'fuzzboundary';
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.png"\r\n\r\n`),
    Buffer.from(png),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const up = await app.inject({
    method: 'POST',
    url: `/api/v1/projects/${p}/images`,
    headers: { ...auth, 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload: body,
  });
  const img = up.json().images[0].id as number;
  const ann = await app.inject({
    method: 'POST',
    url: `/api/v1/images/${img}/annotations`,
    headers: auth,
    payload: { mode: 'inside_box', bbox: [2, 2, 10, 10] },
  });
  return [p, img, ann.json().id as number, 1];
}

/** Percent-encodes a value; a lone surrogate (not encodable) becomes an invalid UTF-8 sequence, itself a test. */
function enc(v: unknown): string {
  try {
    return encodeURIComponent(String(v));
  } catch {
    return '%ED%A0%80';
  }
}

const withTimeout = <T>(p: Promise<T>, ms: number) =>
  Promise.race([
    p,
    new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`no answer within ${ms} ms`)), ms).unref()),
  ]);

/**
 * Runs `cases` fuzzed requests against a fresh server on `dataDir` (no job workers; in-process, never the network),
 * seeded. Returns what was sent by status and every failure.
 */
export async function runFuzz(opts: {
  dataDir: string;
  cases: number;
  seed: number;
  image: RawImage;
  segmentModel?: string;
  modelRoots?: string[];
  log?: (line: string) => void;
}): Promise<FuzzReport> {
  const started = Date.now();
  const app = await build({
    dataDir: opts.dataDir,
    workers: 0,
    ...(opts.segmentModel ? { defaultSegmentModel: opts.segmentModel } : {}),
    modelRoots: opts.modelRoots ?? [],
  });
  const auth = { authorization: `Bearer ${app.segkit.adminToken}` };
  let ids = await seed(app, opts.image);
  const doc = (await app.inject({ url: '/api/docs/json' })).json();
  const ops = operations(doc);
  const byStatus: Record<string, number> = {};
  const failures: FuzzFailure[] = [];
  const rand = fc.sample(fc.nat(), { seed: opts.seed, numRuns: 1 })[0]!;
  let n = 0;
  for (let k = 0; k < opts.cases; k++) {
    const op = ops[(k + rand) % ops.length]!;
    const s = opts.seed + k;
    const one = <T>(a: fc.Arbitrary<T>) => fc.sample(a, { seed: s, numRuns: 1 })[0]!;
    const kind = k % 5; // 0,1: valid-ish; 2: mutated; 3: raw body; 4: mutated path/query
    const values: Record<string, unknown> = {};
    for (const p of op.params)
      values[p.name] = one(kind === 4 ? fc.oneof(valid(p.schema, ids), nasty) : valid(p.schema, ids));
    let url = op.path.replace(/\{(\w+)\}/g, (_, name) => enc(values[name] ?? 1));
    const query = op.params
      .filter((p) => p.in === 'query' && values[p.name] !== undefined)
      .map((p) => `${enc(p.name)}=${enc(values[p.name])}`);
    if (query.length) url += `?${query.join('&')}`;
    const headers: Record<string, string> = { ...auth };
    for (const p of op.params)
      if (p.in === 'header' && values[p.name] !== undefined) headers[p.name] = String(values[p.name]);
    let payload: string | Buffer | undefined;
    if (kind === 3 || op.multipart) {
      const raw = one(rawBodies);
      payload = raw.payload;
      headers['content-type'] = raw.type;
    } else if (op.body) {
      const body = kind === 2 ? one(valid(op.body, ids).chain(mutate)) : one(valid(op.body, ids));
      payload = JSON.stringify(body) ?? 'null';
      headers['content-type'] = 'application/json';
    }
    const sent = () => `${headers['content-type'] ?? '-'} ${String(payload ?? '').slice(0, 200)}`;
    if (op.path.includes('/events')) continue; // streams stay open by design; tested elsewhere
    n++;
    let res: Awaited<ReturnType<SegkitApp['inject']>>;
    try {
      res = await withTimeout(
        app.inject({
          method: op.method as 'GET',
          url,
          headers,
          ...(payload === undefined ? {} : { payload }),
        }),
        10_000,
      );
    } catch (e) {
      failures.push({
        method: op.method,
        url: url.slice(0, 200),
        status: 0,
        why: (e as Error).message,
        body: '',
        sent: sent(),
      });
      continue;
    }
    byStatus[res.statusCode] = (byStatus[res.statusCode] ?? 0) + 1;
    let why = '';
    if (res.statusCode >= 500) why = 'a 5xx';
    else if (res.statusCode >= 400) {
      try {
        const code = res.json().error?.code;
        if (typeof code !== 'string' || !/^E_[A-Z_]+$/.test(code)) why = 'a 4xx without a code';
      } catch {
        why = 'a 4xx whose body is not JSON';
      }
    }
    if (why)
      failures.push({
        method: op.method,
        url: url.slice(0, 200),
        status: res.statusCode,
        why,
        body: res.body.slice(0, 300),
        sent: sent(),
      });
    // Deleting the seeded project or image is a legitimate case; put them back so later cases reach rows again.
    if (op.method === 'DELETE' && res.statusCode < 300) ids = await seed(app, opts.image);
    if (opts.log && n % 2000 === 0) opts.log(`${n} cases, ${failures.length} failures`);
  }
  await app.close();
  return { cases: n, routes: ops.length, byStatus, failures, ms: Date.now() - started };
}
