// Disk full and read-only, on a real small filesystem when this process may mount one (root: a tmpfs), else
// simulated (SQLite's max_page_count for the database, ENOSPC from the blob store). Writes must fail with a coded
// error (507 E_NO_SPACE, 503 E_READ_ONLY), reads must go on, the database must stay consistent, and writes must
// work again once space (or write access) returns.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeImage, type RawImage } from '@segkit/core';
import { build, doctor, type SegkitApp } from '@segkit/server';

// Kysely belongs to @segkit/server; the simulation borrows its `sql` tag to set a pragma on the server's connection.
const { sql } = createRequire(new URL('../../packages/server/package.json', import.meta.url))('kysely') as {
  sql: (s: TemplateStringsArray, ...v: unknown[]) => { execute(db: unknown): Promise<unknown> };
};

export interface DiskFullStep {
  step: string;
  status: number;
  code?: string;
}

export interface DiskFullReport {
  how: 'tmpfs' | 'simulated';
  steps: DiskFullStep[];
  integrityAfter: string[];
  annotationsKept: number;
}

function tryMount(dir: string, mb: number): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mb}m`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Fills a filesystem to the last byte (a file written in shrinking chunks until ENOSPC). */
function fill(dir: string): string {
  const file = join(dir, 'filler');
  let chunk = 1 << 20;
  writeFileSync(file, '');
  while (chunk >= 1) {
    try {
      writeFileSync(file, Buffer.alloc(chunk), { flag: 'a' });
    } catch {
      chunk >>= 1;
    }
  }
  return file;
}

async function upload(app: SegkitApp, project: number, png: Uint8Array) {
  const boundary = 'diskfull';
  return app.inject({
    method: 'POST',
    url: `/api/v1/projects/${project}/images`,
    headers: {
      authorization: `Bearer ${app.segkit.adminToken}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
    },
    payload: Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.png"\r\n\r\n`),
      Buffer.from(png),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]),
  });
}

/** Runs the scenario; `image` is a picture to upload (each step changes one pixel, so every upload is new bytes). */
export async function runDiskFull(image: RawImage, opts: { real?: boolean } = {}): Promise<DiskFullReport> {
  const root = mkdtempSync(join(tmpdir(), 'segkit-diskfull-'));
  const real = opts.real !== false && tryMount(root, 8);
  const dataDir = join(root, 'data');
  mkdirSync(dataDir);
  const steps: DiskFullStep[] = [];
  let app: SegkitApp | undefined;
  try {
    app = await build({ dataDir, workers: 0 });
    const a = app;
    const auth = { authorization: `Bearer ${a.segkit.adminToken}` };
    const note = (step: string, res: { statusCode: number; json: () => { error?: { code?: string } } }) => {
      let code: string | undefined;
      try {
        code = res.json().error?.code;
      } catch {
        code = undefined;
      }
      steps.push({ step, status: res.statusCode, ...(code ? { code } : {}) });
    };
    const pic = (k: number) => {
      const copy = { ...image, data: image.data.slice() };
      copy.data[0] = k;
      return encodeImage(copy, 'png');
    };
    const project = (
      await a.inject({ method: 'POST', url: '/api/v1/projects', headers: auth, payload: { name: 'full' } })
    ).json().id as number;
    const img = (await upload(a, project, await pic(1))).json().images[0].id as number;
    const annotate = () =>
      a.inject({
        method: 'POST',
        url: `/api/v1/images/${img}/annotations`,
        headers: auth,
        payload: { mode: 'inside_box', label: 'x', bbox: [1, 1, 4, 4] },
      });
    note('annotate with space', await annotate());
    // Disk full.
    let filler: string | undefined;
    const blobs = a.segkit.ctx.blobs;
    const put = blobs.put.bind(blobs);
    if (real) filler = fill(root);
    else {
      await sql`PRAGMA max_page_count = 1`.execute(a.segkit.ctx.db); // SQLite: "database or disk is full"
      blobs.put = async () => {
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      };
    }
    // Enough writes to fill what SQLite had left in its file and log.
    for (let k = 0; k < 200; k++) {
      const r = await annotate();
      if (r.statusCode !== 201) {
        note('annotate on a full disk', r);
        break;
      }
    }
    note('upload on a full disk', await upload(a, project, await pic(2)));
    note('read on a full disk', await a.inject({ url: `/api/v1/images/${img}/annotations`, headers: auth }));
    // Space returns.
    if (filler) rmSync(filler);
    else {
      await sql`PRAGMA max_page_count = 1073741823`.execute(a.segkit.ctx.db);
      blobs.put = put;
    }
    note('annotate after space returns', await annotate());
    note('upload after space returns', await upload(a, project, await pic(3)));
    // Read-only, simulated on either path: the server's connection set to query_only (SQLite answers
    // SQLITE_READONLY) and EROFS from the blob store. (A tmpfs cannot be remounted read-only under open files.)
    await sql`PRAGMA query_only = ON`.execute(a.segkit.ctx.db);
    blobs.put = async () => {
      throw Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
    };
    note('annotate on a read-only disk', await annotate());
    note('upload on a read-only disk', await upload(a, project, await pic(4)));
    note('read on a read-only disk', await a.inject({ url: `/api/v1/images/${img}`, headers: auth }));
    await sql`PRAGMA query_only = OFF`.execute(a.segkit.ctx.db);
    blobs.put = put;
    note('annotate once writable again', await annotate());
    const kept = (await a.inject({ url: `/api/v1/images/${img}/annotations`, headers: auth })).json()
      .length as number;
    await a.close();
    app = undefined;
    const d = await doctor(dataDir);
    return {
      how: real ? 'tmpfs' : 'simulated',
      steps,
      integrityAfter: d.ok ? d.integrity : ['doctor failed', ...d.integrity],
      annotationsKept: kept,
    };
  } finally {
    await app?.close().catch(() => {});
    if (real) execFileSync('umount', [root]);
    rmSync(root, { recursive: true, force: true });
  }
}
