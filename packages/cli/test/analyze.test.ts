import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { adjustedRandIndex, type MaskRow } from '@segkit/analytics';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { colourImages, trueColour } from '../../analytics/test/helpers/colour-images.js';
import { cli, repo, tmp } from './helpers.js';

const fx = (n: string) => join(repo, 'fixtures/models', n);
/** Fixture SAM and CLIP (test tools that segment and embed by colour), with a coarse point grid. */
const fixtureArgs = [
  '--backend',
  'sam',
  '--segment-model',
  fx('sam-fixture'),
  '--embed-model',
  fx('clip-fixture'),
  '--points-per-side',
  '6',
];

describe('segkit analyze', () => {
  it('clusters 30 generated images into the 3 shape colours, then plots and zips one image', async () => {
    const src = await colourImages(30);
    const out = tmp();
    const r = await cli(
      'analyze',
      join(src, 'images'),
      ...fixtureArgs,
      '--min-cluster-size',
      '10',
      '-o',
      out,
      '--json',
    );
    expect(r.stderr).toMatch(/wrote .*run-/);
    expect(r.code).toBe(0);
    const { dir, counts } = JSON.parse(r.stdout) as {
      dir: string;
      counts: { clusters: number; images: number };
    };
    expect(counts).toMatchObject({ images: 30, clusters: 3 });
    const rows = readFileSync(join(dir, 'masks.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as MaskRow);
    const truth = await Promise.all(
      rows.map((row) => trueColour(row.image, join(dir, 'masks', `${row.id}.png`))),
    );
    expect(
      adjustedRandIndex(
        rows.map((row) => row.mask_cluster!),
        truth,
      ),
    ).toBeGreaterThanOrEqual(0.9);

    const png = join(tmp(), 'scatter.png');
    const plotted = await cli('analyze', 'plot', dir, '-o', png);
    expect(plotted.code).toBe(0);
    // a new run (clustered with hdbscan's min_samples): no note
    expect(plotted.stderr).toBe(`wrote ${png} (${rows.length} masks)\n`);
    expect((await sharp(png).metadata()).format).toBe('png');
    // The page: one canvas, the rows as data, thumbnails linked relative to the page, never one SVG node per mask.
    const html = join(tmp(), 'scatter.html');
    expect((await cli('analyze', 'plot', dir, '--html', '-o', html)).code).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<canvas id="plot"');
    expect(page).not.toContain('<circle');
    expect(page).toContain(rows[0]!.id);
    // A run written before min_samples took hdbscan's meaning says so when re-plotted.
    const runJson = join(dir, 'run.json');
    const run = JSON.parse(readFileSync(runJson, 'utf8'));
    delete run.params.minSamplesMeaning;
    writeFileSync(runJson, JSON.stringify(run));
    const old = await cli('analyze', 'plot', dir, '-o', png);
    expect(old.stderr).toMatch(
      /^note: .* clustered before SegKit 0\.2, when min_samples counted the point itself/,
    );

    // analyze zip: every mask PNG of one image, plus its masks.jsonl rows.
    const zipDir = tmp();
    const zipPath = join(zipDir, 'img03.zip');
    const z = await cli('analyze', 'zip', dir, join(src, 'images', 'img03.png'), '-o', zipPath);
    const mine = rows.filter((row) => row.id.startsWith('img03/'));
    expect(z.stderr).toBe(`wrote ${zipPath} (${mine.length} masks)\n`);
    expect(readdirSync(zipDir)).toEqual(['img03.zip']);
    const py = spawnSync(
      'python3',
      [
        '-c',
        'import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print("\\n".join(z.namelist()))',
        zipPath,
      ],
      { encoding: 'utf8' },
    );
    if (py.status === 0)
      expect(py.stdout.trim().split('\n')).toEqual([
        ...mine.map((row) => `${row.id}.png`),
        'img03/masks.jsonl',
      ]);
    // The stem works as well, and the default name is <stem>-masks.zip in the working directory.
    const cwd = process.cwd();
    process.chdir(zipDir);
    try {
      expect((await cli('analyze', 'zip', dir, 'img03')).code).toBe(0);
      expect(existsSync(join(zipDir, 'img03-masks.zip'))).toBe(true);
    } finally {
      process.chdir(cwd);
    }
  });

  it('analyze zip refuses an image the run does not hold, and a folder that is not a run', async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'masks.jsonl'),
      `${JSON.stringify({ id: 'a/0', image: '/x/a.png' })}\n${JSON.stringify({ id: 'b/0', image: '/x/b.png' })}\n`,
    );
    const r = await cli('analyze', 'zip', dir, 'zebra', '-o', join(dir, 'z.zip'));
    expect(r).toMatchObject({ code: 2 });
    expect(r.stderr).toBe(
      `segkit: E_INVALID_ARGUMENT: No masks of "zebra" in ${dir}; its images with masks are a, b\n`,
    );
    expect(existsSync(join(dir, 'z.zip'))).toBe(false);
    const empty = tmp();
    expect((await cli('analyze', 'zip', empty, 'a')).stderr).toMatch(
      /^segkit: E_INVALID_ARGUMENT: .* has no masks.jsonl/,
    );
    expect((await cli('analyze', 'zip', empty)).stderr).toMatch(/^segkit: E_USAGE: /);
  });

  it('checks inputs and models before making a run folder, and removes one that failed before its first image', async () => {
    const out = tmp();
    const missing = await cli('analyze', join(out, 'photos'), '--out', out);
    expect(missing.stderr).toBe(`segkit: E_FILE_NOT_FOUND: Not found: ${join(out, 'photos')}\n`);
    const before = process.env.SEGKIT_CACHE_DIR;
    process.env.SEGKIT_CACHE_DIR = tmp();
    try {
      const r = await cli('analyze', join(repo, 'examples/shapes'), '--backend', 'sam', '--out', out);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /^segkit: E_MODEL_MISSING: Model sam is not downloaded\. Get it with `segkit models pull sam`/,
      );
    } finally {
      if (before === undefined) delete process.env.SEGKIT_CACHE_DIR;
      else process.env.SEGKIT_CACHE_DIR = before;
    }
    expect(readdirSync(out)).toEqual([]);
    // Models present, but the first image is unreadable: the new run folder is removed again.
    const photos = tmp();
    writeFileSync(join(photos, 'broken.png'), 'not a png');
    const broken = await cli('analyze', photos, ...fixtureArgs, '--out', out);
    expect(broken.stderr).toMatch(/^segkit: E_/);
    expect(readdirSync(out)).toEqual([]);
  });

  it("passes hdbscan's parameters through under hdbscan's names, and refuses a bad one before segmenting", async () => {
    const src = await colourImages(8);
    const out = tmp();
    const bad = await cli(
      'analyze',
      join(src, 'images'),
      ...fixtureArgs,
      '--cluster-selection-method',
      'best',
      '-o',
      out,
    );
    expect(bad.stderr).toBe('segkit: E_USAGE: --cluster-selection-method must be eom or leaf\n');
    const frac = await cli('analyze', join(src, 'images'), ...fixtureArgs, '--min-samples', '2.5', '-o', out);
    expect(frac.stderr).toMatch(/^segkit: E_INVALID_ARGUMENT: Expected an integer ≥ 1 for minSamples/);
    expect(readdirSync(out)).toEqual([]);
    const r = await cli(
      'analyze',
      join(src, 'images'),
      ...fixtureArgs,
      '--min-cluster-size',
      '4',
      '--min-samples',
      '3',
      '--cluster-selection-method',
      'leaf',
      '--cluster-selection-epsilon',
      '0.5',
      '--allow-single-cluster',
      '-o',
      out,
      '--json',
    );
    expect(r.code).toBe(0);
    const { dir } = JSON.parse(r.stdout) as { dir: string };
    const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    expect(run.params).toMatchObject({
      minClusterSize: 4,
      minSamples: 3,
      clusterSelectionMethod: 'leaf',
      clusterSelectionEpsilon: 0.5,
      allowSingleCluster: true,
      minSamplesMeaning: 'hdbscan',
    });
  });
});

