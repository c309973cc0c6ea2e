// Starts a real `segkit serve` (the built CLI) on a temp data directory with the fixture models, and a headless
// Debian chromium (never a downloaded browser) logged in through the printed URL.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Mask } from '@segkit/core';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { ImageT } from '../../packages/server/src/schemas.js';

export const repo = new URL('../../', import.meta.url).pathname;
export const fixtures = join(repo, 'fixtures/models');
export const realArch = join(repo, '../shared/real-arch');

export function chromiumPath(): string {
  const path = process.env.SEGKIT_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(path))
    throw new Error(
      `No chromium at ${path}: install it with \`apt-get install -y chromium\` or set SEGKIT_CHROMIUM`,
    );
  return path;
}

export interface Server {
  base: string;
  token: string;
  data: string;
  api<T = unknown>(
    path: string,
    init?: { method?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<T>;
  stop(): Promise<void>;
}

/**
 * `segkit serve FOLDER… --model <sam fixture> --model-root <fixtures>` on a free port, run from the repository root;
 * with `plain`, only the folders and `extra` (a command line copied from the docs).
 */
export async function startServer(folders: string[], extra: string[] = [], plain = false): Promise<Server> {
  const data = mkdtempSync(join(tmpdir(), 'segkit-e2e-'));
  const cache = mkdtempSync(join(tmpdir(), 'segkit-e2e-cache-'));
  if (!existsSync(join(repo, 'packages/web/dist/index.html')))
    throw new Error('packages/web/dist is missing: run `npm run build` first');
  const child: ChildProcess = spawn(
    process.execPath,
    [
      join(repo, 'packages/cli/bin/segkit.js'),
      'serve',
      ...folders,
      '--data',
      data,
      '--port',
      '0',
      ...(plain ? [] : ['--model', join(fixtures, 'sam-fixture'), '--model-root', fixtures]),
      ...extra,
    ],
    { cwd: repo, env: { ...process.env, SEGKIT_CACHE_DIR: cache }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`segkit serve printed no URL: ${err}`)), 60_000);
    child.stderr!.on('data', (d) => {
      err += String(d);
      const m = /Open (http:\/\/127\.0\.0\.1:\d+)\/\?token=(\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(`${m[1]}|${m[2]}`);
      }
    });
    child.on('exit', (code) => reject(new Error(`segkit serve exited ${code}: ${err}`)));
  });
  const [url, token] = base.split('|') as [string, string];
  return {
    base: url,
    token,
    data,
    async api<T>(
      path: string,
      init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
    ) {
      const res = await fetch(`${url}/api/v1${path}`, {
        method: init.method ?? (init.body ? 'POST' : 'GET'),
        headers: {
          authorization: `Bearer ${token}`,
          ...(init.body ? { 'content-type': 'application/json' } : {}),
          ...init.headers,
        },
        ...(init.body ? { body: JSON.stringify(init.body) } : {}),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${res.status} ${path}: ${text}`);
      return (text ? JSON.parse(text) : null) as T;
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(data, { recursive: true, force: true });
      rmSync(cache, { recursive: true, force: true });
    },
  };
}

/** Debian's chromium, headless; `args`: more switches (e.g. `--enable-unsafe-webgpu` for a software WebGPU adapter). */
export async function launch(args: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', ...args] });
}

/** A 1280×800 page logged in with the server's token (the cookie the printed URL sets). */
export async function openPage(browser: Browser, server: Server): Promise<Page & { errors: string[] }> {
  const page = (await browser.newPage({ viewport: { width: 1280, height: 800 } })) as Page & {
    errors: string[];
  };
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(`${server.base}/?token=${server.token}`);
  return page;
}

/** The fixture models for text prompts (find-all) and CLIP (auto-class, analytics) as the project's models. */
export async function useFixtureModels(server: Server, projectId: number) {
  await server.api(`/projects/${projectId}`, {
    method: 'PATCH',
    body: {
      settings: {
        models: {
          segment: join(fixtures, 'sam-fixture'),
          text: join(fixtures, 'clipseg-fixture'),
          embed: join(fixtures, 'clip-fixture'),
        },
      },
    },
  });
}

/** Where image pixel (x, y) is on screen: read from the stage's view through the canvas box and image size. */
export async function imageToScreen(page: Page, x: number, y: number, w: number, h: number) {
  const box = (await page.getByTestId('stage').boundingBox())!;
  const margin = 16;
  const scale = Math.min((box.width - 2 * margin) / w, (box.height - 2 * margin) / h);
  const tx = (box.width - w * scale) / 2;
  const ty = (box.height - h * scale) / 2;
  return { x: box.x + tx + (x + 0.5) * scale, y: box.y + ty + (y + 0.5) * scale };
}

export const percentile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

/** A screenshot for the docs, written to docs/img/<name>.png (the README and docs/web.md show them). */
export async function docShot(page: Page, name: string) {
  mkdirSync(join(repo, 'docs/img'), { recursive: true });
  await page.screenshot({ path: join(repo, 'docs/img', `${name}.png`) });
}

export type { AnnotationT as Ann, ImageT as Img } from '../../packages/server/src/schemas.js';

/**
 * What every browser suite starts from: `segkit serve examples/shapes` with the fixture models as the project's
 * models (and the project labels given), chromium, and the project's images.
 */
export async function openShapes(labels: { name: string; colour: string }[] = []) {
  const server = await startServer([join(repo, 'examples/shapes')]);
  const browser = await launch();
  await useFixtureModels(server, 1);
  if (labels.length) await server.api('/projects/1', { method: 'PATCH', body: { labels } });
  const images = (await server.api<{ items: ImageT[] }>('/projects/1/images?limit=100')).items;
  return { server, browser, images };
}

export async function closeShapes(server?: Server, browser?: Browser) {
  await browser?.close();
  await server?.stop();
}

/** examples/shapes/imgNN.png among the project's images. */
export const imageNamed = (images: ImageT[], n: number) =>
  images.find((i) => i.fileName === `img${String(n).padStart(2, '0')}.png`)!;

/** The centroid of a mask, rounded: a point inside a convex shape. */
export function centre(m: Mask): [number, number] {
  let sx = 0;
  let sy = 0;
  let n = 0;
  for (let i = 0; i < m.data.length; i++)
    if (m.data[i]) {
      sx += i % m.width;
      sy += Math.floor(i / m.width);
      n++;
    }
  return [Math.round(sx / n), Math.round(sy / n)];
}
