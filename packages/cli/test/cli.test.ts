import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { masksEqual, readMask } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import { cli, example, repo, tmp } from './helpers.js';

const commands = [
  [],
  ['mask'],
  ['mask', 'rle'],
  ['mask', 'decode'],
  ['mask', 'polygons'],
  ['mask', 'info'],
  ['cutout'],
  ['overlay'],
  ['segment'],
  ['text'],
  ['panoptic'],
  ['find'],
  ['analyze'],
  ['analyze', 'plot'],
  ['analyze', 'zip'],
  ['models'],
  ['models', 'list'],
  ['models', 'pull'],
  ['models', 'import'],
  ['models', 'path'],
  ['models', 'rm'],
  ['dataset'],
  ['dataset', 'convert'],
  ['dataset', 'manifest'],
  ['dataset', 'merge'],
  ['dataset', 'split'],
  ['dataset', 'build-seg'],
  ['eval'],
  ['eval', 'text'],
];

describe('help', () => {
  it.each(commands)('every command answers --help: segkit %s', async (...path) => {
    const r = await cli(...path, '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: segkit/);
    expect(r.stdout).toMatch(/--help/);
    // Every option row keeps its flag and its description apart (long flags put the description on the next line).
    for (const line of r.stdout.split('\n').filter((l) => /^ {2}(-\w, | {4})--/.test(l)))
      expect(line, line).toMatch(/^ {2}(-\w, | {4})--[\w-]+( [^ ]+)?( {2,}\S.*)?$/);
  });

  it('group commands list their subcommands with a summary', async () => {
    expect((await cli('--help')).stdout).toMatch(/ {2}overlay +Draw colour-coded masks over an image/);
    expect((await cli('mask', '--help')).stdout).toMatch(/ {2}rle +Print the COCO compressed RLE/);
  });

  it('leaf commands show examples', async () => {
    expect((await cli('mask', 'rle', '--help')).stdout).toMatch(/Examples:\n {2}segkit mask rle /);
  });
});

describe('user errors', () => {
  it('nothing is written unless every output can be: a bad --overlay folder stops segment before the mask', async () => {
    const dir = tmp();
    const ok = join(dir, 'ok.png');
    const r = await cli(
      'segment',
      example('coffee.png'),
      '--box',
      '165,12,255,300',
      '--model',
      'classic',
      '-o',
      ok,
      '--overlay',
      join(dir, 'nodir', 'o.jpg'),
    );
    expect(r.stderr).toBe(
      `segkit: E_WRITE_FAILED: Cannot write ${join(dir, 'nodir', 'o.jpg')}: its folder ${join(dir, 'nodir')} does not exist\n`,
    );
    expect(existsSync(ok)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
    const asFile = join(dir, 'file');
    writeFileSync(asFile, 'x');
    expect((await cli('text', example('coffee.png'), '--prompt', 'cup', '-o', asFile)).stderr).toMatch(
      /^segkit: E_WRITE_FAILED: Cannot write .*file: it is a file, not a folder/,
    );
  });

  it('JSON inputs: a missing file is E_FILE_NOT_FOUND; a binary file is named, never echoed', async () => {
    const dir = tmp();
    expect(
      (await cli('text', example('coffee.png'), '--prompts', join(dir, 'prompts.json'), '-o', dir)).stderr,
    ).toBe(`segkit: E_FILE_NOT_FOUND: File not found: ${join(dir, 'prompts.json')}\n`);
    const png = await cli('mask', 'decode', example('coffee-cup.mask.png'), '-o', join(dir, 'm.png'));
    expect(png.stderr).toBe(
      `segkit: E_JSON_INVALID: ${example('coffee-cup.mask.png')} is a PNG image, not JSON\n`,
    );
    writeFileSync(join(dir, 'bad.json'), '{"a": 1,\n "b": }');
    expect((await cli('mask', 'decode', join(dir, 'bad.json'), '-o', join(dir, 'm.png'))).stderr).toBe(
      `segkit: E_JSON_INVALID: ${join(dir, 'bad.json')} is not valid JSON (line 2, column 7)\n`,
    );
  });

  it('a photo passed where a mask is expected is read, with a warning that it looks like a photo', async () => {
    const photo = await cli('mask', 'info', example('coffee.png'));
    expect(photo.code).toBe(0);
    expect(photo.stderr).toMatch(
      /^segkit: warning: .*coffee\.png looks like a photo, not a mask \(\d+ grey levels, in colour\)/,
    );
    expect((await cli('mask', 'info', example('coffee-cup.mask.png'))).stderr).toBe('');
  });

  it('old flag names still work as aliases, and giving both spellings is one E_USAGE line', async () => {
    const gt = tmp();
    const { writeMask, maskFromFunction } = await import('@segkit/core');
    await writeMask(
      join(gt, 'a.png'),
      maskFromFunction(4, 4, (x) => x < 2),
    );
    const out = join(tmp(), 'rep');
    expect((await cli('eval', '--pred', gt, '--gt', gt, '--out', out)).code).toBe(0);
    expect(existsSync(join(out, 'report.md'))).toBe(true);
    expect((await cli('eval', '--pred', gt, '--gt', gt, '--out', out, '-o', tmp())).stderr).toMatch(
      /^segkit: E_USAGE: --out and --output are the same option; give one/,
    );
    expect((await cli('eval', '--help')).stdout).toMatch(/-o, --output DIR .*\(also --out\)/);
    expect((await cli('find', '--help')).stdout).toMatch(
      /--negative-box x,y,w,h\s[^\n]*\n?[^\n]*\(also --negative\)/,
    );
  });

  it('an unknown command or option is one E_USAGE line with exit 2', async () => {
    expect(await cli('frobnicate')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^segkit: E_USAGE: Unknown command "frobnicate"[^\n]*\n$/),
    });
    expect(await cli('mask', 'info', 'a.png', '--bogus')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^segkit: E_USAGE: Unknown option '--bogus'[^\n]*\n$/),
    });
    expect(await cli('mask', 'info', 'a.png', 'b.png')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^segkit: E_USAGE: Unexpected argument "b.png"/),
    });
  });
});

