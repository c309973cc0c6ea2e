import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pendingTemps, readInput, removePendingTemps, trackTemp, writeFileAtomic } from '../src/index.js';

describe('writeFileAtomic', () => {
  it('replaces the target and leaves no temporary file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segkit-'));
    const path = join(dir, 'out.json');
    writeFileSync(path, 'old');
    await writeFileAtomic(path, 'new');
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['out.json']);
  });

  it('fails with E_WRITE_FAILED when the directory is missing, leaving nothing behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segkit-'));
    await expect(writeFileAtomic(join(dir, 'nope', 'out.png'), 'x')).rejects.toMatchObject({
      code: 'E_WRITE_FAILED',
      message: expect.stringContaining('directory does not exist'),
    });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('fails when the target is a directory, leaving nothing behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segkit-'));
    await expect(writeFileAtomic(dir, 'x')).rejects.toMatchObject({ code: 'E_WRITE_FAILED' });
    expect(readdirSync(join(dir, '..')).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});

describe('readInput', () => {
  it('names the missing file', async () => {
    await expect(readInput('/no/such/file.png')).rejects.toMatchObject({
      code: 'E_FILE_NOT_FOUND',
      message: 'File not found: /no/such/file.png',
    });
  });
  it('rejects a directory', async () => {
    await expect(readInput(tmpdir())).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
  });
});

describe('temporary files in progress (what Ctrl-C cleans up)', () => {
  it('tracks the temp file of a write while it runs and forgets it afterwards', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segkit-'));
    const writing = writeFileAtomic(join(dir, 'big.bin'), new Uint8Array(1 << 20));
    const [tmp] = pendingTemps();
    expect(tmp).toMatch(/\.big\.bin\.tmp-/);
    await writing;
    expect(pendingTemps()).toEqual([]);
  });

  it('removePendingTemps deletes tracked temp files and folders, and nothing else', () => {
    const dir = mkdtempSync(join(tmpdir(), 'segkit-'));
    writeFileSync(join(dir, 'done.png'), 'x');
    writeFileSync(join(dir, '.half.png.tmp-1'), 'x');
    mkdirSync(join(dir, '.out.tmp-2'));
    writeFileSync(join(dir, '.out.tmp-2', 'a.txt'), 'x');
    trackTemp(join(dir, '.half.png.tmp-1'));
    trackTemp(join(dir, '.out.tmp-2'));
    removePendingTemps();
    expect(readdirSync(dir)).toEqual(['done.png']);
    expect(pendingTemps()).toEqual([]);
  });
});
