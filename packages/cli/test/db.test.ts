// `segkit db backup|restore` and `segkit doctor` on a data directory made by the server.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from '@segkit/server';
import { describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers.js';

describe('segkit db and segkit doctor', () => {
  it('backs up, restores, and checks a data directory; doctor exits 3 when something needs attention', async () => {
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
    const bad = await cli('doctor', '--json', '--data', data);
    expect(bad.code).toBe(3);
    expect(JSON.parse(bad.stdout).temps).toEqual(['.x.tmp-4999999-deadbeef']);
    const fixed = await cli('doctor', '--fix', '--data', data);
    expect(fixed.code).toBe(0);
    expect(existsSync(join(data, '.x.tmp-4999999-deadbeef'))).toBe(false);
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
