// SSRF: downloads never reach loopback, private or link-local addresses unless the operator configured that host,
// and a redirect cannot lead there either.

import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { downloadFile } from '../src/index.js';
import { assertUrlAllowed, isInternalAddress } from '../src/url-guard.js';

let server: Server;
let port: number;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/file') return res.end('the bytes');
    if (req.url === '/to-metadata') {
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' });
      return res.end();
    }
    if (req.url === '/to-localhost') {
      res.writeHead(302, { location: `http://localhost:${port}/file` });
      return res.end();
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
afterAll(() => server.close());
beforeEach(() => {
  process.env.SEGKIT_HUB_URL = `http://127.0.0.1:${port}`; // the operator's mirror: allowed by configuration
  delete process.env.SEGKIT_ALLOW_HOSTS;
  delete process.env.SEGKIT_OFFLINE;
});
const dest = () => join(mkdtempSync(join(tmpdir(), 'segkit-ssrf-')), 'f');

describe('download URLs', () => {
  it('knows the internal ranges', () => {
    for (const ip of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
    ])
      expect(isInternalAddress(ip), ip).toBe(true);
    for (const ip of ['8.8.8.8', '172.32.0.1', '192.169.0.1', '2606:4700::1111', '::ffff:1.1.1.1'])
      expect(isInternalAddress(ip), ip).toBe(false);
  });

  it('fetches from the configured hub host, even on loopback', async () => {
    const d = dest();
    await downloadFile(`http://127.0.0.1:${port}/file`, d);
    expect(readFileSync(d, 'utf8')).toBe('the bytes');
  });

  it('refuses internal addresses that are not configured, directly and through a redirect', async () => {
    await expect(assertUrlAllowed('http://169.254.169.254/latest/meta-data')).rejects.toMatchObject({
      code: 'E_URL_REFUSED',
    });
    await expect(assertUrlAllowed('http://10.0.0.5/x')).rejects.toMatchObject({ code: 'E_URL_REFUSED' });
    await expect(assertUrlAllowed(`http://localhost:${port}/file`)).rejects.toMatchObject({
      code: 'E_URL_REFUSED',
    });
    await expect(assertUrlAllowed('file:///etc/passwd')).rejects.toMatchObject({ code: 'E_URL_REFUSED' });
    await expect(downloadFile(`http://127.0.0.1:${port}/to-metadata`, dest())).rejects.toMatchObject({
      code: 'E_URL_REFUSED',
      message: expect.stringContaining('169.254.169.254'),
    });
    await expect(downloadFile(`http://127.0.0.1:${port}/to-localhost`, dest())).rejects.toMatchObject({
      code: 'E_URL_REFUSED',
    });
  });

  it('SEGKIT_ALLOW_HOSTS lets the operator allow an internal host', async () => {
    process.env.SEGKIT_ALLOW_HOSTS = 'localhost';
    const d = dest();
    await downloadFile(`http://127.0.0.1:${port}/to-localhost`, d);
    expect(readFileSync(d, 'utf8')).toBe('the bytes');
  });
});