const bin = join(repo, 'packages/cli/bin/segkit.js');
const built = existsSync(join(repo, 'packages/cli/dist/main.js'));

/** Every path under `dir`, relative. */
const walk = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((p) => p.replaceAll('\\', '/'));

describe.skipIf(!built)('segkit analyze, interrupted (the installed binary)', () => {
  it('Ctrl-C exits 130 with no half-written file, and running it again on the run directory finishes the job', async () => {
    const src = await colourImages(12);
    const out = tmp();
    const child = spawn(process.execPath, [
      bin,
      'analyze',
      join(src, 'images'),
      '--out',
      out,
      ...fixtureArgs,
    ]);
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Interrupt once a few images are done.
    const journal = () => {
      const run = readdirSync(out).find((d) => d.startsWith('run-'));
      const file = run && join(out, run, '.done.jsonl');
      return file && existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
    };
    for (let i = 0; i < 600 && journal() < 3; i++) await sleep(50);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain('segkit: interrupted (SIGINT)');
    const run = join(out, readdirSync(out).find((d) => d.startsWith('run-'))!);
    expect(walk(run).filter((p) => p.includes('.tmp-'))).toEqual([]);
    const done = journal();
    expect(done).toBeGreaterThanOrEqual(3);
    expect(done).toBeLessThan(12);
    // Resume: the finished images are skipped, the rest run, and the run completes.
    const again = await cli('analyze', join(src, 'images'), '--out', run, '--json', ...fixtureArgs);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      status: 'complete',
      resumed: true,
      counts: { images: 12 },
    });
    expect(journal()).toBe(12);
  });
});
