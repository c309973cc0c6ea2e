import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const repoRoot = new URL('../../../../', import.meta.url).pathname;
export const fixtureModel = (name: string) => join(repoRoot, 'fixtures/models', name);

/** What the test server saw and how it should misbehave. */
export interface HubServer {
  url: string;
  root: string;
  requests: { path: string; range?: string }[];
  /** Paths (after /resolve/rev/) whose next response is cut after this many bytes. */
  cutOnce: Map<string, number>;
  /** Ignore Range headers (answer 200 with the whole file). */
  noRanges: boolean;
  /** Paths whose Content-Length claims more than is sent, every time. */
  lies: Set<string>;
  close(): Promise<void>;
}

/**
 * A static file server over a hub-layout folder: GET /{org}/{name}/resolve/{revision}/{file}
 * serves {root}/{org}/{name}/{file}, with Range support (206) unless told otherwise.
 */
export async function startHub(): Promise<HubServer> {
  const root = mkdtempSync(join(tmpdir(), 'segkit-hub-'));
  const state = {
    requests: [] as HubServer['requests'],
    cutOnce: new Map<string, number>(),
    noRanges: false,
    lies: new Set<string>(),
  };
  const server: Server = createServer((req, res) => {
    const m = decodeURIComponent(req.url ?? '').match(/^\/([^/]+)\/([^/]+)\/resolve\/([^/]+)\/(.+)$/);
    state.requests.push({ path: req.url ?? '', ...(req.headers.range ? { range: req.headers.range } : {}) });
    let file: string;
    let path: string;
    if (m) {
      const [, org, name, revision, f] = m as unknown as [string, string, string, string, string];
      file = f;
      // A revision published on its own lives in `{name}@{revision}/`; every other revision serves the main files.
      const atRevision = join(root, org, `${name}@${revision}`, file);
      path = existsSync(atRevision) ? atRevision : join(root, org, name, file);
    } else {
      // Any other path is a direct download (a release asset): served from `_direct/` (see publishDirect).
      file = decodeURIComponent(req.url ?? '').replace(/^\/+/, '');
      if (file.split('/').includes('..')) return void res.writeHead(404).end();
      path = join(root, '_direct', file);
    }
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      return void res.writeHead(404).end('Entry not found');
    }
    const body = readFileSync(path);
    let start = 0;
    const range = req.headers.range?.match(/^bytes=(\d+)-$/);
    if (range && !state.noRanges) {
      start = Number(range[1]);
      if (start >= size) return void res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
      res.writeHead(206, {
        'Content-Length': size - start,
        'Content-Range': `bytes ${start}-${size - 1}/${size}`,
        'Accept-Ranges': 'bytes',
      });
    } else {
      const lie = state.lies.has(file!) ? 100 : 0;
      res.writeHead(200, {
        'Content-Length': size + lie,
        'Accept-Ranges': state.noRanges ? 'none' : 'bytes',
      });
      if (lie) {
        res.write(body);
        setTimeout(() => res.destroy(), 20);
        return;
      }
    }
    const cut = state.cutOnce.get(file!);
    if (cut !== undefined) {
      state.cutOnce.delete(file!);
      res.write(body.subarray(start, start + cut));
      setTimeout(() => res.destroy(), 20);
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    root,
    close: () => new Promise<void>((r) => server.close(() => r())),
  });
}

/** Serves `files` (name → local path) at `urlPath/name` as direct downloads, as a release-asset host would. */
export function publishDirect(hub: HubServer, urlPath: string, files: Record<string, string>): void {
  for (const [name, src] of Object.entries(files)) {
    const dest = join(hub.root, '_direct', urlPath, name);
    mkdirSync(dirname(dest), { recursive: true });
    cpSync(src, dest);
  }
}

/** Publishes a local model folder on the hub under `repo` (e.g. `Xenova/slimsam-77-uniform`), optionally as a revision. */
export function publish(hub: HubServer, folder: string, repo: string, revision?: string): void {
  const [org, name] = repo.split('/') as [string, string];
  const dest = join(hub.root, org, revision ? `${name}@${revision}` : name);
  mkdirSync(dest, { recursive: true });
  cpSync(folder, dest, { recursive: true });
}

/**
 * Publishes the SAM fixture the way the real SlimSAM repo is laid out: the encoder and the point decoder on `main`,
 * and the box decoder as `onnx/prompt_encoder_mask_decoder.onnx` of the `boxes` revision.
 */
export function publishSlimSam(hub: HubServer, repo = 'Xenova/slimsam-77-uniform'): void {
  const fixture = fixtureModel('sam-fixture');
  publish(hub, fixture, repo);
  rmSync(join(hub.root, ...repo.split('/'), 'boxes'), { recursive: true, force: true });
  const [org, name] = repo.split('/') as [string, string];
  const boxes = join(hub.root, org, `${name}@boxes`);
  mkdirSync(join(boxes, 'onnx'), { recursive: true });
  for (const f of ['config.json', 'preprocessor_config.json']) cpSync(join(fixture, f), join(boxes, f));
  cpSync(
    join(fixture, 'boxes/onnx/prompt_encoder_mask_decoder.onnx'),
    join(boxes, 'onnx/prompt_encoder_mask_decoder.onnx'),
  );
}
