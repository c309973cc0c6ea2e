// `segkit db backup|restore` and `segkit doctor` on a data directory made by the server.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from '@segkit/server';
import { describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers.js';

describe('segkit db and segkit doctor', () => {
  it('backs up, restores, and checks a data directory; doctor exits 3 when something is damaged', async () => {
    const data = tmp();
    const app = await build({ dataDir: data, workers: 0 });
    const token = app.segkit.adminToken;
    const made = await app.inject({
      method: 'POST',
      url: '/api/v1/projects',
      headers: { authorization: `Bearer ${token}` },
      payload: { name: 'kept' },
    });
    expect(made.statusCode).toBe(201);
    await app.close();
    const file = join(tmp(), 'segkit-backup.db');
    const b = await cli('db', 'backup', file, '--data', data);
    expect(b.code).toBe(0);
    expect(b.stderr).toMatch(/^backed up \d+ pages \(\d+ bytes\) to /);
    const ok = await cli('doctor', '--data', data);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/integrity\s+ok/);
    expect(ok.stdout.trim().split('\n').pop()).toBe('ok');
    // Lose the database, restore it, and find the project again.
    rmSync(join(data, 'segkit.db'));
    const r = await cli('db', 'restore', file, '--data', data);
    expect(r.code).toBe(0);
    const again = await build({ dataDir: data, workers: 0 });
    const list = await again.inject({
      url: '/api/v1/projects',
      headers: { authorization: `Bearer ${token}` },
    });
    await again.close();
    expect(list.json().map((p: { name: string }) => p.name)).toContain('kept');
    // A temp file of a dead process needs attention; --fix removes it.
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(data, '.x.tmp-4999999-deadbeef'), 'half');
    const left = await cli('doctor', '--json', '--data', data);
    expect(left.code).toBe(0); // leftovers of a crash are not damage
    expect(JSON.parse(left.stdout)).toMatchObject({
      ok: true,
      tidy: false,
      temps: ['.x.tmp-4999999-deadbeef'],
    });
    const fixed = await cli('doctor', '--fix', '--data', data);
    expect(fixed.code).toBe(0);
    expect(existsSync(join(data, '.x.tmp-4999999-deadbeef'))).toBe(false);
    // A blob the database names, gone: damage, exit 3.
    const again2 = await build({ dataDir: data, workers: 0 });
    const { encodeImage } = await import('@segkit/core');
    const png = await encodeImage(
      { width: 4, height: 4, channels: 3, data: new Uint8Array(48).fill(9) },
      'png',
    );
    const pid = list.json()[0].id;
    const boundary = 'b0undary';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.png"\r\n\r\n`),
      Buffer.from(png),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const up = await again2.inject({
      method: 'POST',
      url: `/api/v1/projects/${pid}/images`,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
      },
      payload: body,
    });
    await again2.close();
    const sha = up.json().images[0].sha256 as string;
    rmSync(join(data, 'blobs', sha.slice(0, 2), sha));
    const bad = await cli('doctor', '--data', data);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toContain(`missing blob ${sha}`);
  });

  it('bad input gets a one-line coded error', async () => {
    const none = await cli('doctor', '--data', tmp());
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^segkit: E_FILE_NOT_FOUND: No SegKit database in /);
    const missing = await cli('db', 'restore', join(tmp(), 'nope.db'), '--data', tmp());
    expect(missing.stderr).toMatch(/^segkit: E_FILE_NOT_FOUND: Backup not found/);
    const usage = await cli('db', 'backup');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^segkit: E_USAGE: /);
  });
});
