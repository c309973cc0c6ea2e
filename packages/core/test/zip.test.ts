import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeZip, writeZip } from '../src/index.js';

const python = spawnSync('python3', ['-c', 'import zipfile'], { encoding: 'utf8' }).status === 0;

describe('ZIP writer', () => {
  it.skipIf(!python)(
    'writes archives that Python zipfile lists, tests (CRC) and extracts byte for byte',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'segkit-zip-'));
      const text = new TextEncoder().encode('a'.repeat(5000)); // compresses: deflated
      const noise = new Uint8Array(randomBytes(3000)); // does not: stored
      const path = join(dir, 'out.zip');
      await writeZip(path, [
        { name: 'masks/0.png', data: noise },
        { name: 'masks/ünïcode.txt', data: text, mtime: new Date(2026, 10, 23, 16, 30, 10) },
        { name: 'empty', data: new Uint8Array(0) },
      ]);
      const py = spawnSync(
        'python3',
        [
          '-c',
          `import zipfile, json, sys
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
print(json.dumps([[i.filename, i.compress_type, i.file_size, list(i.date_time), list(z.read(i.filename)[:3])] for i in z.infolist()]))`,
          path,
        ],
        { encoding: 'utf8' },
      );
      expect(py.stderr).toBe('');
      const listed = JSON.parse(py.stdout) as [string, number, number, number[], number[]][];
      expect(listed.map((e) => [e[0], e[1], e[2]])).toEqual([
        ['masks/0.png', 0, 3000],
        ['masks/ünïcode.txt', 8, 5000],
        ['empty', 0, 0],
      ]);
      expect(listed[0]![4]).toEqual(Array.from(noise.slice(0, 3)));
      expect(listed[1]![3]).toEqual([2026, 11, 23, 16, 30, 10]);
      expect(readdirSync(dir)).toEqual(['out.zip']); // no temp file left
    },
  );

  it('rejects names that would escape or collide, with one-line errors', () => {
    const data = new Uint8Array(1);
    for (const name of ['', '/abs.png', '../up.png', 'a/../b', 'a\\b', 'dir/']) {
      expect(() => encodeZip([{ name, data }])).toThrow(
        expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }),
      );
    }
    expect(() =>
      encodeZip([
        { name: 'a.png', data },
        { name: 'a.png', data },
      ]),
    ).toThrow(/Duplicate ZIP entry name "a.png"/);
  });

  it('writes an empty archive as just the end record, and nothing when the directory is missing', async () => {
    expect(encodeZip([])).toHaveLength(22);
    await expect(writeZip('/nonexistent-dir/x.zip', [])).rejects.toMatchObject({ code: 'E_WRITE_FAILED' });
  });
});
