// `npm run install-check`: SegKit installed the way a user installs a published tool. Every public workspace is packed
// (`npm pack`), the tarballs are installed into an empty folder outside the repository (the npm registry the only
// other source; onnxruntime-node's optional download of GPU libraries skipped, as the README says), and there:
// `segkit --version`, a classic `segment`, `segkit serve` on a folder of images with the gallery rendering in
// chromium, and `@segkit/core` imported by a plain Node script. Prints each check and ends "install check passed".
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const repo = new URL('../../', import.meta.url).pathname;
const PUBLIC = ['core', 'models', 'datasets', 'analytics', 'recipes', 'server', 'cli'];
const work = mkdtempSync(join(tmpdir(), 'segkit-install-'));
const failures: string[] = [];

function run(cmd: string, args: string[], cwd: string, timeout = 600_000) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, NO_COLOR: '1' } });
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} exited ${r.status} after ${s} s: ${(r.stderr || r.stdout).trim().split('\n').slice(-5).join(' | ')}`,
    );
  return { out: r.stdout, err: r.stderr, seconds: s };
}

async function check(name: string, fn: () => Promise<string> | string) {
  try {
    console.log(`ok   ${name}: ${await fn()}`);
  } catch (e) {
    failures.push(name);
    console.log(`FAIL ${name}: ${(e as Error).message}`);
  }
}

const packs = join(work, 'packs');
const app = join(work, 'app');
mkdirSync(packs);
mkdirSync(app);
let tarballs: string[] = [];

await check('pack every public workspace', () => {
  for (const ws of PUBLIC)
    run('npm', ['pack', '--silent', '--pack-destination', packs, '-w', `@segkit/${ws}`], repo);
  tarballs = readdirSync(packs).map((f) => join(packs, f));
  if (tarballs.length !== PUBLIC.length)
    throw new Error(`expected ${PUBLIC.length} tarballs, got ${tarballs.length}`);
  for (const t of tarballs) {
    const list = run('tar', ['-tzf', t], work).out.split('\n');
    if (!list.includes('package/LICENSE')) throw new Error(`${t} has no LICENSE`);
  }
  const server = tarballs.find((t) => t.includes('segkit-server'))!;
  if (!run('tar', ['-tzf', server], work).out.includes('package/web/index.html'))
    throw new Error('@segkit/server ships no web app (package/web/index.html)');
  return `${tarballs.length} tarballs, each with its LICENSE; @segkit/server carries the web app`;
});

await check('npm install the tarballs into an empty folder', () => {
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'try-segkit', private: true, type: 'module' }),
  );
  const r = run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--onnxruntime-node-install=skip',
      ...tarballs,
    ],
    app,
    900_000,
  );
  return `installed in ${r.seconds} s`;
});

const segkit = join(app, 'node_modules/.bin/segkit');

await check('segkit --version', () => {
  const v = run(segkit, ['--version'], app).out.trim();
  const want = JSON.parse(readFileSync(join(repo, 'packages/cli/package.json'), 'utf8')).version;
  if (!v.includes(want)) throw new Error(`printed ${v}, expected ${want}`);
  return v;
});

await check('a classic segment', () => {
  cpSync(join(repo, 'examples/coffee.png'), join(app, 'coffee.png'));
  const out = run(
    segkit,
    ['segment', 'coffee.png', '--box', '165,12,255,300', '--model', 'classic', '-o', 'cup.png', '--json'],
    app,
  ).out;
  const r = JSON.parse(out) as { model: string; area: number };
  if (r.model !== 'classic' || !(r.area > 20_000) || !existsSync(join(app, 'cup.png')))
    throw new Error(`unexpected result ${out.trim()}`);
  return `cup.png, area ${r.area}`;
});

await check('segkit serve with the gallery in chromium', async () => {
  const photos = join(app, 'photos');
  mkdirSync(photos);
  for (const f of ['img00.png', 'img01.png', 'img02.png'])
    cpSync(join(repo, 'examples/shapes', f), join(photos, f));
  const child: ChildProcess = spawn(segkit, ['serve', 'photos', '--data', 'data', '--port', '0'], {
    cwd: app,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`no URL after 60 s: ${err}`)), 60_000);
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /Open (http\S+\?token=\S+)/.exec(err);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err.trim()}`)));
    });
    const browser = await chromium.launch({
      executablePath: process.env.SEGKIT_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(url);
      await page.getByText('photos').first().click({ timeout: 20_000 });
      await page.locator('[data-testid=tile]').nth(2).waitFor({ timeout: 20_000 });
      return `the app at ${url.replace(/\?token=.*/, '')} shows the project and its 3 tiles`;
    } finally {
      await browser.close();
    }
  } finally {
    child.kill('SIGTERM');
  }
});

await check('@segkit/core from a plain Node script', () => {
  writeFileSync(
    join(app, 'lib.mjs'),
    [
      "import { maskFromFunction, maskToRle, rleToMask, masksEqual } from '@segkit/core';",
      'const mask = maskFromFunction(40, 30, (x, y) => x > 5 && x < 20 && y > 3 && y < 25);',
      'const rle = maskToRle(mask);',
      'console.log(JSON.stringify({ counts: rle.counts, same: masksEqual(rleToMask(rle), mask) }));',
    ].join('\n'),
  );
  const out = JSON.parse(run('node', ['lib.mjs'], app).out) as { counts: string; same: boolean };
  if (!out.same) throw new Error('RLE round trip differs');
  return `RLE ${out.counts} round-trips`;
});

rmSync(work, { recursive: true, force: true });
if (failures.length) {
  console.log(`install check failed: ${failures.join(', ')}`);
  process.exit(1);
}
console.log('install check passed');