const bin = join(repo, 'packages/cli/bin/segkit.js');
const built = existsSync(join(repo, 'packages/cli/dist/main.js'));

describe.skipIf(!built)('the installed binary (needs `npm run build`)', () => {
  it('`npx segkit --version` prints only the version: no npm config warning', () => {
    const r = spawnSync('npx', ['segkit', '--version'], { cwd: repo, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(r.status).toBe(0);
    expect(spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' }).stdout).toMatch(
      /-v, --version +Print the version/,
    );
  });

  it('prints one line and exits 2 on a user error, with no stack trace', () => {
    const r = spawnSync(process.execPath, [bin, 'mask', 'info', 'no-such.png'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('segkit: E_FILE_NOT_FOUND: File not found: no-such.png\n');
    expect(r.stdout).toBe('');
  });

  it('refuses to start in a deleted working directory instead of hanging', () => {
    const gone = join(tmp(), 'gone');
    mkdirSync(gone);
    const r = spawnSync(
      'sh',
      [
        '-c',
        'cd "$1" && rmdir "$1" && exec "$2" "$3" analyze x.png --out y',
        'sh',
        gone,
        process.execPath,
        bin,
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(r.stderr).toBe(
      'segkit: E_INVALID_ARGUMENT: The current directory no longer exists; cd into an existing folder\n',
    );
    expect(r.status).toBe(2);
  });

  it('pipes large JSON output completely', () => {
    const r = spawnSync(process.execPath, [bin, 'mask', 'polygons', example('coffee-cup.mask.png')], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    expect(r.status).toBe(0);
    expect(() => JSON.parse(r.stdout)).not.toThrow();
  });

  it('reads an RLE from stdin with -, and reports an unwritable output on one line', async () => {
    const rle = spawnSync(process.execPath, [bin, 'mask', 'rle', example('coffee-cup.mask.png')], {
      encoding: 'utf8',
    }).stdout;
    const out = join(tmp(), 'back.png');
    const ok = spawnSync(process.execPath, [bin, 'mask', 'decode', '-', '-o', out], {
      input: rle,
      encoding: 'utf8',
    });
    expect(ok.status).toBe(0);
    expect(masksEqual(await readMask(out), await readMask(example('coffee-cup.mask.png')))).toBe(true);
    const bad = spawnSync(process.execPath, [bin, 'mask', 'decode', '-', '-o', '/nonexistent-dir/x.png'], {
      input: rle,
      encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe(
      'segkit: E_WRITE_FAILED: Cannot write /nonexistent-dir/x.png: its directory does not exist\n',
    );
  });
});
