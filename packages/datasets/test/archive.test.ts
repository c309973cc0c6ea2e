import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractZip, masksEqual, readMask } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import { readDataset, writeDataset } from '../src/index.js';
import { listFiles } from '../src/output-dir.js';
import { maskFolderDataset, tmp } from './helpers/generate.js';
import { makeZip, type ZipEntry } from './helpers/zip-writer.js';

function zipFile(entries: ZipEntry[]): string {
  const p = join(tmp('segkit-zip-'), 'a.zip');
  writeFileSync(p, makeZip(entries));
  return p;
}

/** Extracts into <sandbox>/out and returns the sandbox, so tests can check nothing escaped. */
async function attempt(entries: ZipEntry[], limits = {}) {
  const sandbox = tmp('segkit-sandbox-');
  const err = await extractZip(zipFile(entries), join(sandbox, 'out'), limits).then(
    () => undefined,
    (e) => e,
  );
  return { err, sandbox };
}

describe('hostile archives', () => {
  it.each([
    ['parent traversal', '../evil.txt'],
    ['nested traversal', 'images/../../evil.txt'],
    ['absolute path', '/tmp/evil.txt'],
    ['drive letter', 'C:/evil.txt'],
    ['backslashes', '..\\evil.txt'],
  ])('rejects zip-slip (%s) and writes nothing anywhere', async (_, name) => {
    const { err, sandbox } = await attempt([
      { name: 'ok.txt', data: Buffer.from('fine') },
      { name, data: Buffer.from('gotcha') },
    ]);
    expect(err?.code).toBe('E_UNSAFE_PATH');
    expect(readdirSync(sandbox)).toEqual([]); // the partial extraction was removed and nothing escaped
  });

  it('rejects a symlink entry', async () => {
    const { err, sandbox } = await attempt([
      { name: 'link', data: Buffer.from('/etc/passwd'), mode: 0o120777 },
    ]);
    expect(err).toMatchObject({ code: 'E_ARCHIVE_UNSAFE', message: expect.stringContaining('symlink') });
    expect(readdirSync(sandbox)).toEqual([]);
  });

  it('rejects a zip bomb by its ratio, counted while streaming even when the header lies about the size', async () => {
    const zeros = Buffer.alloc(8 * 2 ** 20);
    for (const claimSize of [undefined, 100]) {
      const { err, sandbox } = await attempt([
        { name: 'bomb.bin', data: zeros, deflate: true, ...(claimSize ? { claimSize } : {}) },
      ]);
      expect(err).toMatchObject({ code: 'E_ARCHIVE_UNSAFE', message: expect.stringContaining('zip bomb') });
      expect(readdirSync(sandbox)).toEqual([]);
    }
  });

  it('rejects too many entries and too many bytes', async () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ name: `f${i}.txt`, data: Buffer.from('x') }));
    expect((await attempt(many, { maxEntries: 10 })).err).toMatchObject({
      code: 'E_ARCHIVE_UNSAFE',
      message: expect.stringContaining('more than 10 entries'),
    });
    const big = [{ name: 'a.bin', data: Buffer.alloc(5000, 1) }];
    expect((await attempt(big, { maxTotalBytes: 4000 })).err).toMatchObject({
      code: 'E_ARCHIVE_UNSAFE',
      message: expect.stringContaining('more than 4000 bytes'),
    });
  });

  it('rejects a COCO file_name with ../ inside a zip', async () => {
    const json = JSON.stringify({
      images: [{ id: 1, file_name: '../../x.png', width: 2, height: 2 }],
      categories: [],
      annotations: [],
    });
    const zip = zipFile([{ name: 'annotations.json', data: Buffer.from(json) }]);
    await expect(readDataset(zip)).rejects.toMatchObject({ code: 'E_UNSAFE_PATH' });
  });
});

describe('a benign archive', () => {
  it('imports a zipped PNG-mask dataset (with a top-level folder) exactly', async () => {
    const src = await maskFolderDataset();
    const entries: ZipEntry[] = listFiles(src).map((f) => ({
      name: `data/${f}`,
      data: readFileSync(join(src, f)),
      deflate: true,
    }));
    const ds = await readDataset(zipFile(entries));
    expect(ds.annotations).toHaveLength(3);
    const out = join(tmp(), 'masks');
    await writeDataset(ds, out, 'masks');
    expect(
      masksEqual(await readMask(join(out, 'masks/cat/a.png')), await readMask(join(src, 'masks/cat/a.png'))),
    ).toBe(true);
    expect(existsSync(join(out, 'masks/dog/a.png'))).toBe(true);
  });

  it('reports an unreadable zip clearly', async () => {
    const p = join(tmp(), 'b.zip');
    writeFileSync(p, 'not a zip');
    await expect(readDataset(p)).rejects.toMatchObject({ code: 'E_DATASET_FORMAT' });
  });
});
